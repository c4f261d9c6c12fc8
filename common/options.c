/*
 * options.c - getopt_long over the option table of the spec.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <iconv.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "buf.h"
#include "fail.h"
#include "msg.h"
#include "ipc_names.h"
#include "utf8.h"
#include "xml_names.h"

enum {
	OPT_NO_HEADER = 256, OPT_ENCODING, OPT_RAGGED, OPT_NAME,
	OPT_FLUSH_AFTER, OPT_PREFIX, OPT_RESUME, OPT_RING_SIZE, OPT_PROGRESS,
	OPT_STDOUT, OPT_DIR, OPT_CLEANUP, OPT_STATUS,
	OPT_ATTACH_TIMEOUT, OPT_WATCH, OPT_MANIFEST,
	OPT_ROOT, OPT_ROW, OPT_ATTR, OPT_PROVENANCE, OPT_XMLNS,
	OPT_XMLNS_PREFIX, OPT_NULL, OPT_NULL_AS, OPT_LAYOUT, OPT_XSD, OPT_SCHEMA,
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
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "row", required_argument, NULL, OPT_ROW },
	{ "attr", required_argument, NULL, OPT_ATTR },
	{ "provenance", required_argument, NULL, OPT_PROVENANCE },
	{ "xmlns", required_argument, NULL, OPT_XMLNS },
	{ "xmlns-prefix", required_argument, NULL, OPT_XMLNS_PREFIX },
	{ "null", required_argument, NULL, OPT_NULL },
	{ "null-as", required_argument, NULL, OPT_NULL_AS },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "xsd", no_argument, NULL, OPT_XSD },
	{ "schema", optional_argument, NULL, OPT_SCHEMA },
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
"  -j, --jobs N          threads: the converter's, the packer's   [cores]\n"
"      --ring-size BYTES the shared ring's size (K, M, G)         [16M]\n"
"      --attach-timeout S  give up if the other stages have not come\n"
"                        within S seconds; 0: wait for ever      [60]\n"
"      --root NAME       the root element's name                  [table]\n"
"      --row NAME        each row's element name                  [row]\n"
"      --attr COL[,COL...]  these columns (header names, or numbers\n"
"                        from 1) as attributes of the row\n"
"      --provenance all|doc|none  source and sid on the root and line on\n"
"                        each row; the root's only; neither       [all]\n"
"      --xmlns URI       the documents' namespace\n"
"      --xmlns-prefix P  elements P:name, the root declaring xmlns:P\n"
"      --null STR        an unquoted field equal to STR is null; again\n"
"                        for more (--null '' for an empty field)\n"
"      --null-as nil|omit|empty  a null as xsi:nil=\"true\", left out,\n"
"                        or written empty                         [nil]\n"
"      --layout rows|pretty|compact  a row per line; an element per\n"
"                        line, indented; no white space           [rows]\n"
"      --xsd             a first member schema.xsd in every archive\n"
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
"  --schema [FILE|-]     the XML Schema for an input's header on stdout,\n"
"                        no pipeline, nothing converted\n"
"\n"
"example:\n"
"  gdb --args csvpack-converter --name dbg -o out   # then start the others\n"
"  csvpack-converter --stdout prices.csv | xmllint --format -\n"
"  csvpack-converter --root orders --schema orders.csv > orders.xsd\n";

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

#define SHOWN_MAX 160

/* arg as a message shows it: control characters escaped (a value is not
 * to drive the terminal), cut after about SHOWN_MAX bytes. */
static void
show(char shown[SHOWN_MAX], const char *arg)
{
	size_t n = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)arg; *p && n + 8 < SHOWN_MAX; p++)
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(shown + n, SHOWN_MAX - n,
			    "\\x%02x", *p);
		else
			shown[n++] = (char)*p;
	shown[n] = '\0';
	if (*p)
		snprintf(shown + n, SHOWN_MAX - n, "...");
}

/* Says what is wrong with arg, which is echoed as show() shows it, and
 * records a usage error.  Returns -1. */
static int
usage_error(const char *fmt, const char *arg)
{
	char shown[SHOWN_MAX], what[600];

	show(shown, arg);
	snprintf(what, sizeof(what), fmt, shown);
	return fail_usage("%s (see --help)", what);
}

/* The same with three values: fmt has three %s. */
static int
usage_error3(const char *fmt, const char *a, const char *b, const char *c)
{
	char sa[SHOWN_MAX], sb[SHOWN_MAX], sc[SHOWN_MAX], what[800];

	show(sa, a);
	show(sb, b);
	show(sc, c);
	snprintf(what, sizeof(what), fmt, sa, sb, sc);
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

/* --- the shape of the documents ---------------------------------------- */

/* What the options keep for the program's life (--attr's split values,
 * the lists of --attr and --null): reachable from here, so a leak
 * checker does not call it lost. */
struct kept {
	struct kept *next;
	max_align_t data[];
};

static struct kept *kept;

static void *
keep(size_t n)
{
	struct kept *k = malloc(sizeof(*k) + n);

	if (!k)
		return NULL;
	k->next = kept;
	kept = k;
	return k->data;
}

/* Appends v to *list (*n entries).  Returns 0 or -1 (said). */
static int
list_add(char ***list, int *n, char *v)
{
	char **l;

	l = keep(((size_t)*n + 1) * sizeof(*l));
	if (!l)
		return fail_nomem("options");
	if (*n)
		memcpy(l, *list, (size_t)*n * sizeof(*l));
	l[(*n)++] = v;
	*list = l;
	return 0;
}

/* The length of the UTF-8 character at p (valid UTF-8). */
static size_t
char_len(const unsigned char *p)
{
	return *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
}

/* Why name is not an XML name without a colon (libxml2's NCName), into
 * why; 0 if it is one.  Returns -1 (out of memory, said) too. */
static int
ncname_fault(const char *name, char *why, size_t size)
{
	unsigned char *copy;
	size_t len = strlen(name), at, n;
	unsigned char save;

	if (xmlValidateNCName((const xmlChar *)name, 0) == 0)
		return 0;
	if (len == 0) {
		snprintf(why, size, "a name cannot be empty");
		return 1;
	}
	if (!utf8_valid((const unsigned char *)name, len)) {
		snprintf(why, size, "a name must be UTF-8");
		return 1;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return fail_nomem("options");
	memcpy(copy, name, len + 1);
	snprintf(why, size, "not a name");
	/* The first character that cannot stand where it stands. */
	for (at = 0; at < len; at += n) {
		n = char_len(copy + at);
		save = copy[at + n];
		copy[at + n] = '\0';
		if (xmlValidateNCName(copy, 0) != 0) {
			if (at == 0 && copy[0] >= '0' && copy[0] <= '9')
				snprintf(why, size, "a name cannot start with "
				    "a digit");
			else
				snprintf(why, size, "a name cannot %s '%.*s'",
				    at == 0 ? "start with" : "contain",
				    (int)n, (const char *)copy + at);
			break;
		}
		copy[at + n] = save;
	}
	free(copy);
	return 1;
}

/* --root, --row, --xmlns-prefix: an NCName.  Returns 0 or -1 (said). */
static int
check_name(const char *opt, const char *arg)
{
	char why[120];
	int rc;

	if ((rc = ncname_fault(arg, why, sizeof(why))) < 0)
		return -1;
	if (rc > 0)
		return usage_error3("%s '%s': not an XML name (%s)", opt, arg,
		    why);
	return 0;
}

/* One of words (NULL-terminated), whose index goes to *out. */
static int
take_word(const char *opt, const char *arg, const char *const *words,
    const char *say, int *out)
{
	int i;

	for (i = 0; words[i]; i++)
		if (strcmp(arg, words[i]) == 0) {
			*out = i;
			return 0;
		}
	return usage_error3("%s '%s': not one of %s", opt, arg, say);
}

/* A COL of --attr that is a column number: its value (1-based), or 0
 * if COL is a name. */
static uint64_t
column_number(const char *col)
{
	const char *p;

	for (p = col; *p >= '0' && *p <= '9'; p++)
		;
	if (*p || p == col)
		return 0;
	return strtoull(col, NULL, 10);
}

/* --attr COL[,COL...]: split in place into kept memory, each COL
 * appended.  Returns 0 or -1 (said). */
static int
take_attr(struct options *o, const char *arg)
{
	size_t len = strlen(arg);
	char *copy, *p, *comma;

	if ((copy = keep(len + 1)) == NULL)
		return fail_nomem("options");
	memcpy(copy, arg, len + 1);
	for (p = copy;; p = comma + 1) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (*p == '\0')
			return usage_error("--attr '%s': an empty COL "
			    "(COL[,COL...]: header names, or column numbers "
			    "from 1)", arg);
		if (!utf8_valid((const unsigned char *)p, strlen(p)))
			return usage_error("--attr '%s': a COL must be UTF-8",
			    arg);
		/* "0" or "99999999999" may still be a header cell: only an
		 * input's header can tell (the converter, exit 65). */
		if (list_add(&o->attr_cols, &o->nattr_cols, p) < 0)
			return -1;
		if (!comma)
			return 0;
	}
}

/* --xmlns URI: what can stand in an attribute value and be declared. */
static int
check_namespace(const char *arg)
{
	if (!*arg)
		return usage_error("--xmlns '%s': a namespace URI cannot be "
		    "empty", arg);
	if (!utf8_valid((const unsigned char *)arg, strlen(arg)) ||
	    has_control(arg))
		return usage_error("--xmlns '%s': a namespace URI must be "
		    "UTF-8 without control characters", arg);
	if (strcmp(arg, "http://www.w3.org/2000/xmlns/") == 0 ||
	    strcmp(arg, "http://www.w3.org/XML/1998/namespace") == 0)
		return usage_error("--xmlns '%s': reserved by Namespaces in "
		    "XML", arg);
	return 0;
}

/* The name of --attr's COL as an attribute, by the element-name rules
 * (xml_names.h), "xmlns" getting the leading '_' too, appended to b with
 * its NUL.  Returns 0 or -1. */
static int
attr_name(struct buf *b, const char *col)
{
	size_t at = b->len;

	if (xml_name_sanitize(b, col, strlen(col), 0) < 0)
		return -1;
	if (strcmp((const char *)b->data + at, "xmlns") == 0) {
		b->len = at;
		return buf_append(b, "_xmlns", 7);
	}
	return 0;
}

/* The --attr clashes the options alone can tell: a named COL whose
 * attribute is the row's "line" (--provenance all), two COLs whose
 * attributes are the same, a column number given twice.  Numbers and
 * names against each other need a header: the converter's. */
static int
check_attrs(const struct options *o)
{
	struct buf names;
	size_t *off;
	int i, j, rc = 0;
	const char *a, *b;

	if (o->nattr_cols == 0)
		return 0;
	buf_init(&names, 0);
	if ((off = calloc((size_t)o->nattr_cols, sizeof(*off))) == NULL)
		return fail_nomem("options");
	for (i = 0; i < o->nattr_cols && rc == 0; i++) {
		off[i] = names.len;
		if (column_number(o->attr_cols[i]) == 0 &&
		    attr_name(&names, o->attr_cols[i]) < 0)
			rc = fail_nomem("options");
	}
	for (i = 0; i < o->nattr_cols && rc == 0; i++) {
		a = o->attr_cols[i];
		if (column_number(a) == 0 && o->provenance == PROVENANCE_ALL &&
		    strcmp((const char *)names.data + off[i], "line") == 0) {
			rc = usage_error3("--attr '%s': the attribute '%s' "
			    "clashes with the row's '%s' (--provenance all)", a,
			    (const char *)names.data + off[i], "line");
			break;
		}
		for (j = 0; j < i && rc == 0; j++) {
			b = o->attr_cols[j];
			if (column_number(a) != column_number(b))
				continue;
			if (column_number(a)) {
				char num[24];

				snprintf(num, sizeof(num), "%llu",
				    (unsigned long long)column_number(a));
				rc = usage_error3("--attr '%s' and '%s' are "
				    "both column %s", b, a, num);
			} else if (strcmp((const char *)names.data + off[i],
			    (const char *)names.data + off[j]) == 0)
				rc = usage_error3("--attr '%s' and '%s' are "
				    "both the attribute '%s'", b, a,
				    (const char *)names.data + off[i]);
		}
	}
	free(off);
	buf_free(&names);
	return rc;
}

/* What only the whole command line can tell.  Returns 0 or -1 (said). */
static int
check_shape(const struct options *o)
{
	if (o->xmlns_prefix && !o->xmlns)
		return fail_usage("--xmlns-prefix needs --xmlns (see --help)");
	if (o->xmlns_prefix && o->nnulls && o->null_as == NULL_AS_NIL &&
	    strcmp(o->xmlns_prefix, "xsi") == 0)
		return usage_error("--xmlns-prefix '%s': the root declares "
		    "xmlns:xsi for xsi:nil (--null-as nil); choose another "
		    "prefix", o->xmlns_prefix);
	if (o->schema && o->to_stdout)
		return fail_usage("--schema and --stdout are two modes: give "
		    "one (see --help)");
	return check_attrs(o);
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
	case OPT_ROOT:
		if (check_name("--root", arg) < 0)
			return -1;
		o->root_name = arg;
		break;
	case OPT_ROW:
		if (check_name("--row", arg) < 0)
			return -1;
		o->row_name = arg;
		break;
	case OPT_ATTR:
		return take_attr(o, arg);
	case OPT_PROVENANCE: {
		static const char *const words[] = { "all", "doc", "none",
		    NULL };
		int w = 0;

		if (take_word("--provenance", arg, words, "all, doc, none",
		    &w) < 0)
			return -1;
		o->provenance = w == 0 ? PROVENANCE_ALL : w == 1 ?
		    PROVENANCE_DOC : PROVENANCE_NONE;
		break;
	}
	case OPT_XMLNS:
		if (check_namespace(arg) < 0)
			return -1;
		o->xmlns = arg;
		break;
	case OPT_XMLNS_PREFIX:
		if (check_name("--xmlns-prefix", arg) < 0)
			return -1;
		if (strcmp(arg, "xml") == 0 || strcmp(arg, "xmlns") == 0)
			return usage_error("--xmlns-prefix '%s': reserved by "
			    "Namespaces in XML", arg);
		o->xmlns_prefix = arg;
		break;
	case OPT_NULL:
		/* Taken as it stands: '\N' is a backslash and an N. */
		return list_add(&o->nulls, &o->nnulls, (char *)arg);
	case OPT_NULL_AS: {
		static const char *const words[] = { "nil", "omit", "empty",
		    NULL };
		int w = 0;

		if (take_word("--null-as", arg, words, "nil, omit, empty",
		    &w) < 0)
			return -1;
		o->null_as = w == 0 ? NULL_AS_NIL : w == 1 ? NULL_AS_OMIT :
		    NULL_AS_EMPTY;
		break;
	}
	case OPT_LAYOUT: {
		static const char *const words[] = { "rows", "pretty",
		    "compact", NULL };
		int w = 0;

		if (take_word("--layout", arg, words, "rows, pretty, compact",
		    &w) < 0)
			return -1;
		o->layout = w == 0 ? LAYOUT_ROWS : w == 1 ? LAYOUT_PRETTY :
		    LAYOUT_COMPACT;
		break;
	}
	case OPT_XSD: o->xsd = 1; break;
	case OPT_SCHEMA: o->schema = 1; o->schema_input = arg; break;
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
	return check_shape(o);
}
