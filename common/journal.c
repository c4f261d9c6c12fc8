/*
 * journal.c - see journal.h.  One reader, journal_read, serves both who
 * read the journal: coverage (coverage.c) and journal_archived below.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "escape.h"
#include "fail.h"
#include "msg.h"
#include "outdir.h"
#include "sysio.h"

static void
journal_path(char *buf, size_t size, const char *out_path)
{
	snprintf(buf, size, "%s/%s", out_path, JOURNAL_FILE);
}

/* The group's text; a line a crash cut short first gets CR LF, which
 * voids it and its group (journal.h), so ours starts on a line of its
 * own. */
static int
format_group(struct buf *b, int close_torn, const char *archive,
    const struct doc_meta *docs, size_t n)
{
	size_t i;

	if (close_torn && buf_append(b, "\r\n", 2) < 0)
		return -1;
	if (buf_append(b, "B ", 2) < 0 || escape_append(b, archive) < 0 ||
	    buf_append(b, "\n", 1) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (meta_format(b, "D ", &docs[i]) < 0)
			return -1;
	return buf_append(b, "E\n", 2);
}

/* 1 if the journal open on fd ends in a line without its LF, 0 if not,
 * -1 after saying why. */
static int
ends_torn(int fd, const char *path)
{
	struct stat st;
	ssize_t got;
	char last;

	if (fstat(fd, &st) < 0)
		return fail_sys("%s: fstat", path);
	if (st.st_size == 0)
		return 0;
	got = pread_full(fd, &last, 1, st.st_size - 1);
	if (got < 0)
		return fail_sys("%s: read", path);
	return got == 1 && last != '\n';
}

int
journal_append(int out_fd, const char *out_path, const char *archive,
    const struct doc_meta *docs, size_t n)
{
	char path[4200];
	struct buf b;
	int fd, torn, rc = -1;

	journal_path(path, sizeof(path), out_path);
	buf_init(&b, 0);
	if (outdir_open_file(out_fd, out_path, JOURNAL_FILE,
	    O_RDWR | O_CREAT | O_APPEND, 0644, &fd) < 0)
		goto out;
	if ((torn = ends_torn(fd, path)) < 0)
		goto out;
	if (format_group(&b, torn, archive, docs, n) < 0) {
		fail_nomem(path);
		goto out;
	}
	if (write_full(fd, b.data, b.len) < 0 || sys_fsync(fd) < 0) {
		fail_sys("%s", path);
		goto out;
	}
	rc = sys_close(fd);
	fd = -1;
	if (rc < 0)
		fail_sys("%s: close", path);
out:
	if (fd >= 0)
		sys_close(fd);
	buf_free(&b);
	return rc;
}

/* --- reading ---------------------------------------------------------- */

struct jreader {
	int fd;
	const char *path;
	char chunk[65536];
	size_t len, pos;
	uint64_t lineno;
	struct buf line;
	/* The group being read. */
	char archive[JOURNAL_ARCHIVE_MAX];
	struct doc_meta *docs;
	size_t n, cap;
	int in_group;       /* a B read, and no E yet */
	uint64_t group_line; /* the line of its B */
	const struct journal_visitor *v;
};

/* The next complete line, NUL-terminated without its LF, in r->line:
 * 1; 0 at the end (an unterminated last line is dropped); -1 after
 * saying why. */
static int
next_line(struct jreader *r)
{
	ssize_t got;
	char *nl;
	size_t take;

	buf_reset(&r->line);
	for (;;) {
		if (r->pos == r->len) {
			got = read_full(r->fd, r->chunk, sizeof(r->chunk));
			if (got < 0)
				return fail_sys("%s: read", r->path);
			if (got == 0)
				return 0; /* torn, or nothing */
			r->len = (size_t)got;
			r->pos = 0;
		}
		nl = memchr(r->chunk + r->pos, '\n', r->len - r->pos);
		take = nl ? (size_t)(nl - (r->chunk + r->pos)) : r->len - r->pos;
		if (r->line.len + take > META_LINE_MAX) {
			msg_data(r->path, r->lineno + 1, "a line longer than "
			    "csvpack writes; the journal is damaged");
			return fail_note(FAIL_SYS);
		}
		if (buf_append(&r->line, r->chunk + r->pos, take) < 0)
			return fail_nomem(r->path);
		r->pos += take;
		if (nl) {
			r->pos++;
			r->lineno++;
			if (buf_append(&r->line, "", 1) < 0)
				return fail_nomem(r->path);
			return 1;
		}
	}
}

/* Strict readers stop; a visitor with on_damage (verify) is told, the
 * group the damage is in is void, and reading goes on. */
static int
damaged(struct jreader *r, const char *what)
{
	if (r->v->on_damage) {
		r->in_group = 0;
		return r->v->on_damage(r->lineno, what, r->v->arg);
	}
	msg_data(r->path, r->lineno, "%s; the journal is damaged, and which "
	    "rows are archived cannot be told (csvpack will not guess)", what);
	return fail_note(FAIL_SYS);
}

/* "B name": a group begins (an open one before it was torn: ignored). */
static int
begin_group(struct jreader *r, const char *name)
{
	r->n = 0;
	r->in_group = 1;
	r->group_line = r->lineno;
	if (unescape(name, r->archive, sizeof(r->archive)) < 0)
		return damaged(r, "not an archive's name");
	return 0;
}

/* "D meta line": a document of the open group. */
static int
add_doc(struct jreader *r, const char *text)
{
	struct doc_meta *grown;
	size_t cap;

	if (!r->in_group)
		return damaged(r, "a document outside a group");
	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 64;
		if (!(grown = realloc(r->docs, cap * sizeof(*r->docs))))
			return fail_nomem(r->path);
		r->docs = grown;
		r->cap = cap;
	}
	if (meta_parse(text, &r->docs[r->n]) < 0)
		return damaged(r, "not a document's sid, rows and input");
	r->n++;
	return 0;
}

/* "E": the group is complete. */
static int
end_group(struct jreader *r)
{
	struct journal_group g;

	if (!r->in_group)
		return damaged(r, "the end of a group never begun");
	r->in_group = 0;
	g.archive = r->archive;
	g.docs = r->docs;
	g.n = r->n;
	g.line = r->group_line;
	return r->v->on_group(&g, r->v->arg) < 0 ? -1 : 0;
}

/* One complete line, in r->line. */
static int
take_line(struct jreader *r)
{
	const char *line = (const char *)r->line.data;
	size_t len = r->line.len - 1;

	if (len > 0 && line[len - 1] == '\r') {
		r->in_group = 0; /* cut short by a crash */
		return 0;
	}
	if (memchr(line, '\0', len))
		return damaged(r, "a NUL byte");
	if (line[0] == 'B' && line[1] == ' ')
		return begin_group(r, line + 2);
	if (line[0] == 'D' && line[1] == ' ')
		return add_doc(r, line + 2);
	if (strcmp(line, "E") == 0)
		return end_group(r);
	return damaged(r, "not a journal line");
}

int
journal_scan(int out_fd, const char *out_path,
    const struct journal_visitor *v)
{
	struct jreader *r = calloc(1, sizeof(*r));
	char path[4200];
	int rc, more = 0;

	journal_path(path, sizeof(path), out_path);
	if (!r)
		return fail_nomem(path);
	r->path = path;
	r->v = v;
	buf_init(&r->line, 0);
	rc = outdir_open_file(out_fd, out_path, JOURNAL_FILE, O_RDONLY, 0,
	    &r->fd);
	if (rc > 0) {
		rc = 0;
		while (rc == 0 && (more = next_line(r)) > 0)
			rc = take_line(r);
		if (more < 0)
			rc = -1;
		sys_close(r->fd);
	}
	buf_free(&r->line);
	free(r->docs);
	free(r);
	return rc < 0 ? -1 : 0;
}

struct group_adapter {
	journal_group_fn on_group;
	void *arg;
};

static int
adapt_group(const struct journal_group *g, void *arg)
{
	struct group_adapter *a = arg;

	return a->on_group(g->archive, g->docs, g->n, a->arg);
}

int
journal_read(int out_fd, const char *out_path, journal_group_fn on_group,
    void *arg)
{
	struct group_adapter a = { on_group, arg };
	struct journal_visitor v = { adapt_group, NULL, &a };

	return journal_scan(out_fd, out_path, &v);
}

/* --- archived documents still in staging ------------------------------ */

struct claim {
	char archive[JOURNAL_ARCHIVE_MAX]; /* the latest group listing it */
	uint64_t group;                    /* that group's number */
	uint64_t latest;  /* the latest group of that archive's name */
};

struct claims {
	const uint64_t *sids;
	size_t n;
	struct claim *claim;
	uint64_t groups;  /* complete groups read so far */
};

static int
cmp_sid(const void *key, const void *elem)
{
	uint64_t a = *(const uint64_t *)key, b = *(const uint64_t *)elem;

	return a < b ? -1 : a > b;
}

static int
claim_group(const char *archive, const struct doc_meta *docs, size_t n,
    void *arg)
{
	struct claims *cl = arg;
	const uint64_t *hit;
	struct claim *c;
	size_t i;

	cl->groups++;
	/* A newer complete group of an archive name that owns claims
	 * supersedes them. */
	for (i = 0; i < cl->n; i++)
		if (cl->claim[i].group &&
		    strcmp(cl->claim[i].archive, archive) == 0)
			cl->claim[i].latest = cl->groups;
	for (i = 0; i < n; i++) {
		hit = bsearch(&docs[i].sid, cl->sids, cl->n, sizeof(*cl->sids),
		    cmp_sid);
		if (hit) {
			c = &cl->claim[hit - cl->sids];
			snprintf(c->archive, sizeof(c->archive), "%s", archive);
			c->group = c->latest = cl->groups;
		}
	}
	return 0;
}

/* 1 if out/name is an archive csvpack made: there, a regular file of
 * ours (a name someone planted never gets documents deleted); 0 if not;
 * -1 after saying why. */
static int
archive_there(int out_fd, const char *out_path, const char *name)
{
	struct stat st;

	if (fstatat(out_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return fail_sys("%s/%s", out_path, name);
		return 0;
	}
	return S_ISREG(st.st_mode) && st.st_uid == geteuid();
}

int
journal_archived(int journal_fd, const char *journal_path, int out_fd,
    const char *out_path, const uint64_t *sids, size_t n,
    unsigned char *archived)
{
	struct claims cl = { sids, n, NULL, 0 };
	struct claim *c;
	size_t i;
	int rc = 0, there;

	memset(archived, 0, n);
	if (n == 0)
		return 0;
	if (!(cl.claim = calloc(n, sizeof(*cl.claim))))
		return fail_nomem(journal_path);
	if (journal_read(journal_fd, journal_path, claim_group, &cl) < 0) {
		free(cl.claim);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		c = &cl.claim[i];
		if (!c->group || c->latest != c->group)
			continue;
		if ((there = archive_there(out_fd, out_path, c->archive)) < 0)
			rc = -1;
		else
			archived[i] = (unsigned char)there;
	}
	free(cl.claim);
	return rc;
}
