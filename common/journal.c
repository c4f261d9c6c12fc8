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
#include "msg.h"
#include "staging.h"

void
meta_name(char *buf, size_t size, uint64_t sid)
{
	snprintf(buf, size, "%06" PRIu64 ".meta", sid);
}

/* Appends s with bytes <= ' ', '%' and DEL as %XX: one token, any name. */
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
unescape(const char *s, char *out, size_t size)
{
	size_t n = 0;
	unsigned v;

	for (; *s; s++) {
		if (n + 1 >= size)
			return -1;
		if (*s == '%') {
			if (sscanf(s + 1, "%2x", &v) != 1)
				return -1;
			out[n++] = (char)v;
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

/* Parses "<sid> <first> <last> <escaped source>". */
static int
parse_doc(const char *line, struct doc_meta *m)
{
	char src[sizeof(m->source) * 3];

	if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %12287s",
	    &m->sid, &m->first_row, &m->last_row, src) != 4)
		return -1;
	return unescape(src, m->source, sizeof(m->source));
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
meta_write(int staging_fd, const struct doc_meta *m)
{
	char name[40], tmp[48];
	struct buf b;
	int fd, rc = -1;

	meta_name(name, sizeof(name), m->sid);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	buf_init(&b, 0);
	if (put_doc(&b, "", m) < 0)
		goto out;
	fd = openat(staging_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	if (fd < 0)
		goto out;
	if (write_all(fd, b.data, b.len) < 0) {
		close(fd);
		unlinkat(staging_fd, tmp, 0);
		goto out;
	}
	if (close(fd) < 0 || renameat(staging_fd, tmp, staging_fd, name) < 0) {
		unlinkat(staging_fd, tmp, 0);
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

int
meta_read(int staging_fd, uint64_t sid, struct doc_meta *m)
{
	char name[40], line[sizeof(m->source) * 3 + 100];
	ssize_t n;
	int fd;

	meta_name(name, sizeof(name), sid);
	fd = openat(staging_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0 || line[n - 1] != '\n')
		return errno = EBADMSG, -1;
	line[n - 1] = '\0';
	if (parse_doc(line, m) < 0 || m->sid != sid)
		return errno = EBADMSG, -1;
	return 0;
}

int
journal_append(int out_fd, const char *out_path, const char *archive,
    const struct doc_meta *docs, size_t n)
{
	struct buf b;
	struct stat st;
	char last;
	size_t i;
	int fd, rc = -1;

	buf_init(&b, 0);
	fd = openat(out_fd, JOURNAL_FILE, O_RDWR | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0644);
	if (fd < 0) {
		msg_warn_errno("%s/%s", out_path, JOURNAL_FILE);
		goto out;
	}
	/* A torn last line from a crash: start ours on a line of its own. */
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n' &&
	    buf_append(&b, "\n", 1) < 0)
		goto nomem;
	if (buf_append(&b, "B ", 2) < 0 || put_escaped(&b, archive) < 0 ||
	    buf_append(&b, "\n", 1) < 0)
		goto nomem;
	for (i = 0; i < n; i++)
		if (put_doc(&b, "D ", &docs[i]) < 0)
			goto nomem;
	if (buf_append(&b, "E\n", 2) < 0)
		goto nomem;
	if (write_all(fd, b.data, b.len) < 0 || fsync(fd) < 0) {
		msg_warn_errno("%s/%s", out_path, JOURNAL_FILE);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	msg_warn("out of memory");
out:
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return rc;
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
	return in && add_range(in, m->first_row, m->last_row) == 0 ? 0 : -1;
}

/* Reads the journal group by group; only E-terminated groups count. */
static int
load_journal(const char *out_path, struct coverage *c)
{
	char path[4200];
	struct doc_meta *group = NULL, *grown;
	size_t n = 0, cap = 0, i, linecap = 0;
	char *line = NULL;
	ssize_t len;
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", out_path, JOURNAL_FILE);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : (msg_warn_errno("%s", path), -1);
	while ((len = getline(&line, &linecap, f)) > 0) {
		if (line[len - 1] != '\n')
			break; /* torn */
		line[len - 1] = '\0';
		if (line[0] == 'B') {
			n = 0;
		} else if (line[0] == 'D') {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				grown = realloc(group, cap * sizeof(*group));
				if (!grown) {
					rc = -1;
					break;
				}
				group = grown;
			}
			if (parse_doc(line + 2, &group[n]) == 0)
				n++;
		} else if (line[0] == 'E') {
			for (i = 0; i < n && rc == 0; i++)
				rc = cover(c, &group[i]);
			n = 0;
		}
	}
	if (ferror(f)) {
		msg_warn_errno("%s", path);
		rc = -1;
	} else if (rc < 0) {
		msg_warn("%s: out of memory", path);
	}
	fclose(f);
	free(line);
	free(group);
	return rc;
}

static int
load_staging(const char *out_path, struct coverage *c)
{
	struct doc_meta m;
	uint64_t *sids;
	size_t n, i;
	char path[4200];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", out_path, STAGING_DIR);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : (msg_warn_errno("%s", path), -1);
	if (staging_list(fd, path, &sids, &n) < 0) {
		close(fd);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (sids[i] > c->max_sid)
			c->max_sid = sids[i];
		/* An incomplete document is removed at the next start and
		 * its rows read again: they are not covered. */
		if (staging_doc_complete(fd, sids[i]) &&
		    meta_read(fd, sids[i], &m) == 0)
			rc = cover(c, &m);
	}
	free(sids);
	close(fd);
	return rc;
}

int
coverage_load(const char *out_path, struct coverage *c)
{
	/* Staging first: a document the packer deletes meanwhile was
	 * journaled before it went, so the journal, read next, has it. */
	memset(c, 0, sizeof(*c));
	if (load_staging(out_path, c) < 0 || load_journal(out_path, c) < 0) {
		coverage_free(c);
		return -1;
	}
	return 0;
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
	char archive[256];  /* the latest group that listed the sid */
	uint64_t group;     /* that group's index in the journal */
};

static int
cmp_sid(const void *key, const void *elem)
{
	uint64_t a = *(const uint64_t *)key, b = *(const uint64_t *)elem;

	return a < b ? -1 : a > b;
}

int
journal_archived(int out_fd, const char *out_path, const uint64_t *sids,
    size_t n, unsigned char *archived)
{
	struct claim *claim = calloc(n ? n : 1, sizeof(*claim));
	char archive[256] = "", path[4200], *line = NULL;
	uint64_t group = 0, *latest = NULL;
	size_t linecap = 0, i, pending = 0, *pend = NULL;
	struct doc_meta m;
	struct stat st;
	ssize_t len;
	FILE *f;
	int rc = 0;

	memset(archived, 0, n);
	snprintf(path, sizeof(path), "%s/%s", out_path, JOURNAL_FILE);
	f = fopen(path, "re");
	if (!f || !claim) {
		free(claim);
		if (f)
			fclose(f);
		return !f && errno == ENOENT ? 0 :
		    (msg_warn_errno("%s", path), -1);
	}
	latest = calloc(n ? n : 1, sizeof(*latest));
	pend = calloc(n ? n : 1, sizeof(*pend));
	if (!latest || !pend) {
		rc = -1;
		goto out;
	}
	while ((len = getline(&line, &linecap, f)) > 0) {
		const uint64_t *hit;

		if (line[len - 1] != '\n')
			break; /* torn */
		line[len - 1] = '\0';
		if (line[0] == 'B') {
			group++;
			pending = 0;
			if (unescape(line + 2, archive, sizeof(archive)) < 0)
				archive[0] = '\0';
		} else if (line[0] == 'D' && parse_doc(line + 2, &m) == 0) {
			hit = n ? bsearch(&m.sid, sids, n, sizeof(*sids),
			    cmp_sid) : NULL;
			if (hit && pending < n)
				pend[pending++] = (size_t)(hit - sids);
		} else if (line[0] == 'E') {
			/* A newer complete group of an archive name that owns
			 * claims supersedes them. */
			for (i = 0; i < n; i++)
				if (claim[i].group &&
				    strcmp(claim[i].archive, archive) == 0)
					latest[i] = group;
			for (i = 0; i < pending; i++) {
				struct claim *c = &claim[pend[i]];

				snprintf(c->archive, sizeof(c->archive), "%s",
				    archive);
				c->group = group;
				latest[pend[i]] = group;
			}
			pending = 0;
		}
	}
	if (ferror(f)) {
		msg_warn_errno("%s", path);
		rc = -1;
		goto out;
	}
	for (i = 0; i < n; i++)
		archived[i] = claim[i].group && latest[i] == claim[i].group &&
		    fstatat(out_fd, claim[i].archive, &st, 0) == 0;
out:
	if (rc < 0 && !ferror(f))
		msg_warn("%s: out of memory", path);
	fclose(f);
	free(line);
	free(claim);
	free(latest);
	free(pend);
	return rc;
}
