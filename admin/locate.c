/*
 * locate.c - see locate.h.
 *
 * The journal (journal.h) already says where every row went: an
 * archive's group lists its documents, and a document its input, its
 * rows and the physical lines they span.  So locate opens no archive.
 * It reads the journal once, a group at a time (journal_read), and keeps
 * only the candidates: the documents that hold the row asked for, with
 * the archive whose group named them.  As in journal_archived, the latest
 * complete group of an archive name is the one that counts, so a group
 * of a name seen before voids the candidates the earlier group gave (the
 * ghost of a crash before that archive's rename).  Memory is the
 * candidates (one, unless the delivery is damaged) and a few counters,
 * whatever the journal's length.
 *
 * The counters are what the journal says of the input besides - its
 * documents, the least and greatest of their rows and of their lines -
 * so that "not archived" can say why: a name the journal does not know,
 * a row past the last archived one, a line between documents, a journal
 * older than line numbers.  (They count every complete group, ghosts
 * too: a ghost's documents are packed again under its name, so the
 * bounds stay right.)  A row the journal does not hold may be staged and
 * not yet packed: the metas in DIR/.csvpack-staging say so, read-only,
 * the directory refused as a run would refuse it (outdir.h).  So is a
 * candidate whose archive is not in DIR while its document is still
 * staged (a crash between the journal's group and the rename).  An
 * archive merely gone from DIR is not: it was moved on, and the journal
 * still says where the row went.
 *
 * With --line, the document whose first and last lines enclose LINE is
 * the answer: a line inside a multi-line row gives that row's document,
 * a blank line between two rows of one document gives that document (it
 * spans the line), and a line before the first row (the header), between
 * two documents or past the last row holds no archived row.
 */
#include "locate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.h"
#include "journal.h"
#include "meta.h"
#include "msg.h"
#include "outdir.h"
#include "staging.h"
#include "sysio.h"

static const char usage[] =
"usage: csvpack locate [--line] DIR INPUT:ROW";

#define STAGING_UNSEEN (-2)

struct query {
	const char *dir;  /* DIR as given: archives are DIR/NAME */
	const char *arg;  /* INPUT:ROW as given, for messages */
	char *input;      /* before its last colon */
	uint64_t n;       /* ROW, or with --line the line */
	int by_line, help;
};

/* A document holding the row, in the latest group of its archive read
 * so far. */
struct holder {
	char archive[JOURNAL_ARCHIVE_MAX];
	uint64_t sid;
};

/* What the journal says of the input, for "not archived: why". */
struct seen {
	uint64_t groups;             /* complete groups, of any input */
	uint64_t docs, lined;        /* the input's documents; with lines */
	uint64_t first_row, last_row;
	uint64_t first_line, last_line;  /* of those with lines */
};

struct locate {
	struct query q;
	struct holder *hold;
	size_t n, cap;
	struct seen seen;
	int out_fd;
	int staging;      /* STAGING_UNSEEN, or staging_find's answer */
	int staging_fd;
	char *staging_path;
};

/* --- the command line ------------------------------------------------- */

/* A positive decimal number, digits only: 0, or -1. */
static int
parse_positive(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return x ? 0 : -1;
}

/* INPUT:ROW, split at the last colon (an input's name may hold one). */
static int
parse_target(struct query *q, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	const char *what = q->by_line ? "LINE" : "ROW";

	q->arg = arg;
	if (!colon || colon == arg)
		return fail_usage("locate: '%s' is not INPUT:%s (INPUT named "
		    "as the run named it, - for stdin)\n%s", arg, what, usage);
	if (parse_positive(colon + 1, &q->n) < 0)
		return fail_usage("locate: %s: %s is not a positive integer "
		    "(%s count from 1%s)\n%s", arg, what,
		    q->by_line ? "lines" : "rows",
		    q->by_line ? "" : ", the header excluded", usage);
	if (!(q->input = strndup(arg, (size_t)(colon - arg))))
		return fail_nomem("locate");
	return 0;
}

/* "-x" is an option; "-" and "-:ROW" (stdin's rows) are not. */
static int
is_option(const char *a)
{
	return a[0] == '-' && a[1] != '\0' && a[1] != ':';
}

/* [--line] DIR INPUT:ROW, the option anywhere; "--" ends options. */
static int
parse_args(struct query *q, int argc, char **argv)
{
	const char *operand[2] = { NULL, NULL };
	int i, n = 0, options = 1;

	for (i = 0; i < argc; i++) {
		if (options && strcmp(argv[i], "--") == 0)
			options = 0;
		else if (options && strcmp(argv[i], "--line") == 0)
			q->by_line = 1;
		else if (options && (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0))
			q->help = 1;
		else if (options && is_option(argv[i]))
			return fail_usage("locate: unknown option '%s'\n%s",
			    argv[i], usage);
		else if (n == 2)
			return fail_usage("locate: '%s': one DIR and one "
			    "INPUT:ROW only\n%s", argv[i], usage);
		else
			operand[n++] = argv[i];
	}
	if (q->help)
		return 0;
	if (n < 2)
		return fail_usage("locate: needs DIR and INPUT:%s\n%s",
		    q->by_line ? "LINE" : "ROW", usage);
	q->dir = operand[0];
	return parse_target(q, operand[1]);
}

/* --- the journal, a group at a time ----------------------------------- */

/* A document of the input asked for (first row 0: of unknown origin,
 * packer --dir's). */
static int
same_input(const struct query *q, const struct doc_meta *d)
{
	return d->first_row != 0 && strcmp(d->source, q->input) == 0;
}

static int
holds(const struct query *q, const struct doc_meta *d)
{
	if (q->by_line)
		return d->first_line != 0 && d->first_line <= q->n &&
		    q->n <= d->last_line;
	return d->first_row <= q->n && q->n <= d->last_row;
}

static void
note_doc(struct seen *s, const struct doc_meta *d)
{
	if (!s->docs || d->first_row < s->first_row)
		s->first_row = d->first_row;
	if (d->last_row > s->last_row)
		s->last_row = d->last_row;
	s->docs++;
	if (!d->first_line)
		return;
	if (!s->lined || d->first_line < s->first_line)
		s->first_line = d->first_line;
	if (d->last_line > s->last_line)
		s->last_line = d->last_line;
	s->lined++;
}

/* A complete group of archive: what an earlier group of that name gave
 * are ghosts. */
static void
drop_ghosts(struct locate *l, const char *archive)
{
	size_t i, kept = 0;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->hold[i].archive, archive) != 0)
			l->hold[kept++] = l->hold[i];
	l->n = kept;
}

static int
add_holder(struct locate *l, const char *archive, uint64_t sid)
{
	struct holder *grown;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 2;
		if (!(grown = realloc(l->hold, cap * sizeof(*grown))))
			return fail_nomem("locate");
		l->hold = grown;
		l->cap = cap;
	}
	snprintf(l->hold[l->n].archive, sizeof(l->hold[l->n].archive), "%s",
	    archive);
	l->hold[l->n++].sid = sid;
	return 0;
}

static int
on_group(const char *archive, const struct doc_meta *docs, size_t n,
    void *arg)
{
	struct locate *l = arg;
	size_t i;

	l->seen.groups++;
	drop_ghosts(l, archive);
	for (i = 0; i < n; i++) {
		if (!same_input(&l->q, &docs[i]))
			continue;
		note_doc(&l->seen, &docs[i]);
		if (holds(&l->q, &docs[i]) &&
		    add_holder(l, archive, docs[i].sid) < 0)
			return -1;
	}
	return 0;
}

/* --- staging, when the journal is not enough -------------------------- */

/* DIR/.csvpack-staging, looked for once: 1 open, 0 none, -1 after
 * saying why (refused, as a run would refuse it). */
static int
open_staging(struct locate *l)
{
	if (l->staging == STAGING_UNSEEN)
		l->staging = staging_find(l->out_fd, l->q.dir, &l->staging_fd,
		    &l->staging_path);
	return l->staging;
}

/* 1 if the holder's archive never took its name and its document is
 * still staged (a crash between the journal and the rename), 0 if not,
 * -1 after saying why. */
static int
pending(struct locate *l, const struct holder *h)
{
	struct stat st;
	char doc[40];
	int rc;

	if (fstatat(l->out_fd, h->archive, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return fail_sys("%s/%s", l->q.dir, h->archive);
	if ((rc = open_staging(l)) <= 0)
		return rc;
	staging_doc_name(doc, sizeof(doc), h->sid);
	if (fstatat(l->staging_fd, doc, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	if (errno != ENOENT)
		return fail_sys("%s/%s", l->staging_path, doc);
	return 0;
}

/* The staged document whose meta holds the row: 1 and *sid, 0 if none,
 * -1 after saying why.  A meta csvpack did not write is said and passed
 * over: another may hold the row. */
static int
find_staged(struct locate *l, uint64_t *sid)
{
	struct doc_meta m;
	uint64_t *sids;
	size_t n, i;
	int rc, bad = 0, found = 0;

	if ((rc = open_staging(l)) <= 0)
		return rc;
	if (staging_list(l->staging_fd, l->staging_path, &sids, &n) < 0)
		return -1;
	for (i = 0; i < n && !found; i++) {
		rc = meta_load(l->staging_fd, l->staging_path, sids[i], &m);
		if (rc < 0)
			bad = 1;
		else if (rc > 0 && same_input(&l->q, &m) &&
		    holds(&l->q, &m)) {
			*sid = sids[i];
			found = 1;
		}
	}
	free(sids);
	return found ? 1 : bad ? -1 : 0;
}

/* --- the answer ------------------------------------------------------- */

static int
say_staged(const struct locate *l, uint64_t sid)
{
	char doc[40];

	staging_doc_name(doc, sizeof(doc), sid);
	msg_warn("%s: not archived yet: staged in %s/%s, not yet packed (a "
	    "run in progress packs it; after a crash, the next run on %s "
	    "does)", l->q.arg, l->staging_path, doc, l->q.dir);
	return fail_note(FAIL_SYS);
}

static void
why_not_line(const struct locate *l)
{
	const struct query *q = &l->q;
	const struct seen *s = &l->seen;
	const char *some = s->lined < s->docs ? "; some of its documents "
	    "predate line numbers, look them up by ROW" : "";

	if (!s->lined)
		msg_warn("%s: cannot tell by line: the journal's documents of "
		    "%s predate line numbers (an older csvpack wrote them); "
		    "use %s:ROW", q->arg, q->input, q->input);
	else if (q->n < s->first_line)
		msg_warn("%s: line %" PRIu64 " holds no archived row: the "
		    "first archived row of %s starts on line %" PRIu64 " (the "
		    "header and blank lines hold none)%s", q->arg, q->n,
		    q->input, s->first_line, some);
	else if (q->n > s->last_line)
		msg_warn("%s: line %" PRIu64 " holds no archived row: the "
		    "archived rows of %s end on line %" PRIu64 "%s", q->arg,
		    q->n, q->input, s->last_line, some);
	else
		msg_warn("%s: line %" PRIu64 " holds no archived row: it lies "
		    "between two documents of %s (a blank line; if not, "
		    "csvpack verify %s says more)%s", q->arg, q->n, q->input,
		    q->dir, some);
}

static int
why_not(const struct locate *l)
{
	const struct query *q = &l->q;
	const struct seen *s = &l->seen;

	if (!s->groups)
		msg_warn("%s: not archived: %s/%s records no archive", q->arg,
		    q->dir, JOURNAL_FILE);
	else if (!s->docs)
		msg_warn("%s: not archived: no document of input '%s' in "
		    "%s/%s (inputs are named as the run named them, - for "
		    "stdin)", q->arg, q->input, q->dir, JOURNAL_FILE);
	else if (q->by_line)
		why_not_line(l);
	else if (q->n < s->first_row || q->n > s->last_row)
		msg_warn("%s: not archived: the archived rows of %s are "
		    "%" PRIu64 "-%" PRIu64, q->arg, q->input, s->first_row,
		    s->last_row);
	else
		msg_warn("%s: not archived: in none of the archived documents "
		    "of %s, whose rows %" PRIu64 "-%" PRIu64 " have a gap "
		    "(csvpack verify %s says more)", q->arg, q->input,
		    s->first_row, s->last_row, q->dir);
	return fail_note(FAIL_SYS);
}

static int
not_archived(struct locate *l)
{
	uint64_t sid;

	if (find_staged(l, &sid) > 0)
		return say_staged(l, sid);
	return why_not(l);
}

static int
print_holder(const struct locate *l, const struct holder *h)
{
	char member[40];

	staging_doc_name(member, sizeof(member), h->sid);
	if (printf("%s/%s %s\n", l->q.dir, h->archive, member) < 0)
		return fail_sys("stdout");
	return 0;
}

/* Every holder whose archive is not pending, one a line; a warning when
 * there is more than one. */
static int
answer(struct locate *l)
{
	const struct holder *staged = NULL;
	size_t i, shown = 0;
	int p;

	for (i = 0; i < l->n; i++) {
		if ((p = pending(l, &l->hold[i])) < 0)
			return -1;
		if (p) {
			staged = &l->hold[i];
			continue;
		}
		if (print_holder(l, &l->hold[i]) < 0)
			return -1;
		shown++;
	}
	if (shown > 1)
		msg_warn("%s: held by %zu documents, where one was expected: "
		    "the delivery is damaged (csvpack verify %s says more)",
		    l->q.arg, shown, l->q.dir);
	if (shown)
		return 0;
	if (staged)
		return say_staged(l, staged->sid);
	return not_archived(l);
}

int
locate_run(int argc, char **argv)
{
	struct locate l;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.out_fd = l.staging_fd = -1;
	l.staging = STAGING_UNSEEN;
	if (parse_args(&l.q, argc, argv) < 0)
		goto out;
	if (l.q.help) {
		rc = puts(usage) == EOF ? fail_sys("stdout") : 0;
		goto out;
	}
	if (outdir_open(l.q.dir, 0, &l.out_fd) < 0)
		goto out;
	if (journal_read(l.out_fd, l.q.dir, on_group, &l) < 0)
		goto out;
	rc = answer(&l);
out:
	if (l.staging_fd >= 0)
		sys_close(l.staging_fd);
	if (l.out_fd >= 0)
		sys_close(l.out_fd);
	free(l.staging_path);
	free(l.hold);
	free(l.q.input);
	return rc;
}
