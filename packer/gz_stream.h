/*
 * gz_stream.h - a gzip stream onto a file descriptor, compressed in blocks
 * on several threads (pigz's method) while the converter waits.
 *
 * The input is cut into 128 KiB blocks.  Each block is raw-deflated on its
 * own, primed with the 32 KiB before it as dictionary and ended with a sync
 * flush (the last with Z_FINISH), so the blocks laid end to end are one
 * ordinary deflate stream; the CRC-32s of the blocks are joined with
 * crc32_combine().  What a block compresses to depends only on its bytes
 * and the 32 KiB before them: the output is the same for any thread count,
 * and within a fraction of a percent of one-shot deflate.
 *
 * The gzip header carries no name and mtime 0, so the same bytes in give
 * the same archive out.  Errors are honest: a failed write(2) is kept with
 * its errno (ENOSPC, EFBIG, EIO, ...) and every later call fails with it.
 * Memory: about 2 x threads x 300 KiB.
 */
#ifndef CSVPACK_GZ_STREAM_H
#define CSVPACK_GZ_STREAM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

struct gz_job;

struct gz_stream {
	int fd;
	int level;
	int error;            /* errno of the first failure, 0 if none */
	unsigned char header[10];
	uint64_t bytes_in, bytes_out;
	uLong crc;
	/* Blocks in flight, a ring of njobs slots in submission order. */
	struct gz_job *jobs;
	int njobs;
	uint64_t submitted, written; /* block sequence numbers */
	struct gz_job *filling;      /* the block being filled, or NULL */
	unsigned char *tail;         /* the last 32 KiB of input so far */
	size_t tail_len;
	/* Workers (none when threads == 1: blocks are compressed inline). */
	pthread_t *workers;
	int nworkers;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	uint64_t next_to_take;
	int stopping;
	int sync_ready;
};

/* Returns 0, or -1 with errno set. */
int gz_open(struct gz_stream *g, int fd, int level, int threads);
int gz_write(struct gz_stream *g, const void *p, size_t n);
/* Finishes the stream and writes its tail.  Returns 0, or -1 with errno. */
int gz_finish(struct gz_stream *g);
/* Stops the workers and frees everything; safe after a failure. */
void gz_free(struct gz_stream *g);

#endif
