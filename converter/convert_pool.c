/*
 * convert_pool.c - see convert_pool.h.
 *
 * One mutex and two condition variables, as in packer/gz_stream.c: "work"
 * wakes the workers for a new job, "done" wakes the main thread for a
 * finished one.  Workers take jobs in submission order (taken counts
 * them) but finish in any order; the main thread retires them in order.
 *
 * Every wait on a condition variable is a timed one (WAIT_SLICE_MS, on
 * CLOCK_MONOTONIC) that re-checks its condition: glibc 2.36's condition
 * variables can lose a wakeup (sourceware bug 25847), and a signaller
 * then blocks in pthread_cond_signal until the waiters of the old group
 * leave - which a timed-out waiter does.  Under ThreadSanitizer that hung
 * every run at the fifth job; with the slices a lost wakeup costs at most
 * one slice, never the run.
 */
#include "convert_pool.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "fail.h"
#include "msg.h"

#define WAIT_SLICE_MS 100

/* pthread_cond_wait, for at most one slice. */
static void
slice_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += WAIT_SLICE_MS * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(c, m, &t);
}

static int
grow_fields(struct cpool_worker *w, uint32_t n)
{
	struct field *f;

	if (n <= w->fields_cap)
		return 0;
	f = realloc(w->fields, (size_t)n * sizeof(*f));
	if (!f)
		return -1;
	w->fields = f;
	w->fields_cap = n;
	return 0;
}

/* Opens the job's record, its header in w->fields.  0, or -1 with errno
 * (EBADMSG: a bad record). */
static int
open_chunk(struct cpool_worker *w, struct cpool_job *j, struct chunk *c)
{
	if (grow_fields(w, 16) < 0)
		return errno = ENOMEM, -1;
	for (;;) {
		if (chunk_open(c, j->data, j->len, w->fields,
		    w->fields_cap) == 0)
			return 0;
		if (c->ncols <= w->fields_cap || grow_fields(w, c->ncols) < 0)
			return errno = EBADMSG, -1;
	}
}

/* The rows of the job's record, as a document, onto j->fd.  0, or -1
 * with errno set. */
static int
write_chunk(struct cpool_worker *w, struct cpool_job *j, struct chunk *c)
{
	struct xml_doc *d = &w->doc;
	uint64_t line;
	uint32_t n;
	int rc;

	if (open_chunk(w, j, c) < 0)
		return -1;
	/* The header was checked in order by the main thread; this only
	 * gives this worker's shape its attribute columns. */
	if (xml_doc_attrs(d, c->source.s, w->fields, c->ncols) < 0)
		return errno = CJOB_SAID, -1;
	if (xml_doc_begin(d, j->fd, c->source.s, c->sid) < 0 ||
	    xml_doc_columns(d, w->fields, c->ncols, c->width) < 0)
		return -1;
	if (grow_fields(w, c->width) < 0)
		return errno = ENOMEM, -1;
	while ((rc = chunk_next_row(c, &line, w->fields, w->fields_cap,
	    &n)) == 1)
		if (xml_doc_row(d, line, w->fields, n) < 0)
			return -1;
	if (rc < 0)
		return errno = EBADMSG, -1;
	return xml_doc_end(d);
}

static void
convert_job(struct cpool_worker *w, struct cpool_job *j)
{
	memset(&j->c, 0, sizeof(j->c));
	j->replaced = j->first_replaced_line = j->nulls = j->bytes = 0;
	j->rc = write_chunk(w, j, &j->c);
	j->err = j->rc < 0 ? errno : 0;
	if (j->rc == 0) {
		j->replaced = w->doc.replaced;
		j->first_replaced_line = w->doc.first_replaced_line;
		j->nulls = w->doc.nulls;
		j->bytes = w->doc.sink.bytes;
	}
}

static void *
worker(void *arg)
{
	struct cpool_worker *w = arg;
	struct cpool *p = w->pool;
	struct cpool_job *j;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stopping && p->taken == p->submitted)
			slice_wait(&p->work, &p->lock);
		if (p->stopping && p->taken == p->submitted)
			break;
		j = &p->jobs[p->taken++ % (uint64_t)p->njobs];
		j->state = CJOB_BUSY;
		pthread_mutex_unlock(&p->lock);
		convert_job(w, j);
		pthread_mutex_lock(&p->lock);
		j->state = CJOB_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int
cpool_open(struct cpool *p, int threads, const struct options *o)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	const char *op;
	int i, nw, err;

	memset(p, 0, sizeof(*p));
	p->nthreads = threads > 1 ? threads : 0;
	nw = p->nthreads ? p->nthreads : 1;
	p->njobs = nw;
	p->jobs = calloc((size_t)p->njobs, sizeof(*p->jobs));
	p->w = calloc((size_t)nw, sizeof(*p->w));
	if (!p->jobs || !p->w)
		goto nomem;
	for (i = 0; i < p->njobs; i++) {
		buf_init(&p->jobs[i].copy, 0);
		p->jobs[i].fd = -1;
	}
	for (i = 0; i < nw; i++) {
		p->w[i].pool = p;
		xml_doc_init(&p->w[i].doc);
		p->nw++;
		if (xml_doc_shape(&p->w[i].doc, o) < 0)
			goto nomem; /* main's own xml_doc_shape passed */
	}
	if (!p->nthreads)
		return 0;
	/* libxml2's globals set up before any worker uses it. */
	xmlInitParser();
	op = "pthread_mutex_init";
	if ((err = pthread_mutex_init(&p->lock, NULL)) != 0)
		goto failed;
	op = "pthread_cond_init";
	if ((err = pthread_condattr_init(&ca)) != 0) {
		pthread_mutex_destroy(&p->lock);
		goto failed;
	}
	if ((err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (err = pthread_cond_init(&p->work, &ca)) != 0) {
		pthread_condattr_destroy(&ca);
		pthread_mutex_destroy(&p->lock);
		goto failed;
	}
	if ((err = pthread_cond_init(&p->done, &ca)) != 0) {
		pthread_condattr_destroy(&ca);
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->lock);
		goto failed;
	}
	pthread_condattr_destroy(&ca);
	p->sync_ready = 1;
	/* Workers take no signals: a SIGINT must reach the main thread,
	 * whose waits it interrupts. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = 0;
	op = "pthread_create";
	for (i = 0; i < p->nthreads; i++) {
		err = pthread_create(&p->w[i].thread, NULL, worker, &p->w[i]);
		if (err != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	p->nthreads = i; /* those to join */
	if (err != 0)
		goto failed;
	return 0;
failed:
	cpool_free(p);
	errno = err;
	/* EAGAIN: short of memory (a stack) or at the limit on threads. */
	if (err == EAGAIN)
		return fail_sys("%s: the converter's worker threads (-j %d): "
		    "out of memory or of threads", op, threads);
	return fail_sys("%s: the converter's worker threads (-j %d)", op,
	    threads);
nomem:
	cpool_free(p);
	return fail_nomem("converter");
}

struct cpool_job *
cpool_slot(struct cpool *p)
{
	if (p->submitted - p->retired == (uint64_t)p->njobs)
		return NULL;
	return &p->jobs[p->submitted % (uint64_t)p->njobs];
}

int
cpool_submit(struct cpool *p, struct cpool_job *j,
    const struct ring_rec *rec)
{
	if (!p->nthreads) {
		j->data = rec->data;
		j->len = rec->len;
		p->submitted++;
		convert_job(&p->w[0], j);
		j->state = CJOB_DONE;
		return 0;
	}
	buf_reset(&j->copy);
	if (buf_append(&j->copy, rec->data, rec->len) < 0)
		return errno = ENOMEM, -1;
	j->data = j->copy.data;
	j->len = rec->len;
	pthread_mutex_lock(&p->lock);
	j->state = CJOB_READY;
	p->submitted++;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

struct cpool_job *
cpool_oldest(struct cpool *p, int wait)
{
	struct cpool_job *j;

	if (p->retired == p->submitted)
		return NULL;
	j = &p->jobs[p->retired % (uint64_t)p->njobs];
	if (!p->nthreads)
		return j;
	pthread_mutex_lock(&p->lock);
	while (wait && j->state != CJOB_DONE)
		slice_wait(&p->done, &p->lock);
	if (j->state != CJOB_DONE)
		j = NULL;
	pthread_mutex_unlock(&p->lock);
	return j;
}

void
cpool_retire(struct cpool *p)
{
	struct cpool_job *j = &p->jobs[p->retired % (uint64_t)p->njobs];

	/* Only the main thread reads or writes a job in state DONE. */
	j->state = CJOB_FREE;
	j->data = NULL;
	j->fd = -1;
	p->retired++;
}

uint64_t
cpool_pending(const struct cpool *p)
{
	return p->submitted - p->retired;
}

void
cpool_free(struct cpool *p)
{
	int i;

	if (p->sync_ready) {
		pthread_mutex_lock(&p->lock);
		p->stopping = 1;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->lock);
		for (i = 0; i < p->nthreads; i++)
			pthread_join(p->w[i].thread, NULL);
		pthread_cond_destroy(&p->done);
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->lock);
	}
	for (i = 0; p->w && i < p->nw; i++) {
		xml_doc_free(&p->w[i].doc);
		free(p->w[i].fields);
	}
	for (i = 0; p->jobs && i < p->njobs; i++)
		buf_free(&p->jobs[i].copy);
	free(p->w);
	free(p->jobs);
	memset(p, 0, sizeof(*p));
}
