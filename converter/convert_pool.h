/*
 * convert_pool.h - the records of a batch converted on N threads, inside
 * the converter's phase (-j N).
 *
 * The ring has one consumer, the main thread, and records leave it in
 * order.  The main thread copies each record out into one of N job slots
 * (a record buffer each), releases it, and hands the slot to the workers;
 * a worker, each with its own struct xml_doc (its own writer) and field
 * array, converts the copy into the document's temporary file.  Slots are
 * used round robin in submission order, so slot (k mod N) holds record k,
 * and before record k+N can be copied in, record k must be done and
 * retired: at most N records and N writers exist at once, whatever the
 * input.
 *
 * What a worker does has no outside effect but the bytes of its temporary
 * file: it prints nothing and records no failure kind (but see CJOB_SAID);
 * a job ends with a status and an errno.  Everything with an order - the --attr and --xsd
 * checks of a header, creating the temporary file, then, job by job in
 * sid order, the failure message, the meta file, the rename, the counters
 * and the once-per-input messages - is the main thread's (converter/main.c).
 * So a failure is told exactly as one thread would tell it: the first in
 * sid order counts, and no later document is renamed into place.
 *
 * A document's bytes depend only on its record and the options, never on
 * which worker wrote it: archives are the same for any N.
 *
 * With one thread there are no threads: cpool_submit converts at once,
 * on the caller's thread, reading the record where it lies in the ring
 * (no copy); the caller retires the job before releasing the record.
 */
#ifndef CSVPACK_CONVERT_POOL_H
#define CSVPACK_CONVERT_POOL_H

#include <pthread.h>
#include <stdint.h>

#include "buf.h"
#include "options.h"
#include "record.h"
#include "ring.h"
#include "xml_doc.h"

enum cpool_state { CJOB_FREE, CJOB_READY, CJOB_BUSY, CJOB_DONE };

/* A job's err when its conversion has said why already: out of memory
 * resolving --attr for the worker's shape (xml_shape_resolve says it; the
 * main thread's check of the same header passed). */
#define CJOB_SAID (-1)

struct cpool_job {
	enum cpool_state state;
	/* Set by the caller before cpool_submit. */
	int fd;              /* the document's temporary file */
	char tmp[80];        /* its name in staging */
	uint64_t sid;
	/* The record: in the ring (no threads) or in copy. */
	const void *data;
	uint32_t len;
	struct buf copy;
	/* Set by the conversion. */
	int rc;              /* 0, or -1 */
	int err;             /* errno of the failure; EBADMSG: a bad record */
	struct chunk c;      /* its fields point into data */
	uint64_t replaced, first_replaced_line, nulls, bytes;
};

struct cpool_worker {
	struct cpool *pool;
	struct xml_doc doc;
	struct field *fields;
	uint32_t fields_cap;
	pthread_t thread;
};

struct cpool {
	int nthreads;        /* 0: converted inline */
	struct cpool_worker *w; /* nthreads of them, or 1 inline */
	int nw;              /* how many w hold a doc to free */
	struct cpool_job *jobs;
	int njobs;
	uint64_t submitted, taken, retired;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	int sync_ready;
	int stopping;
};

/* Sets up threads workers (1: none, conversion inline) whose documents
 * have the shape of o (which must outlive p).  Returns 0, or -1 after
 * saying why (FAIL_SYS). */
int cpool_open(struct cpool *p, int threads, const struct options *o);
/* The slot for the next record, or NULL while all are in flight (retire
 * the oldest first). */
struct cpool_job *cpool_slot(struct cpool *p);
/* Converts rec into j (from cpool_slot, fd, tmp and sid set): copied and
 * queued for the workers, or converted now.  Returns 0, or -1 with errno
 * ENOMEM (the copy; nothing queued). */
int cpool_submit(struct cpool *p, struct cpool_job *j,
    const struct ring_rec *rec);
/* The oldest job not yet retired once it is done; NULL if there is none,
 * or (wait 0) it is not done yet. */
struct cpool_job *cpool_oldest(struct cpool *p, int wait);
/* Frees the oldest job's slot (after cpool_oldest gave it). */
void cpool_retire(struct cpool *p);
/* Jobs submitted and not yet retired. */
uint64_t cpool_pending(const struct cpool *p);
/* Stops the workers (a job in flight is finished first) and frees
 * everything; safe on a pool zeroed or half set up. */
void cpool_free(struct cpool *p);

#endif
