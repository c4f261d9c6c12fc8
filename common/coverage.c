/*
 * coverage.c - see coverage.h.
 */
#include "coverage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fail.h"
#include "journal.h"
#include "meta.h"
#include "outdir.h"
#include "staging.h"
#include "sysio.h"

static struct covered_input *
find_or_add(struct coverage *c, const char *source)
{
	struct covered_input *in;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->in[i].source, source) == 0)
			return &c->in[i];
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		in = realloc(c->in, cap * sizeof(*in));
		if (!in)
			return NULL;
		c->in = in;
		c->cap = cap;
	}
	in = &c->in[c->n];
	memset(in, 0, sizeof(*in));
	in->source = strdup(source);
	if (!in->source)
		return NULL;
	c->n++;
	return in;
}

/* Inserts [first, last] keeping the ranges sorted and merged. */
static int
add_range(struct covered_input *in, uint64_t first, uint64_t last)
{
	size_t i, j;

	for (i = 0; i < in->n && in->r[i].last + 1 < first; i++)
		;
	if (i < in->n && in->r[i].first <= last + 1) {
		if (first < in->r[i].first)
			in->r[i].first = first;
		if (last > in->r[i].last)
			in->r[i].last = last;
		/* swallow the ranges it now reaches */
		for (j = i + 1; j < in->n && in->r[j].first <= in->r[i].last + 1;
		    j++)
			if (in->r[j].last > in->r[i].last)
				in->r[i].last = in->r[j].last;
		memmove(&in->r[i + 1], &in->r[j], (in->n - j) * sizeof(*in->r));
		in->n -= j - i - 1;
		return 0;
	}
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 4;
		struct row_range *r = realloc(in->r, cap * sizeof(*r));
		if (!r)
			return -1;
		in->r = r;
		in->cap = cap;
	}
	memmove(&in->r[i + 1], &in->r[i], (in->n - i) * sizeof(*in->r));
	in->r[i].first = first;
	in->r[i].last = last;
	in->n++;
	return 0;
}

static int
cover(struct coverage *c, const struct doc_meta *m)
{
	struct covered_input *in;

	if (m->sid > c->max_sid)
		c->max_sid = m->sid;
	if (m->first_row == 0 || m->last_row < m->first_row)
		return 0; /* a document of unknown origin */
	in = find_or_add(c, m->source);
	if (!in || add_range(in, m->first_row, m->last_row) < 0)
		return fail_nomem("coverage");
	return 0;
}

static int
cover_group(const char *archive, const struct doc_meta *docs, size_t n,
    void *arg)
{
	size_t i;

	(void)archive;
	for (i = 0; i < n; i++)
		if (cover(arg, &docs[i]) < 0)
			return -1;
	return 0;
}

/* A complete staged document's rows: covered if its meta says them; no
 * meta is fine only if the document went too (the packer may have just
 * deleted both: the journal, read next, has the rows then). */
static int
cover_staged(struct coverage *c, int fd, const char *path, uint64_t sid)
{
	struct doc_meta m;
	struct stat st;
	char name[40];
	int ok;

	if ((ok = meta_load(fd, path, sid, &m)) > 0)
		return cover(c, &m);
	if (ok < 0)
		return -1;
	staging_doc_name(name, sizeof(name), sid);
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return 0;
	meta_name(name, sizeof(name), sid);
	errno = ENOENT;
	return fail_sys("%s/%s: the rows of a staged document are unknown",
	    path, name);
}

static int
load_staging(int out_fd, const char *out_path, struct coverage *c)
{
	uint64_t *sids = NULL;
	size_t n = 0, i;
	char *path;
	int fd, rc, ok;

	if ((rc = staging_find(out_fd, out_path, &fd, &path)) <= 0)
		return rc;
	rc = staging_list(fd, path, &sids, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if (sids[i] > c->max_sid)
			c->max_sid = sids[i];
		/* An incomplete document is removed at the next start and
		 * its rows read again: they are not covered. */
		if ((ok = staging_doc_complete(fd, path, sids[i])) <= 0)
			rc = ok;
		else
			rc = cover_staged(c, fd, path, sids[i]);
	}
	free(sids);
	sys_close(fd);
	free(path);
	return rc;
}

int
coverage_load_at(int out_fd, const char *out_path, struct coverage *c)
{
	/* Staging first: a document the packer deletes meanwhile was
	 * journaled before it went, so the journal, read next, has it. */
	memset(c, 0, sizeof(*c));
	if (load_staging(out_fd, out_path, c) < 0 ||
	    journal_read(out_fd, out_path, cover_group, c) < 0) {
		coverage_free(c);
		return -1;
	}
	return 0;
}

int
coverage_load(const char *out_path, struct coverage *c)
{
	int out_fd, rc;

	memset(c, 0, sizeof(*c));
	if ((rc = outdir_open(out_path, 1, &out_fd)) <= 0)
		return rc; /* no directory yet: nothing covered */
	rc = coverage_load_at(out_fd, out_path, c);
	sys_close(out_fd);
	return rc;
}

void
coverage_free(struct coverage *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->in[i].source);
		free(c->in[i].r);
	}
	free(c->in);
	memset(c, 0, sizeof(*c));
}

const struct covered_input *
coverage_find(const struct coverage *c, const char *source)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->in[i].source, source) == 0)
			return &c->in[i];
	return NULL;
}

int
covered(const struct covered_input *ci, uint64_t row, size_t *cursor)
{
	if (!ci)
		return 0;
	if (*cursor >= ci->n || ci->r[*cursor].first > row)
		*cursor = 0;
	while (*cursor < ci->n && ci->r[*cursor].last < row)
		(*cursor)++;
	return *cursor < ci->n && ci->r[*cursor].first <= row;
}
