# shellcheck shell=bash
# bash completion for csvpack (installed as
# PREFIX/share/bash-completion/completions/csvpack).
#
# The options are not listed here: they are read once per shell from
# `csvpack --help`, which prints the one option table (common/options.c),
# so the completion always matches the csvpack it completes.  An option
# followed by a metavariable in --help (-o DIR, -b N...) takes a value.
#
#   csvpack -<TAB>               the options
#   csvpack <TAB>                status cleanup verify locate, and files
#   csvpack -o <TAB>             directories (also --output=, --dir)
#   csvpack --encoding <TAB>     iconv -l's encodings
#   csvpack verify <TAB>         the output directory, then inputs
#   csvpack [OPTIONS] <TAB>      input files

# Sets _csvpack_opts (every option), _csvpack_argopts (those taking a
# value) and _csvpack_choices (OPTION -> its values, for a metavariable
# like rows|pretty|compact) from `$1 --help`, once per command.
_csvpack_read_help()
{
	[ "${_csvpack_help_of-}" = "$1" ] && return
	_csvpack_help_of=$1
	_csvpack_opts=""
	_csvpack_argopts=""
	declare -gA _csvpack_choices=()
	local line rest word words meta w
	while IFS= read -r line; do
		# Option lines start with at most 6 blanks, then '-'; longer
		# indents are the continuation of a description.
		[[ $line =~ ^\ {1,6}- ]] || continue
		rest=${line#"${line%%[! ]*}"}
		words=""
		meta=""
		# -x, --xx, --yy [METAVAR]  description
		while [[ $rest == -* ]]; do
			word=${rest%%[ ,]*}
			words+=" $word"
			rest=${rest#"$word"}
			if [[ $rest == ", -"* ]]; then
				rest=${rest#, }
			elif [[ $rest == " "[!\ []* ]]; then
				meta=${rest# }
				meta=${meta%% *}
				break
			else
				break
			fi
		done
		_csvpack_opts+=$words
		[ -n "$meta" ] || continue
		_csvpack_argopts+=$words
		if [[ $meta == *"|"* && $meta =~ ^[a-z|-]+$ ]]; then
			for w in $words; do
				_csvpack_choices[$w]=${meta//|/ }
			done
		fi
	done < <(LC_ALL=C "$1" --help 2>/dev/null </dev/null)
}

_csvpack_files()
{
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

_csvpack_dirs()
{
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -d -- "$1")
}

_csvpack()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local prev=""
	local sub="" opt=""
	COMPREPLY=()
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
	_csvpack_read_help "$1"

	# --opt=VALUE: COMP_WORDBREAKS splits it into --opt, =, VALUE.
	if [ "$cur" = "=" ] && [[ $prev == --?* ]]; then
		opt=$prev
		cur=""
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ] &&
		[[ ${COMP_WORDS[COMP_CWORD-2]} == --?* ]]; then
		opt=${COMP_WORDS[COMP_CWORD-2]}
	elif [[ " $_csvpack_argopts " == *" $prev "* ]]; then
		opt=$prev
	fi
	# An option's value: directories, encodings, delimiters; nothing
	# for a number or a name.
	if [ -n "$opt" ]; then
		case $opt in
		-o | --output | --dir) _csvpack_dirs "$cur" ;;
		--encoding)
			mapfile -t COMPREPLY < <(compgen -W \
				"$(iconv -l 2>/dev/null | tr -s ', ' '\n' | sed 's,//$,,')" \
				-- "$cur")
			;;
		-d | --delimiter)
			mapfile -t COMPREPLY < <(compgen -W "tab" -- "$cur")
			;;
		*)
			[ -z "${_csvpack_choices[$opt]-}" ] ||
				mapfile -t COMPREPLY < <(compgen -W \
					"${_csvpack_choices[$opt]}" -- "$cur")
			;;
		esac
		return 0
	fi

	# The subcommand, if the first word is one.
	[ "$COMP_CWORD" -gt 1 ] && sub=${COMP_WORDS[1]}
	case $sub in
	status)
		[[ $cur == -* ]] && mapfile -t COMPREPLY < <(compgen -W "--watch" -- "$cur")
		return 0
		;;
	cleanup)
		return 0
		;;
	locate)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--line" -- "$cur")
		else
			_csvpack_files "$cur"
		fi
		return 0
		;;
	verify)
		# verify takes the run's dialect and shape options, DIR, then
		# the inputs: offer the options and every file.
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$_csvpack_opts" -- "$cur")
		else
			_csvpack_files "$cur"
		fi
		return 0
		;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$_csvpack_opts" -- "$cur")
		return 0
	fi
	if [ "$COMP_CWORD" -eq 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W "status cleanup verify locate" -- "$cur")
		compopt -o filenames 2>/dev/null
		mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
		return 0
	fi
	_csvpack_files "$cur"
	return 0
}
complete -F _csvpack csvpack
