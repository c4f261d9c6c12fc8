/*
 * journal.c - see journal.h.
 */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fail.h"
#include "msg.h"
#include "outdir.h"
#include "staging.h"
#include "sysio.h"

/* The longest line csvpack writes: "D", three numbers, a name of fewer
 * than 4096 bytes, each %XX-escaped at worst. */
#define LINE_MAX_LEN (sizeof(((struct doc_meta *)0)->source) * 3 + 100)
#define ARCHIVE_NAME_MAX 256

void
meta_name(char *buf, size_t size, uint64_t sid)
{
	snprintf(buf, size, "%06" PRIu64 ".meta", sid);
}

/* Appends s with bytes <= ' ', '%' and DEL as %XX: one token, any name
 * (and never a CR: see journal.h). */
static int
put_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == '%' || *p == 0x7F) {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			if (buf_append(b, e, 3) < 0)
				return -1;
		} else if (buf_append(b, p, 1) < 0) {
			return -1;
		}
	}
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The inverse of put_escaped, for one token: -1 if s is empty, holds a
 * byte put_escaped escapes, a bad %XX or a NUL, or does not fit. */
static int
unescape(const char *s, char *out, size_t size)
{
	size_t n = 0;
	int hi, lo;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (n + 1 >= size || (unsigned char)*s <= ' ' || *s == 0x7F)
			return -1;
		if (*s == '%') {
			if ((hi = hex_digit(s[1])) < 0 || (lo = hex_digit(s[2])) < 0
			    || (hi == 0 && lo == 0))
				return -1;
			out[n++] = (char)(hi << 4 | lo);
			s += 2;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return 0;
}

static int
put_doc(struct buf *b, const char *tag, const struct doc_meta *m)
{
	char head[96];

	snprintf(head, sizeof(head), "%s%" PRIu64 " %" PRIu64 " %" PRIu64 " ",
	    tag, m->sid, m->first_row, m->last_row);
	if (buf_append(b, head, strlen(head)) < 0 || put_escaped(b, m->source) < 0 ||
	    buf_append(b, "\n", 1) < 0)
		return -1;
	return 0;
}

/* A decimal number followed by one space; advances *p past both. */
static int
parse_u64_sp(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (*s != ' ')
		return -1;
	*v = x;
	*p = s + 1;
	return 0;
}

/* Parses "<sid> <first> <last> <escaped source>", exactly. */
static int
parse_doc(const char *line, struct doc_meta *m)
{
	if (parse_u64_sp(&line, &m->sid) < 0 ||
	    parse_u64_sp(&line, &m->first_row) < 0 ||
	    parse_u64_sp(&line, &m->last_row) < 0)
		return -1;
	/* first 0: a document of unknown origin (older journals wrote
	 * those as "0 0 ?"); otherwise a range. */
	if (m->first_row != 0 && m->last_row < m->first_row)
		return -1;
	return unescape(line, m->source, sizeof(m->source));
}

int
meta_write(int staging_fd, const struct doc_meta *m)
{
	char name[40], tmp[48];
	struct buf b;
	int fd, rc = -1, saved;

	meta_name(name, sizeof(name), m->sid);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	buf_init(&b, 0);
	if (put_doc(&b, "", m) < 0)
		goto out;
	if ((fd = outdir_create_excl(staging_fd, tmp, 0644)) < 0)
		goto out;
	if (write_full(fd, b.data, b.len) < 0) {
		saved = errno;
		sys_close(fd);
		goto unlink;
	}
	if (sys_close(fd) < 0 || renameat(staging_fd, tmp, staging_fd, name) < 0) {
		saved = errno;
		goto unlink;
	}
	rc = 0;
	goto out;
unlink:
	unlinkat(staging_fd, tmp, 0);
	errno = saved;
out:
	buf_free(&b);
	return rc;
}

/* Reads an open meta: 0, or -1 with errno (EBADMSG: not one of ours). */
static int
read_meta_fd(int fd, uint64_t sid, struct doc_meta *m)
{
	char line[LINE_MAX_LEN + 2];
	ssize_t n = read_full(fd, line, sizeof(line) - 1);

	if (n < 0)
		return -1;
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', (size_t)n - 1))
		return errno = EBADMSG, -1;
	line[n - 1] = '\0';
	if (parse_doc(line, m) < 0 || m->sid != sid)
		return errno = EBADMSG, -1;
	return 0;
}

int
meta_read(int staging_fd, uint64_t sid, struct doc_meta *m)
{
	char name[40];
	struct stat st;
	int fd, rc, saved;

	meta_name(name, sizeof(name), sid);
	fd = sys_openat(staging_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		rc = -1;
	else if (!S_ISREG(st.st_mode))
		rc = (errno = EBADMSG, -1);
	else
		rc = read_meta_fd(fd, sid, m);
	saved = errno;
	sys_close(fd);
	errno = saved;
	return rc;
}

int
meta_load(int staging_fd, const char *staging_path, uint64_t sid,
    struct doc_meta *m)
{
	char name[40];
	int fd, rc;

	meta_name(name, sizeof(name), sid);
	if ((rc = outdir_open_read(staging_fd, staging_path, name, &fd)) <= 0)
		return rc;
	rc = read_meta_fd(fd, sid, m);
	if (rc < 0 && errno == EBADMSG) {
		msg_warn("%s/%s: not a meta file csvpack wrote (sid %" PRIu64
		    ": first row, last row, input)", staging_path, name, sid);
		fail_note(FAIL_SYS);
	} else if (rc < 0) {
		fail_sys("%s/%s: read", staging_path, name);
	}
	sys_close(fd);
	return rc < 0 ? -1 : 1;
}

static void
journal_path(char *buf, size_t size, const char *out_path)
{
	snprintf(buf, size, "%s/%s", out_path, JOURNAL_FILE);
}

int
journal_append(int out_fd, const char *out_path, const char *archive,
    const struct doc_meta *docs, size_t n)
{
	char path[4200], last;
	struct buf b;
	struct stat st;
	size_t i;
	ssize_t got;
	int fd, rc = -1;

	journal_path(path, sizeof(path), out_path);
	buf_init(&b, 0);
	if (outdir_open_file(out_fd, out_path, JOURNAL_FILE,
	    O_RDWR | O_CREAT | O_APPEND, 0644, &fd) < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		fail_sys("%s: fstat", path);
		goto out;
	}
	/* A line a crash cut short: closed with CR LF, which voids it and
	 * its group (journal.h), and ours starts on a line of its own. */
	if (st.st_size > 0) {
		got = pread_full(fd, &last, 1, st.st_size - 1);
		if (got < 0) {
			fail_sys("%s: read", path);
			goto out;
		}
		if (got == 1 && last != '\n' && buf_append(&b, "\r\n", 2) < 0)
			goto nomem;
	}
	if (buf_append(&b, "B ", 2) < 0 || put_escaped(&b, archive) < 0 ||
	    buf_append(&b, "\n", 1) < 0)
		goto nomem;
	for (i = 0; i < n; i++)
		if (put_doc(&b, "D ", &docs[i]) < 0)
			goto nomem;
	if (buf_append(&b, "E\n", 2) < 0)
		goto nomem;
	if (write_full(fd, b.data, b.len) < 0 || sys_fsync(fd) < 0) {
		fail_sys("%s", path);
		goto out;
	}
	rc = sys_close(fd);
	fd = -1;
	if (rc < 0)
		fail_sys("%s: close", path);
	goto out;
nomem:
	fail_nomem(path);
out:
	if (fd >= 0)
		sys_close(fd);
	buf_free(&b);
	return rc;
}

/* --- reading the journal ---------------------------------------------- */

struct jgroup {
	char archive[ARCHIVE_NAME_MAX];
	struct doc_meta *docs;
	size_t n, cap;
	uint64_t index;     /* 1 for the journal's first group, ... */
};

/* Called for each complete group; non-zero stops the scan. */
typedef int (*group_fn)(void *arg, const struct jgroup *g);

struct jreader {
	int fd;
	const char *path;
	char chunk[65536];
	size_t len, pos;
	uint64_t lineno;
	struct buf line;
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
		if (r->line.len + take > LINE_MAX_LEN) {
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

static int
damaged(struct jreader *r, const char *what)
{
	msg_data(r->path, r->lineno, "%s; the journal is damaged, and which "
	    "rows are archived cannot be told (csvpack will not guess)", what);
	return fail_note(FAIL_SYS);
}

/* Reads the journal of the output directory group by group, strictly
 * (journal.h).  A missing journal is an empty one. */
static int
journal_scan(int out_fd, const char *out_path, group_fn fn, void *arg)
{
	struct jreader *r = malloc(sizeof(*r));
	struct jgroup g;
	struct doc_meta *grown;
	char path[4200];
	int rc, open_group = 0, more = 0;

	journal_path(path, sizeof(path), out_path);
	if (!r)
		return fail_nomem(path);
	memset(&g, 0, sizeof(g));
	r->path = path;
	r->len = r->pos = 0;
	r->lineno = 0;
	buf_init(&r->line, 0);
	rc = outdir_open_file(out_fd, out_path, JOURNAL_FILE, O_RDONLY, 0,
	    &r->fd);
	if (rc <= 0)
		goto out;
	rc = 0;
	while (rc == 0 && (more = next_line(r)) > 0) {
		const char *line = (const char *)r->line.data;
		size_t len = r->line.len - 1;

		if (len > 0 && line[len - 1] == '\r') {
			open_group = 0; /* cut short by a crash */
		} else if (memchr(line, '\0', len)) {
			rc = damaged(r, "a NUL byte");
		} else if (line[0] == 'B' && line[1] == ' ') {
			/* An open group before it was torn: ignored. */
			if (unescape(line + 2, g.archive, sizeof(g.archive)) < 0)
				rc = damaged(r, "not an archive's name");
			g.n = 0;
			g.index++;
			open_group = 1;
		} else if (line[0] == 'D' && line[1] == ' ') {
			if (!open_group) {
				rc = damaged(r, "a document outside a group");
				break;
			}
			if (g.n == g.cap) {
				size_t cap = g.cap ? g.cap * 2 : 64;

				if (!(grown = realloc(g.docs, cap *
				    sizeof(*g.docs)))) {
					rc = fail_nomem(path);
					break;
				}
				g.docs = grown;
				g.cap = cap;
			}
			if (parse_doc(line + 2, &g.docs[g.n]) < 0)
				rc = damaged(r, "not a document's sid, rows and "
				    "input");
			g.n++;
		} else if (strcmp(line, "E") == 0) {
			if (!open_group) {
				rc = damaged(r, "the end of a group never begun");
				break;
			}
			open_group = 0;
			rc = fn(arg, &g);
		} else {
			rc = damaged(r, "not a journal line");
		}
	}
	if (rc == 0 && more < 0)
		rc = -1;
	sys_close(r->fd);
out:
	buf_free(&r->line);
	free(r);
	free(g.docs);
	return rc < 0 ? -1 : 0;
}

/* --- coverage --------------------------------------------------------- */

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
cover_group(void *arg, const struct jgroup *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (cover(arg, &g->docs[i]) < 0)
			return -1;
	return 0;
}

static int
load_staging(int out_fd, const char *out_path, struct coverage *c)
{
	struct doc_meta m;
	struct stat st;
	uint64_t *sids = NULL;
	size_t n = 0, i;
	char *path, doc[40];
	int fd, rc, ok;

	if ((rc = staging_find(out_fd, out_path, &fd, &path)) <= 0)
		return rc;
	rc = staging_list(fd, path, &sids, &n);
	for (i = 0; i < n && rc == 0; i++) {
		if (sids[i] > c->max_sid)
			c->max_sid = sids[i];
		/* An incomplete document is removed at the next start and
		 * its rows read again: they are not covered. */
		if ((ok = staging_doc_complete(fd, path, sids[i])) <= 0) {
			rc = ok;
			continue;
		}
		if ((ok = meta_load(fd, path, sids[i], &m)) > 0) {
			rc = cover(c, &m);
			continue;
		}
		if (ok < 0) {
			rc = -1;
			continue;
		}
		/* No meta: the packer may have just deleted both (the
		 * journal, read next, has the rows then); else its rows are
		 * unknown, and the packer would refuse it too. */
		staging_doc_name(doc, sizeof(doc), sids[i]);
		if (fstatat(fd, doc, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno == ENOENT)
			continue;
		meta_name(doc, sizeof(doc), sids[i]);
		errno = ENOENT;
		rc = fail_sys("%s/%s: the rows of a staged document are "
		    "unknown", path, doc);
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
	    journal_scan(out_fd, out_path, cover_group, c) < 0) {
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

/* --- archived documents still in staging ------------------------------ */

struct claim {
	char archive[ARCHIVE_NAME_MAX]; /* the latest group that listed it */
	uint64_t group;                 /* that group's index */
	uint64_t latest;  /* the latest group of that archive's name */
};

struct claims {
	const uint64_t *sids;
	size_t n;
	struct claim *claim;
};

static int
cmp_sid(const void *key, const void *elem)
{
	uint64_t a = *(const uint64_t *)key, b = *(const uint64_t *)elem;

	return a < b ? -1 : a > b;
}

static int
claim_group(void *arg, const struct jgroup *g)
{
	struct claims *cl = arg;
	const uint64_t *hit;
	size_t i;

	/* A newer complete group of an archive name that owns claims
	 * supersedes them. */
	for (i = 0; i < cl->n; i++)
		if (cl->claim[i].group &&
		    strcmp(cl->claim[i].archive, g->archive) == 0)
			cl->claim[i].latest = g->index;
	for (i = 0; i < g->n; i++) {
		hit = bsearch(&g->docs[i].sid, cl->sids, cl->n,
		    sizeof(*cl->sids), cmp_sid);
		if (hit) {
			struct claim *c = &cl->claim[hit - cl->sids];

			memcpy(c->archive, g->archive, sizeof(c->archive));
			c->group = c->latest = g->index;
		}
	}
	return 0;
}

int
journal_archived(int out_fd, const char *out_path, const uint64_t *sids,
    size_t n, unsigned char *archived)
{
	struct claims cl = { sids, n, NULL };
	struct stat st;
	size_t i;
	int rc = 0;

	memset(archived, 0, n);
	if (n == 0)
		return 0;
	if (!(cl.claim = calloc(n, sizeof(*cl.claim))))
		return fail_nomem(out_path);
	if (journal_scan(out_fd, out_path, claim_group, &cl) < 0) {
		free(cl.claim);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		struct claim *c = &cl.claim[i];

		if (!c->group || c->latest != c->group)
			continue;
		/* The archive must be there, and be one csvpack made: a
		 * name someone planted never gets documents deleted. */
		if (fstatat(out_fd, c->archive, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				rc = fail_sys("%s/%s", out_path, c->archive);
			continue;
		}
		archived[i] = S_ISREG(st.st_mode) && st.st_uid == geteuid();
	}
	free(cl.claim);
	return rc;
}
