/*
 * gz_stream.h - a gzip stream onto a file descriptor, with zlib.
 *
 * The gzip header carries no name and mtime 0, so the same bytes in give
 * the same archive out.  Errors are honest: a failed write(2) is kept with
 * its errno (ENOSPC, EFBIG, EIO, ...) and every later call fails with it.
 */
#ifndef CSVPACK_GZ_STREAM_H
#define CSVPACK_GZ_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

struct gz_stream {
	z_stream z;
	int fd;
	int error;          /* errno of the first failure, 0 if none */
	int open;
	unsigned char *out;
	uint64_t bytes_out; /* compressed bytes written */
};

/* Returns 0, or -1 with errno set. */
int gz_open(struct gz_stream *g, int fd, int level);
int gz_write(struct gz_stream *g, const void *p, size_t n);
/* Finishes the stream and writes its tail.  Returns 0, or -1 with errno. */
int gz_finish(struct gz_stream *g);
/* Frees everything; safe after a failure, and twice. */
void gz_free(struct gz_stream *g);

#endif
