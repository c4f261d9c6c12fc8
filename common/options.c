/*
 * options.c - getopt_long over the option table of the spec.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fail.h"
#include "msg.h"
#include "ipc_names.h"

enum {
	OPT_NO_HEADER = 256, OPT_ENCODING, OPT_RAGGED, OPT_NAME,
	OPT_FLUSH_AFTER, OPT_PREFIX, OPT_RESUME, OPT_RING_SIZE, OPT_PROGRESS,
	OPT_STDOUT, OPT_DIR, OPT_CLEANUP, OPT_STATUS,
	OPT_ATTACH_TIMEOUT, OPT_WATCH, OPT_MANIFEST,
};

static const struct option long_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "batch", required_argument, NULL, 'b' },
	{ "rows", required_argument, NULL, 'r' },
	{ "delimiter", required_argument, NULL, 'd' },
	{ "no-header", no_argument, NULL, OPT_NO_HEADER },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
	{ "ragged", no_argument, NULL, OPT_RAGGED },
	{ "level", required_argument, NULL, 'l' },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "flush-after", required_argument, NULL, OPT_FLUSH_AFTER },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "manifest", no_argument, NULL, OPT_MANIFEST },
	{ "jobs", required_argument, NULL, 'j' },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "stdout", optional_argument, NULL, OPT_STDOUT },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "cleanup", no_argument, NULL, OPT_CLEANUP },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "attach-timeout", required_argument, NULL, OPT_ATTACH_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The first lines of --help, then the options all programs share, then
 * an example; `csvpack --help` is csvpack-admin check's, under the name
 * "csvpack". */
static const char usage_stage[] =
"usage: %s [OPTIONS] [INPUT...]\n"
"\n"
"One stage of a csvpack pipeline (producer | converter | packer).  Started\n"
"with the same --name, in any order, the three form a pipeline; the\n"
"csvpack launcher does that for you.\n";

static const char usage_launcher[] =
"usage: csvpack [OPTIONS] [INPUT...]\n"
"       csvpack status [--watch] [NAME]\n"
"       csvpack --cleanup [NAME]\n"
"\n"
"Turns CSV inputs (stdin when none, or -) into XML documents and packs them,\n"
"B at a time, into gzip tarballs DIR/NNNNNN.tgz; prints each archive path.\n";

static const char usage_options[] =
"\n"
"  -o, --output DIR      where archives go (created if missing)   [./out]\n"
"  -b, --batch N         XML documents per archive                [100]\n"
"  -r, --rows N          data rows per XML document               [1000]\n"
"  -d, --delimiter C     field delimiter; '\\t' for TSV            [,]\n"
"      --no-header       the first row is data; columns field1, field2, ...\n"
"      --encoding NAME   input encoding (GB18030, CP1252, ...)    [UTF-8]\n"
"      --ragged          pad short rows, name extra fields fieldN\n"
"  -l, --level N         gzip level 0-9                           [6]\n"
"      --name NAME       the pipeline's IPC name                  [unique]\n"
"      --flush-after S   pack a partial batch once S seconds old\n"
"      --prefix P        archive names P-NNNNNN.tgz\n"
"      --resume          skip input rows the journal says are archived\n"
"      --manifest        a last member SHA256SUMS in every archive, for\n"
"                        tar -xzf A.tgz && sha256sum -c SHA256SUMS\n"
"  -j, --jobs N          compression threads                      [cores]\n"
"      --ring-size BYTES the shared ring's size (K, M, G)         [16M]\n"
"      --attach-timeout S  give up if the other stages have not come\n"
"                        within S seconds; 0: wait for ever      [60]\n"
"  -q, --quiet           errors only: no progress, no summary\n"
"      --progress        a live progress line on stderr  [on a terminal]\n"
"  -h, --help, -V, --version\n";

static const char usage_producer[] =
"\n"
"example:\n"
"  csvpack-packer --name dbg -o out &\n"
"  csvpack-converter --name dbg -o out &\n"
"  csvpack-producer --name dbg -o out data.csv\n";

static const char usage_converter[] =
"\n"
"  --stdout [FILE|-]     one CSV input to one XML document on stdout, no\n"
"                        pipeline\n"
"\n"
"example:\n"
"  gdb --args csvpack-converter --name dbg -o out   # then start the others\n"
"  csvpack-converter --stdout prices.csv | xmllint --format -\n";

static const char usage_packer[] =
"\n"
"  --dir DIR             pack the XML documents in DIR, once, B per archive,\n"
"                        no pipeline\n"
"\n"
"example:\n"
"  csvpack-packer --name dbg -o out -j 4\n"
"  csvpack-packer --dir staged/ -o out -b 50\n";

static const char usage_csvpack[] =
"\n"
"  --cleanup [NAME]      remove the IPC objects of a dead pipeline\n"
"\n"
"examples:\n"
"  csvpack -o bundles -b 100 -r 1000 data/*.csv | xargs -n1 sha256sum\n"
"  gunzip -c big.csv.gz | csvpack --encoding GB18030 -o out -\n";

static void
usage(const char *prog)
{
	if (strcmp(prog, "csvpack") == 0)
		fputs(usage_launcher, stdout);
	else
		printf(usage_stage, prog);
	fputs(usage_options, stdout);
	if (strcmp(prog, "csvpack") == 0)
		fputs(usage_csvpack, stdout);
	else if (strstr(prog, "converter"))
		fputs(usage_converter, stdout);
	else if (strstr(prog, "packer"))
		fputs(usage_packer, stdout);
	else
		fputs(usage_producer, stdout);
}

/* Says what is wrong with arg, which is echoed with its control
 * characters escaped (a value is not to drive the terminal), and records
 * a usage error.  Returns -1. */
static int
usage_error(const char *fmt, const char *arg)
{
	char shown[160], what[600];
	size_t n = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)arg; *p && n + 8 < sizeof(shown); p++)
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(shown + n, sizeof(shown) - n,
			    "\\x%02x", *p);
		else
			shown[n++] = (char)*p;
	shown[n] = '\0';
	if (*p)
		snprintf(shown + n, sizeof(shown) - n, "...");
	snprintf(what, sizeof(what), fmt, shown);
	return fail_usage("%s (see --help)", what);
}

static int
parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': mult = UINT64_C(1) << 10; break;
		case 'm': case 'M': mult = UINT64_C(1) << 20; break;
		case 'g': case 'G': mult = UINT64_C(1) << 30; break;
		default: return -1;
		}
		if (end[1] && strcasecmp(end + 1, "B") && strcasecmp(end + 1, "iB"))
			return -1;
	}
	if (v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int
parse_delimiter(const char *s, char *out)
{
	if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0 ||
	    strcmp(s, "\t") == 0)
		*out = '\t';
	else if (strlen(s) == 1)
		*out = s[0];
	else
		return -1;
	/* A byte >= 0x80 would cut UTF-8 characters (and input decoded
	 * from --encoding is UTF-8 by the time it is split). */
	return (*out == '"' || *out == '\r' || *out == '\n' ||
	    (unsigned char)*out >= 0x80) ? -1 : 0;
}

static int
is_utf8_name(const char *e)
{
	return strcasecmp(e, "UTF-8") == 0 || strcasecmp(e, "UTF8") == 0;
}

static int
check_encoding(const char *e)
{
	iconv_t cd;

	if (is_utf8_name(e))
		return 0;
	if (!*e)
		return errno = EINVAL, -1; /* "" is the locale's: not meant */
	cd = iconv_open("UTF-8", e);
	if (cd == (iconv_t)-1)
		return -1; /* EINVAL: unknown; else the system's failure */
	iconv_close(cd);
	return 0;
}

static void
defaults(struct options *o)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->output = "out";
	o->batch = 100;
	o->rows = 1000;
	o->delim = ',';
	o->root_name = "table";
	o->row_name = "row";
	o->level = 6;
	o->jobs = cores > 0 ? (int)cores : 1;
	o->ring_size = UINT64_C(16) << 20;
	o->attach_timeout = 60;
}

#define RING_SIZE_MIN (UINT64_C(64) << 10)
#define RING_SIZE_MAX (UINT64_C(1) << 40)

/* Rounds a ring size (RING_SIZE_MIN..MAX) up to a power of two. */
static uint64_t
ring_round(uint64_t v)
{
	uint64_t p = RING_SIZE_MIN;

	while (p < v && p < RING_SIZE_MAX)
		p <<= 1;
	return p;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* One option; returns 0, 1 (help or version printed) or -1 (said). */
static int
take_option(struct options *o, int c, const char *arg, const char *prog)
{
	uint64_t v;

	switch (c) {
	case 'o': o->output = arg; break;
	case 'b':
		if (parse_count(arg, 1, 1000000, &o->batch) < 0)
			return usage_error("-b: '%s' is not a count 1-1000000", arg);
		break;
	case 'r':
		if (parse_count(arg, 1, 100000000, &o->rows) < 0)
			return usage_error("-r: '%s' is not a count 1-100000000", arg);
		break;
	case 'd':
		if (parse_delimiter(arg, &o->delim) < 0)
			return usage_error("-d: '%s' is not a one-byte ASCII "
			    "delimiter (not '\"', CR or LF; '\\t' for tab)", arg);
		break;
	case 'l':
		if (parse_count(arg, 0, 9, &v) < 0)
			return usage_error("-l: '%s' is not a level 0-9", arg);
		o->level = (int)v;
		break;
	case 'j':
		if (parse_count(arg, 1, 256, &v) < 0)
			return usage_error("-j: '%s' is not a count 1-256", arg);
		o->jobs = (int)v;
		break;
	case OPT_NO_HEADER: o->no_header = 1; break;
	case OPT_RAGGED: o->ragged = 1; break;
	case OPT_RESUME: o->resume = 1; break;
	case OPT_MANIFEST: o->manifest = 1; break;
	case OPT_PROGRESS: o->progress = 1; break;
	case 'q': o->quiet = 1; break;
	case OPT_STDOUT: o->to_stdout = 1; o->stdout_input = arg; break;
	case OPT_CLEANUP: o->cleanup = 1; break;
	case OPT_STATUS: o->status = 1; break;
	case OPT_WATCH: o->watch = 1; break;
	case OPT_ATTACH_TIMEOUT:
		if (parse_count(arg, 0, 86400, &v) < 0)
			return usage_error("--attach-timeout: '%s' is not a "
			    "number of seconds 0-86400", arg);
		o->attach_timeout = (unsigned)v;
		break;
	case OPT_DIR: o->pack_dir = arg; break;
	case OPT_PREFIX:
		/* An archive's path is one line of stdout: no control
		 * characters (a newline would split it), no '/'. */
		if (!*arg || strchr(arg, '/') || strlen(arg) > 200 ||
		    has_control(arg))
			return usage_error("--prefix: '%s' must be a name of "
			    "1-200 bytes without '/' or control characters",
			    arg);
		o->prefix = arg;
		break;
	case OPT_ENCODING:
		if (check_encoding(arg) < 0) {
			if (errno != EINVAL)
				return fail_sys("--encoding %s: iconv_open",
				    arg);
			return usage_error("--encoding: unknown encoding '%s' "
			    "(see iconv -l)", arg);
		}
		o->encoding = is_utf8_name(arg) ? NULL : arg;
		break;
	case OPT_NAME:
		if (!pipeline_name_valid(arg))
			return usage_error("--name: '%s' must be 1-64 of "
			    "A-Z a-z 0-9 . _ - (not starting with '.')", arg);
		o->name = arg;
		break;
	case OPT_FLUSH_AFTER: {
		char *end;
		errno = 0;
		o->flush_after = strtod(arg, &end);
		if (errno || *end || end == arg || !(o->flush_after > 0) ||
		    o->flush_after > 1e6)
			return usage_error("--flush-after: '%s' is not a number "
			    "of seconds", arg);
		break;
	}
	case OPT_RING_SIZE:
		if (parse_size(arg, &v) < 0 || v > RING_SIZE_MAX)
			return usage_error("--ring-size: '%s' is not a size "
			    "64K-1T (suffixes K, M, G)", arg);
		if (v < RING_SIZE_MIN)
			return usage_error("--ring-size: '%s' is below the "
			    "minimum, 64K", arg);
		o->ring_size = ring_round(v);
		break;
	case 'h':
		usage(prog);
		return 1;
	case 'V':
		printf("%s %s\n", prog, CSVPACK_VERSION);
		return 1;
	default:
		return usage_error("%s", "unknown option");
	}
	return 0;
}

int
options_parse(struct options *o, int argc, char **argv)
{
	int c, rc;

	defaults(o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:b:r:d:l:j:qhV", long_options,
	    NULL)) != -1) {
		if (c == '?') {
			/* A long option known but given a value it does not
			 * take has its code in optopt; an unknown one 0; an
			 * unknown short one its letter. */
			const char *word = argv[optind - 1];

			if (strncmp(word, "--", 2) == 0 && optopt)
				return usage_error("option %s takes no value",
				    word);
			if (optopt)
				return usage_error("unknown option -%s",
				    (char[]){ (char)optopt, 0 });
			return usage_error("unknown option %s", word);
		}
		if (c == ':')
			return usage_error("option %s needs a value",
			    argv[optind - 1]);
		rc = take_option(o, c, optarg, msg_progname());
		if (rc != 0)
			return rc;
	}
	o->inputs = argv + optind;
	o->ninputs = argc - optind;
	return 0;
}
