/*
 * gz_stream.c - see gz_stream.h.
 *
 * Jobs live in a ring of slots; the writer fills slot (submitted % njobs),
 * hands it to the workers, and before reusing a slot writes out the block
 * it held, in order.  One mutex and two condition variables: "work" wakes
 * workers for a new block, "done" wakes the writer for a finished one.
 */
#include "gz_stream.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GZ_BLOCK (128 * 1024)
#define GZ_DICT (32 * 1024)

enum job_state { JOB_FREE, JOB_FILLING, JOB_READY, JOB_BUSY, JOB_DONE };

struct gz_job {
	enum job_state state;
	uint64_t seq;
	int last;
	unsigned char *in;
	size_t in_len;
	unsigned char dict[GZ_DICT];
	size_t dict_len;
	unsigned char *out;
	size_t out_len, out_cap;
	uLong crc;
	int error;
};

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

/* Compresses one block; runs on a worker, or inline. */
static void
compress_job(struct gz_job *j, int level)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	j->crc = crc32(0L, j->in, (uInt)j->in_len);
	if (deflateInit2(&z, level, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		j->error = ENOMEM;
		return;
	}
	if (j->dict_len)
		deflateSetDictionary(&z, j->dict, (uInt)j->dict_len);
	z.next_in = j->in;
	z.avail_in = (uInt)j->in_len;
	z.next_out = j->out;
	z.avail_out = (uInt)j->out_cap;
	rc = deflate(&z, j->last ? Z_FINISH : Z_SYNC_FLUSH);
	if ((j->last && rc != Z_STREAM_END) || (!j->last && rc != Z_OK) ||
	    z.avail_in != 0)
		j->error = EIO; /* out_cap is deflateBound(): cannot happen */
	j->out_len = j->out_cap - z.avail_out;
	deflateEnd(&z);
}

static void *
worker(void *arg)
{
	struct gz_stream *g = arg;
	struct gz_job *j;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (!g->stopping && (g->next_to_take == g->submitted ||
		    g->jobs[g->next_to_take % g->njobs].state != JOB_READY))
			pthread_cond_wait(&g->work, &g->lock);
		if (g->stopping)
			break;
		j = &g->jobs[g->next_to_take++ % g->njobs];
		j->state = JOB_BUSY;
		pthread_mutex_unlock(&g->lock);
		compress_job(j, g->level);
		pthread_mutex_lock(&g->lock);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* Writes out the oldest block once it is done; frees its slot. */
static int
write_oldest(struct gz_stream *g)
{
	struct gz_job *j = &g->jobs[g->written % g->njobs];

	if (g->nworkers) {
		pthread_mutex_lock(&g->lock);
		while (j->state != JOB_DONE)
			pthread_cond_wait(&g->done, &g->lock);
		pthread_mutex_unlock(&g->lock);
	}
	j->state = JOB_FREE;
	g->written++;
	if (j->error) {
		g->error = j->error;
		return -1;
	}
	g->crc = crc32_combine(g->crc, j->crc, (z_off_t)j->in_len);
	if (g->bytes_out == 0 && write_all(g, g->header, sizeof(g->header)) < 0)
		return -1;
	return write_all(g, j->out, j->out_len);
}

/* Hands the block being filled to the workers (or compresses it). */
static int
submit(struct gz_stream *g, int last)
{
	struct gz_job *j = g->filling;
	size_t keep;

	j->last = last;
	/* The next block's dictionary: the last 32 KiB of input so far. */
	memcpy(j->dict, g->tail, g->tail_len);
	j->dict_len = g->tail_len;
	if (j->in_len >= GZ_DICT) {
		memcpy(g->tail, j->in + j->in_len - GZ_DICT, GZ_DICT);
		g->tail_len = GZ_DICT;
	} else {
		keep = g->tail_len + j->in_len > GZ_DICT ?
		    GZ_DICT - j->in_len : g->tail_len;
		memmove(g->tail, g->tail + g->tail_len - keep, keep);
		memcpy(g->tail + keep, j->in, j->in_len);
		g->tail_len = keep + j->in_len;
	}
	g->filling = NULL;
	if (!g->nworkers) {
		compress_job(j, g->level);
		j->state = JOB_DONE;
		g->submitted++;
		return 0;
	}
	pthread_mutex_lock(&g->lock);
	j->state = JOB_READY;
	g->submitted++;
	pthread_cond_broadcast(&g->work);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

/* The slot for the next block, writing out the block it held first. */
static int
next_slot(struct gz_stream *g)
{
	struct gz_job *j;

	if (g->submitted - g->written == (uint64_t)g->njobs &&
	    write_oldest(g) < 0)
		return -1;
	j = &g->jobs[g->submitted % g->njobs];
	j->state = JOB_FILLING;
	j->seq = g->submitted;
	j->in_len = 0;
	j->error = 0;
	g->filling = j;
	return 0;
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

int
gz_open(struct gz_stream *g, int fd, int level, int threads)
{
	/* RFC 1952: deflate, no flags, mtime 0, XFL as zlib sets it, Unix.
	 * It goes out with the first block. */
	static const unsigned char header[10] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3,
	};
	sigset_t all, old;
	int i;

	memset(g, 0, sizeof(*g));
	g->fd = fd;
	g->level = level;
	g->crc = crc32(0L, Z_NULL, 0);
	memcpy(g->header, header, sizeof(header));
	g->header[8] = level == 9 ? 2 : level == 1 ? 4 : 0;
	g->njobs = threads > 1 ? 2 * threads : 1;
	g->jobs = calloc((size_t)g->njobs, sizeof(*g->jobs));
	g->tail = malloc(GZ_DICT);
	if (!g->jobs || !g->tail)
		goto nomem;
	for (i = 0; i < g->njobs; i++) {
		g->jobs[i].in = malloc(GZ_BLOCK);
		g->jobs[i].out_cap = compressBound(GZ_BLOCK) + 64;
		g->jobs[i].out = malloc(g->jobs[i].out_cap);
		if (!g->jobs[i].in || !g->jobs[i].out)
			goto nomem;
	}
	if (threads > 1) {
		g->workers = calloc((size_t)threads, sizeof(*g->workers));
		if (!g->workers)
			goto nomem;
		pthread_mutex_init(&g->lock, NULL);
		pthread_cond_init(&g->work, NULL);
		pthread_cond_init(&g->done, NULL);
		g->sync_ready = 1;
		/* Workers take no signals: a SIGINT must reach the main
		 * thread, whose blocking calls it interrupts. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		for (i = 0; i < threads; i++) {
			if (pthread_create(&g->workers[i], NULL, worker, g) != 0)
				break;
			g->nworkers++;
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (g->nworkers == 0)
			goto nomem;
	}
	if (next_slot(g) < 0) {
		errno = g->error;
		gz_free(g);
		return -1;
	}
	return 0;
nomem:
	gz_free(g);
	return errno = ENOMEM, -1;
}

int
gz_write(struct gz_stream *g, const void *p, size_t n)
{
	const unsigned char *q = p;
	struct gz_job *j;
	size_t take;

	while (n > 0 && !g->error) {
		j = g->filling;
		take = GZ_BLOCK - j->in_len < n ? GZ_BLOCK - j->in_len : n;
		memcpy(j->in + j->in_len, q, take);
		j->in_len += take;
		q += take;
		n -= take;
		g->bytes_in += take;
		if (j->in_len == GZ_BLOCK && (submit(g, 0) < 0 ||
		    next_slot(g) < 0))
			break;
	}
	return g->error ? (errno = g->error, -1) : 0;
}

int
gz_finish(struct gz_stream *g)
{
	unsigned char trailer[8];

	if (g->error)
		return errno = g->error, -1;
	submit(g, 1);
	while (g->written < g->submitted)
		if (write_oldest(g) < 0)
			return errno = g->error, -1;
	put_le32(trailer, (uint32_t)g->crc);
	put_le32(trailer + 4, (uint32_t)g->bytes_in);
	if (write_all(g, trailer, sizeof(trailer)) < 0)
		return errno = g->error, -1;
	return 0;
}

void
gz_free(struct gz_stream *g)
{
	int i;

	if (g->nworkers) {
		pthread_mutex_lock(&g->lock);
		g->stopping = 1;
		pthread_cond_broadcast(&g->work);
		pthread_mutex_unlock(&g->lock);
		for (i = 0; i < g->nworkers; i++)
			pthread_join(g->workers[i], NULL);
	}
	if (g->sync_ready) {
		pthread_mutex_destroy(&g->lock);
		pthread_cond_destroy(&g->work);
		pthread_cond_destroy(&g->done);
	}
	for (i = 0; g->jobs && i < g->njobs; i++) {
		free(g->jobs[i].in);
		free(g->jobs[i].out);
	}
	free(g->jobs);
	free(g->tail);
	free(g->workers);
	memset(g, 0, sizeof(*g));
}
