/*
 * archive_prefetch.c - see archive_prefetch.h.
 *
 * The ring: the worker fills slots in order and the caller empties them
 * in order; `filled` and `taken` count slots, free-running, and one mutex
 * with two condition variables guards them.  A data slot holds a copy of
 * the bytes (the reader's window moves on as soon as the worker reads
 * again); the copy costs far less than the inflate it overlaps.
 */
#include "archive_prefetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"
#include "msg.h"

#define SLOTS 4
#define SLOT_BYTES (256 * 1024)

enum event {
	EV_MEMBER,      /* m: a member begins */
	EV_DATA,        /* data[0..len) of it */
	EV_MEMBER_END,  /* digest: it ended */
	EV_END,         /* the archive ended well */
	EV_FAIL,        /* problem, failed_sys: it did not */
};

struct slot {
	enum event ev;
	struct archive_member m;
	unsigned char digest[SHA256_DIGEST];
	unsigned char *data;
	size_t len;
	char problem[512];
	int failed_sys;
};

struct archive_prefetch {
	struct archive_reader *ar;
	pthread_t worker;
	int running;
	pthread_mutex_t lock;
	pthread_cond_t space, ready;
	struct slot slot[SLOTS];
	uint64_t filled, taken;
	int stop;           /* the caller gave up: the worker ends */
	/* The caller's side. */
	struct slot *cur;   /* the slot being handed out, NULL if none */
	int done;           /* EV_END or EV_FAIL taken */
	struct slot last;   /* its copy: problem, digest */
};

struct archive_prefetch *
prefetch_new(void)
{
	struct archive_prefetch *p = calloc(1, sizeof(*p));
	int i;

	if (!p)
		return NULL;
	if (!(p->ar = archive_reader_new()))
		goto fail;
	for (i = 0; i < SLOTS; i++)
		if (!(p->slot[i].data = malloc(SLOT_BYTES)))
			goto fail;
	if (pthread_mutex_init(&p->lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&p->space, NULL) != 0 ||
	    pthread_cond_init(&p->ready, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		goto fail;
	}
	return p;
fail:
	for (i = 0; i < SLOTS; i++)
		free(p->slot[i].data);
	archive_reader_free(p->ar);
	free(p);
	return NULL;
}

void
prefetch_free(struct archive_prefetch *p)
{
	int i;

	if (!p)
		return;
	prefetch_close(p);
	pthread_cond_destroy(&p->space);
	pthread_cond_destroy(&p->ready);
	pthread_mutex_destroy(&p->lock);
	for (i = 0; i < SLOTS; i++)
		free(p->slot[i].data);
	archive_reader_free(p->ar);
	free(p);
}

/* --- the worker ------------------------------------------------------- */

/* The next free slot, or NULL when the caller said stop. */
static struct slot *
claim(struct archive_prefetch *p)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&p->lock);
	while (!p->stop && p->filled - p->taken == SLOTS)
		pthread_cond_wait(&p->space, &p->lock);
	if (!p->stop)
		s = &p->slot[p->filled % SLOTS];
	pthread_mutex_unlock(&p->lock);
	return s;
}

static void
publish(struct archive_prefetch *p)
{
	pthread_mutex_lock(&p->lock);
	p->filled++;
	pthread_cond_signal(&p->ready);
	pthread_mutex_unlock(&p->lock);
}

/* Sends an event without data; 0, or -1 when told to stop. */
static int
send_event(struct archive_prefetch *p, enum event ev,
    const struct archive_member *m, const unsigned char *digest)
{
	struct slot *s = claim(p);

	if (!s)
		return -1;
	s->ev = ev;
	if (m)
		s->m = *m;
	if (digest)
		memcpy(s->digest, digest, SHA256_DIGEST);
	if (ev == EV_FAIL) {
		snprintf(s->problem, sizeof(s->problem), "%s",
		    archive_problem(p->ar));
		s->failed_sys = archive_failed_sys(p->ar);
	}
	publish(p);
	return 0;
}

/* One member's bytes, copied into data slots and hashed.  1 at its end,
 * 0 if the archive failed inside it (EV_FAIL sent), -1 told to stop. */
static int
send_member_data(struct archive_prefetch *p)
{
	unsigned char digest[SHA256_DIGEST];
	const unsigned char *data;
	struct sha256 h;
	struct slot *s;
	ssize_t n;
	size_t off, take;

	sha256_init(&h);
	while ((n = archive_read(p->ar, (const void **)&data)) > 0) {
		sha256_update(&h, data, (size_t)n);
		for (off = 0; off < (size_t)n; off += take) {
			if (!(s = claim(p)))
				return -1;
			take = (size_t)n - off < SLOT_BYTES ? (size_t)n - off :
			    SLOT_BYTES;
			s->ev = EV_DATA;
			memcpy(s->data, data + off, take);
			s->len = take;
			publish(p);
		}
	}
	if (n < 0)
		return send_event(p, EV_FAIL, NULL, NULL) < 0 ? -1 : 0;
	sha256_final(&h, digest);
	return send_event(p, EV_MEMBER_END, NULL, digest) < 0 ? -1 : 1;
}

static void *
work(void *arg)
{
	struct archive_prefetch *p = arg;
	struct archive_member m;
	int rc;

	while ((rc = archive_next(p->ar, &m)) > 0)
		if (send_event(p, EV_MEMBER, &m, NULL) < 0 ||
		    send_member_data(p) <= 0)
			return NULL;
	send_event(p, rc == 0 ? EV_END : EV_FAIL, NULL, NULL);
	return NULL;
}

/* --- the caller ------------------------------------------------------- */

int
prefetch_open(struct archive_prefetch *p, int fd, const char *path)
{
	int err;

	prefetch_close(p);
	if (archive_open(p->ar, fd, path) < 0)
		return -1;
	p->filled = p->taken = 0;
	p->stop = 0;
	p->cur = NULL;
	p->done = 0;
	if ((err = pthread_create(&p->worker, NULL, work, p)) != 0) {
		errno = err;
		return fail_sys("%s: a thread to read it", path);
	}
	p->running = 1;
	return 0;
}

/* Releases the slot handed out last, and takes the next one. */
static struct slot *
take(struct archive_prefetch *p)
{
	struct slot *s;

	pthread_mutex_lock(&p->lock);
	if (p->cur) {
		p->taken++;
		pthread_cond_signal(&p->space);
	}
	while (p->filled == p->taken)
		pthread_cond_wait(&p->ready, &p->lock);
	s = &p->slot[p->taken % SLOTS];
	pthread_mutex_unlock(&p->lock);
	p->cur = s;
	if (s->ev == EV_END || s->ev == EV_FAIL || s->ev == EV_MEMBER_END)
		p->last = (struct slot){ .ev = s->ev, .failed_sys =
		    s->failed_sys };
	if (s->ev == EV_FAIL)
		memcpy(p->last.problem, s->problem, sizeof(s->problem));
	if (s->ev == EV_MEMBER_END)
		memcpy(p->last.digest, s->digest, SHA256_DIGEST);
	return s;
}

int
prefetch_next(struct archive_prefetch *p, struct archive_member *m)
{
	struct slot *s;

	if (p->done)
		return p->last.ev == EV_END ? 0 : -1;
	do
		s = take(p);
	while (s->ev == EV_DATA || s->ev == EV_MEMBER_END);
	if (s->ev == EV_MEMBER) {
		*m = s->m;
		return 1;
	}
	p->done = 1;
	return s->ev == EV_END ? 0 : -1;
}

ssize_t
prefetch_read(struct archive_prefetch *p, const void **data)
{
	struct slot *s;

	if (p->done)
		return -1;
	if (p->cur && p->cur->ev == EV_MEMBER_END)
		return 0;
	s = take(p);
	if (s->ev == EV_DATA) {
		*data = s->data;
		return (ssize_t)s->len;
	}
	if (s->ev == EV_MEMBER_END)
		return 0;
	p->done = 1;
	return -1; /* EV_FAIL: the archive failed inside the member */
}

const unsigned char *
prefetch_digest(const struct archive_prefetch *p)
{
	return p->last.digest;
}

const char *
prefetch_problem(const struct archive_prefetch *p)
{
	return p->last.problem;
}

int
prefetch_failed_sys(const struct archive_prefetch *p)
{
	return p->last.failed_sys;
}

void
prefetch_close(struct archive_prefetch *p)
{
	if (!p->running)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->space);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->worker, NULL);
	p->running = 0;
}
