/*
 * gz_stream.c - see gz_stream.h.
 */
#include "gz_stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GZ_OUT_SIZE (256 * 1024)

int
gz_open(struct gz_stream *g, int fd, int level)
{
	memset(g, 0, sizeof(*g));
	g->fd = fd;
	g->out = malloc(GZ_OUT_SIZE);
	if (!g->out)
		return errno = ENOMEM, -1;
	/* 15 + 16: a gzip wrapper, with zlib's default header (mtime 0). */
	if (deflateInit2(&g->z, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g->out);
		g->out = NULL;
		return errno = ENOMEM, -1;
	}
	g->open = 1;
	return 0;
}

static int
write_all(struct gz_stream *g, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(g->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			g->error = errno;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		g->bytes_out += (uint64_t)w;
	}
	return 0;
}

/* Runs deflate with flush until it has taken all input (and, for
 * Z_FINISH, ended the stream), writing out each full buffer. */
static int
pump(struct gz_stream *g, int flush)
{
	int rc;

	do {
		g->z.next_out = g->out;
		g->z.avail_out = GZ_OUT_SIZE;
		rc = deflate(&g->z, flush);
		if (rc == Z_STREAM_ERROR) {
			g->error = EINVAL;
			return -1;
		}
		if (write_all(g, g->out, GZ_OUT_SIZE - g->z.avail_out) < 0)
			return -1;
	} while (g->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	return 0;
}

int
gz_write(struct gz_stream *g, const void *p, size_t n)
{
	const unsigned char *q = p;

	if (g->error)
		return errno = g->error, -1;
	while (n > 0) {
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;

		g->z.next_in = (unsigned char *)q;
		g->z.avail_in = chunk;
		if (pump(g, Z_NO_FLUSH) < 0)
			return errno = g->error, -1;
		q += chunk;
		n -= chunk;
	}
	return 0;
}

int
gz_finish(struct gz_stream *g)
{
	if (g->error)
		return errno = g->error, -1;
	g->z.next_in = NULL;
	g->z.avail_in = 0;
	if (pump(g, Z_FINISH) < 0)
		return errno = g->error, -1;
	return 0;
}

void
gz_free(struct gz_stream *g)
{
	if (g->open)
		deflateEnd(&g->z);
	g->open = 0;
	free(g->out);
	g->out = NULL;
}
