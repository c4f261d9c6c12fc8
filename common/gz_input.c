/*
 * gz_input.c - see gz_input.h.
 *
 * One z_stream in gzip mode (windowBits 16 + 15) for the whole input,
 * reset at each member's end when the next bytes are the magic again.
 * Inflated bytes go straight into the caller's buffer.
 */
#include "gz_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GZ_IN_SIZE (64 * 1024)

int
gz_input_open(struct gz_input *g, struct csv_source inner)
{
	ssize_t n;

	memset(g, 0, sizeof(*g));
	g->inner = inner;
	g->line = 1;
	while (g->head_len < 2) {
		n = inner.read(inner.ctx, g->head + g->head_len,
		    2 - g->head_len);
		if (n < 0)
			return -1;
		if (n == 0) {
			g->in_eof = 1;
			break;
		}
		g->head_len += (size_t)n;
		g->raw_bytes += (uint64_t)n;
	}
	if (g->head_len < 2 || g->head[0] != 0x1f || g->head[1] != 0x8b)
		return 0;
	g->gzip = 1;
	g->in = malloc(GZ_IN_SIZE);
	if (!g->in) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(g->in, g->head, 2);
	g->head_len = 0;
	g->zs.next_in = g->in;
	g->zs.avail_in = 2;
	if (inflateInit2(&g->zs, 16 + MAX_WBITS) != Z_OK) {
		free(g->in);
		g->in = NULL;
		errno = ENOMEM;
		return -1;
	}
	g->zinit = 1;
	g->member = 1;
	g->member_line = 1;
	return 0;
}

void
gz_input_close(struct gz_input *g)
{
	if (g->zinit)
		inflateEnd(&g->zs);
	free(g->in);
	memset(g, 0, sizeof(*g));
}

const char *
gz_input_error(const struct gz_input *g)
{
	return g->why;
}

static int
damage(struct gz_input *g, int kind, const char *what)
{
	g->damaged = kind;
	if (kind == 2 && g->member > 1)
		snprintf(g->why, sizeof(g->why), "gzip stream ends early "
		    "(in member %u)", g->member);
	else if (kind == 2)
		snprintf(g->why, sizeof(g->why), "gzip stream ends early");
	else if (g->member > 1)
		snprintf(g->why, sizeof(g->why), "gzip stream is corrupt "
		    "(member %u: %s)", g->member, what);
	else
		snprintf(g->why, sizeof(g->why), "gzip stream is corrupt (%s)",
		    what);
	return -1;
}

/* Moves the unread compressed bytes to the front and reads more after
 * them.  Returns 1 if bytes came, 0 at the end, -1 (errno kept). */
static int
fill_in(struct gz_input *g)
{
	ssize_t n;

	if (g->in_eof)
		return 0;
	if (g->zs.avail_in > 0 && g->zs.next_in != g->in)
		memmove(g->in, g->zs.next_in, g->zs.avail_in);
	g->zs.next_in = g->in;
	n = g->inner.read(g->inner.ctx, g->in + g->zs.avail_in,
	    GZ_IN_SIZE - g->zs.avail_in);
	if (n < 0) {
		g->err_errno = errno;
		return -1;
	}
	if (n == 0) {
		g->in_eof = 1;
		return 0;
	}
	g->zs.avail_in += (uInt)n;
	g->raw_bytes += (uint64_t)n;
	return 1;
}

/* After a member: the next one, the end (zero padding included), or
 * damage.  Returns 1 (a member begins), 0 (the end), -1. */
static int
next_member(struct gz_input *g)
{
	size_t i;
	int rc;

	while (g->zs.avail_in < 2) {
		rc = fill_in(g);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
	}
	if (g->zs.avail_in == 0)
		return 0;
	if (g->zs.avail_in >= 2 && g->zs.next_in[0] == 0x1f &&
	    g->zs.next_in[1] == 0x8b) {
		if (inflateReset(&g->zs) != Z_OK)
			return damage(g, 1, "cannot restart inflate");
		g->member++;
		g->member_out = g->out_bytes;
		g->member_line = g->line;
		g->between = 0;
		return 1;
	}
	if (g->zs.avail_in == 1 && g->zs.next_in[0] == 0x1f) {
		g->member++;
		return damage(g, 2, NULL);
	}
	/* Zeros to the end are padding; anything else is not gzip. */
	for (;;) {
		for (i = 0; i < g->zs.avail_in; i++)
			if (g->zs.next_in[i] != 0)
				return damage(g, 1, "bytes after the last "
				    "member are not gzip");
		g->zs.avail_in = 0;
		rc = fill_in(g);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
	}
}

/* Counts the lines p[0..n) ends: every LF and CR, less each CRLF's LF. */
static void
count_lines(struct gz_input *g, const unsigned char *p, size_t n)
{
	uint64_t lf = 0, cr = 0, crlf = 0;
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		lf += p[i] == '\n';
		cr += p[i] == '\r';
	}
	for (i = 0; i + 1 < n; i++)
		crlf += p[i] == '\r' && p[i + 1] == '\n';
	if (g->prev_cr && p[0] == '\n')
		crlf++;
	g->line += lf + cr - crlf;
	g->prev_cr = p[n - 1] == '\r';
}

static ssize_t
handed(struct gz_input *g, unsigned char *buf, size_t got)
{
	count_lines(g, buf, got);
	g->out_bytes += got;
	return (ssize_t)got;
}

ssize_t
gz_input_read(void *ctx, void *buf, size_t n)
{
	struct gz_input *g = ctx;
	size_t take;
	ssize_t r;
	int rc;

	if (!g->gzip) {
		if (g->head_pos < g->head_len) {
			take = g->head_len - g->head_pos;
			take = take < n ? take : n;
			memcpy(buf, g->head + g->head_pos, take);
			g->head_pos += take;
			if (take == n || g->in_eof)
				return (ssize_t)take;
			r = g->inner.read(g->inner.ctx, (char *)buf + take,
			    n - take);
			if (r == 0)
				g->in_eof = 1;
			if (r < 0)
				g->err_errno = errno; /* the next call's */
			return (ssize_t)take + (r > 0 ? r : 0);
		}
		if (g->err_errno) {
			errno = g->err_errno;
			g->err_errno = 0;
			return -1;
		}
		if (g->in_eof)
			return 0;
		return g->inner.read(g->inner.ctx, buf, n);
	}
	if (g->err_errno) {
		errno = g->err_errno;
		return -1;
	}
	if (g->damaged) {
		errno = EBADMSG;
		return -1;
	}
	if (g->done || n == 0)
		return 0;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	g->zs.next_out = buf;
	g->zs.avail_out = (uInt)n;
	while (g->zs.avail_out == n) {
		if (g->between) {
			rc = next_member(g);
			if (rc < 0)
				break;
			if (rc == 0) {
				g->done = 1;
				break;
			}
		}
		if (g->zs.avail_in == 0) {
			rc = fill_in(g);
			if (rc < 0)
				break;
			if (rc == 0) {
				damage(g, 2, NULL);
				break;
			}
		}
		rc = inflate(&g->zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END) {
			g->between = 1;
		} else if (rc == Z_MEM_ERROR) {
			g->err_errno = ENOMEM;
			break;
		} else if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR ||
		    rc == Z_STREAM_ERROR) {
			damage(g, 1, g->zs.msg ? g->zs.msg : "bad data");
			break;
		}
		/* Z_OK, or Z_BUF_ERROR: it wants more input. */
	}
	if (g->zs.avail_out < n)
		return handed(g, buf, n - g->zs.avail_out);
	if (g->done)
		return 0;
	if (g->err_errno) {
		errno = g->err_errno;
		return -1;
	}
	errno = EBADMSG;
	return -1;
}
