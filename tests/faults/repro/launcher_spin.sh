#!/usr/bin/env bash
# Bug: SIGKILL two stages at once and the launcher never exits: bash reports
# the killed job ("Killed"), drops it from its job table, and every later
# `wait -n -p done_pid ... PID` fails at once with "PID: no such job"
# (status 127, done_pid empty), which the loop takes for "a trapped signal
# interrupted wait" and retries -- forever, at 100% CPU.  The EXIT trap never
# runs, so the pipeline's IPC objects stay in /dev/shm if the stages did not
# remove them.  (The storm hits the same with a single kill when a peer's
# exit and the 5 s timer's start interleave.)
#   CSVPACK_BIN=/abs/bin tests/faults/repro/launcher_spin.sh
here=$(cd "$(dirname "$0")" && pwd)
BIN=${CSVPACK_BIN:-$here/../../../bin}
d=$(mktemp -d /tmp/repro-spin-XXXXXX)
python3 "$here/../../../bench/gen_csv.py" 200000 1 > "$d/in.csv"
rc=0
for try in 1 2 3 4 5; do
	"$BIN/csvpack" --name repro-spin -o "$d/out$try" -b 5 -r 700 "$d/in.csv" >/dev/null 2>"$d/err" &
	L=$!
	sleep 0.5
	conv=$(pgrep -f -- "csvpack-converter .*--name repro-spin") pack=$(pgrep -f -- "csvpack-packer .*--name repro-spin")
	# shellcheck disable=SC2086 # one pid per word, or none
	kill -KILL $conv $pack
	sleep 10
	if kill -0 $L 2>/dev/null; then
		echo "try $try: BUG: launcher $L still running 10 s after the kills:"
		ps -o pid,stat,pcpu,etime,args -p $L
		sort "$d/err" | uniq -c | sort -rn | head -3
		kill -KILL $L; wait $L 2>/dev/null
		"$BIN/csvpack" --cleanup repro-spin
		rc=1
		break
	fi
	wait $L; echo "try $try: launcher exited $? (not reproduced this time)"
done
rm -rf "$d"
exit $rc
