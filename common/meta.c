/*
 * meta.c - see meta.h.
 */
#include "meta.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape.h"
#include "fail.h"
#include "msg.h"
#include "outdir.h"
#include "sysio.h"

void
meta_name(char *buf, size_t size, uint64_t sid)
{
	snprintf(buf, size, "%06" PRIu64 ".meta", sid);
}

int
meta_format(struct buf *b, const char *tag, const struct doc_meta *m)
{
	char head[160];

	snprintf(head, sizeof(head), "%s%" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu64 " %" PRIu64 " ", tag, m->sid, m->first_row,
	    m->last_row, m->first_line, m->last_line);
	if (buf_append(b, head, strlen(head)) < 0 ||
	    escape_append(b, m->source) < 0 || buf_append(b, "\n", 1) < 0)
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

int
meta_parse(const char *line, struct doc_meta *m)
{
	if (parse_u64_sp(&line, &m->sid) < 0 ||
	    parse_u64_sp(&line, &m->first_row) < 0 ||
	    parse_u64_sp(&line, &m->last_row) < 0)
		return -1;
	/* first 0: a document of unknown origin; otherwise a range. */
	if (m->first_row != 0 && m->last_row < m->first_row)
		return -1;
	/* Lines, unless this is the older form (a name holds no space). */
	m->first_line = m->last_line = 0;
	if (strchr(line, ' ') && (parse_u64_sp(&line, &m->first_line) < 0 ||
	    parse_u64_sp(&line, &m->last_line) < 0 ||
	    m->last_line < m->first_line))
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
	if (meta_format(&b, "", m) < 0)
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
	char line[META_LINE_MAX + 2];
	ssize_t n = read_full(fd, line, sizeof(line) - 1);

	if (n < 0)
		return -1;
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', (size_t)n - 1))
		return errno = EBADMSG, -1;
	line[n - 1] = '\0';
	if (meta_parse(line, m) < 0 || m->sid != sid)
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
