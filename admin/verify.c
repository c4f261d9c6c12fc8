/*
 * verify.c - see verify.h.
 */
#include "verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fail.h"
#include "meta.h"
#include "msg.h"
#include "options.h"
#include "outdir.h"
#include "problems.h"
#include "staging.h"
#include "verify_archive.h"
#include "verify_index.h"

static const char usage[] =
"usage: csvpack verify [DIALECT AND SHAPE OPTIONS] DIR [INPUT...]\n"
"  Checks DIR's archives against themselves and its journal; given the\n"
"  run's INPUTs (and its -d, --no-header, --encoding, --ragged), also\n"
"  compares every row.  Problems on stdout, one a line; a summary on\n"
"  stderr.  Exit 0 all good, 1 a problem, 2 usage, 65 an input is bad CSV.\n";

/* The second pass: each group that counts, against its archive. */
struct pass2 {
	struct verifier *v;
	struct archive_index *ix;
	uint64_t groups;
};

static int
check_group(const struct journal_group *g, void *arg)
{
	struct pass2 *p = arg;
	struct archive_entry *e = index_find(p->ix, g->archive);
	char why[600];
	size_t i;

	p->groups++;
	if (!e || e->latest != p->groups)
		return 0; /* a ghost: a later group of that name counts */
	e->visited = 1;
	for (i = 0; i < g->n; i++)
		if (g->docs[i].first_row &&
		    ranges_note(&p->v->ranges, g->docs[i].source) < 0)
			return -1;
	if (e->on_disk)
		return verify_archive(p->v, g->archive, g);
	if (problem("%s/%s: missing: the journal lists it (line %" PRIu64
	    ", %zu document%s)", p->v->dir, g->archive, g->line, g->n,
	    g->n == 1 ? "" : "s") < 0)
		return -1;
	snprintf(why, sizeof(why), "%s/%s is missing", p->v->dir, g->archive);
	for (i = 0; i < g->n; i++)
		if (verify_rows_lost(p->v, &g->docs[i], why) < 0)
			return -1;
	return ranges_flush_lost(&p->v->ranges);
}

static int
ignore_damage(uint64_t line, const char *what, void *arg)
{
	(void)line, (void)what, (void)arg;
	return 0; /* the first pass reported it */
}

static int
unjournaled_archives(struct verifier *v, struct archive_index *ix)
{
	size_t i;

	for (i = 0; i < ix->n; i++) {
		if (!ix->e[i].on_disk || ix->e[i].visited)
			continue;
		if (problem("%s/%s: not in the journal", v->dir,
		    ix->e[i].name) < 0 ||
		    verify_archive(v, ix->e[i].name, NULL) < 0)
			return -1;
	}
	return 0;
}

/* A complete document in staging was never packed. */
static int
staged_documents(struct verifier *v)
{
	struct doc_meta m;
	uint64_t *sids = NULL;
	size_t i, n = 0;
	char *path = NULL;
	int fd, rc, got;

	if ((rc = staging_find(v->dirfd, v->dir, &fd, &path)) <= 0)
		return rc;
	rc = staging_list(fd, path, &sids, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if ((got = staging_doc_complete(fd, path, sids[i])) <= 0) {
			rc = got;
			continue;
		}
		if ((got = meta_load(fd, path, sids[i], &m)) < 0)
			rc = -1;
		else if (got == 0)
			rc = problem("%s/%06" PRIu64 ".xml: a complete document "
			    "left in staging, its rows unknown (no meta)",
			    path, sids[i]);
		else
			rc = problem("%s/%06" PRIu64 ".xml: a complete document "
			    "left in staging (rows %" PRIu64 "-%" PRIu64 " of %s); "
			    "csvpack --resume packs it", path, sids[i],
			    m.first_row, m.last_row, m.source);
	}
	free(sids);
	free(path);
	close(fd);
	return rc;
}

/* Inputs compared in order report their own gaps, with lines. */
static void
share_gaps(struct verifier *v)
{
	struct compared_input *ci;
	size_t i;

	if (!v->comparing)
		return;
	for (i = 0; i < v->ranges.n; i++) {
		ci = compare_find(&v->cmp, v->ranges.in[i].source);
		v->ranges.in[i].gaps_elsewhere = ci && ci->open &&
		    !ci->failed && !ci->reopened;
	}
}

/* A given input that no document names, though it has rows: most
 * likely named otherwise than in the run ("./a.csv" for "a.csv").  (One
 * with a header and no row has no document, rightly.) */
static int
unknown_inputs(struct verifier *v)
{
	int i;

	for (i = 0; v->comparing && i < v->cmp.n; i++)
		if (!ranges_find(&v->ranges, v->cmp.in[i].name) &&
		    !(v->cmp.in[i].open && v->cmp.in[i].next_row == 1) &&
		    problem("%s: no document of the journal is of this input "
		    "(it names inputs as the run was given them)",
		    v->cmp.in[i].name) < 0)
			return -1;
	return 0;
}

static int
verify_dir(struct verifier *v)
{
	struct archive_index ix;
	struct pass2 p = { v, &ix, 0 };
	struct journal_visitor jv = { check_group, ignore_damage, &p };
	int rc = -1;

	if (index_build(v->dirfd, v->dir, &ix) < 0)
		goto out;
	if (journal_scan(v->dirfd, v->dir, &jv) < 0 ||
	    unjournaled_archives(v, &ix) < 0 ||
	    index_check_numbering(&ix, v->dir) < 0)
		goto out;
	share_gaps(v);
	if (ranges_report_gaps(&v->ranges) < 0 ||
	    (v->comparing && compare_finish(&v->cmp) < 0) ||
	    unknown_inputs(v) < 0 ||
	    staged_documents(v) < 0)
		goto out;
	rc = 0;
out:
	index_free(&ix);
	return rc;
}

static void
summary(const struct verifier *v)
{
	uint64_t n = problems_count();

	fprintf(stderr, "%s: verified %" PRIu64 " archive%s, %" PRIu64
	    " document%s, %" PRIu64 " row%s of %zu input%s", msg_progname(),
	    v->archives, v->archives == 1 ? "" : "s", v->documents,
	    v->documents == 1 ? "" : "s", v->rows, v->rows == 1 ? "" : "s",
	    v->ranges.n, v->ranges.n == 1 ? "" : "s");
	if (v->comparing)
		fprintf(stderr, ", compared with %d given", v->cmp.n);
	if (n == 0 && fail_kind() == FAIL_NONE)
		fprintf(stderr, ": OK\n");
	else if (n == 0)
		fprintf(stderr, ": not proven (see above)\n");
	else
		fprintf(stderr, ": %" PRIu64 " problem%s\n", n,
		    n == 1 ? "" : "s");
}

static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

int
verify_run(int argc, char **argv)
{
	struct verifier v;
	struct options o;
	int dirfd = -1, rc;

	if (wants_help(argc, argv))
		return fputs(usage, stdout) == EOF ? fail_sys("stdout") : 0;
	/* The one option table: the run's command line pastes as it is. */
	if ((rc = options_parse(&o, argc + 1, argv - 1)) != 0)
		return rc > 0 ? 0 : -1;
	if (o.ninputs < 1)
		return fail_usage("verify: which directory?\n%s", usage);
	if (outdir_open(o.inputs[0], 0, &dirfd) < 0)
		return -1;
	rc = verifier_init(&v, dirfd, o.inputs[0], &o);
	if (rc == 0 && o.ninputs > 1) {
		rc = compare_init(&v.cmp, &o, o.inputs + 1, o.ninputs - 1);
		v.comparing = 1;
	}
	if (rc == 0)
		rc = verify_dir(&v);
	summary(&v);
	verifier_free(&v);
	close(dirfd);
	if (rc == 0 && fail_kind() != FAIL_NONE)
		rc = -1; /* an input was bad CSV (65) or unreadable (1) */
	if (rc == 0 && problems_count() > 0)
		rc = fail_note(FAIL_SYS);
	return rc;
}
