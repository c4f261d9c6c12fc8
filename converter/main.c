/*
 * csvpack-converter - takes CHUNK records from the ring and writes each as
 * one XML document, NNNNNN.xml, in the staging directory.  After every B
 * documents it sets "converted" and waits on "packed": it converts nothing
 * while the packer builds an archive, so staging never holds more than B
 * documents.  At the end of the stream it hands over the last, partial
 * batch the same way, marked as the last.
 *
 * A document is written under a hidden temporary name and renamed when
 * complete, so staging never holds half a document.  Documents are not
 * fsync'd: only archives need to be durable (spec guarantee 4).
 *
 * With -j N the records of a batch are converted on N threads
 * (convert_pool.h): this thread takes them off the ring in order, checks
 * each header (--attr, --xsd), creates the temporary file and hands the
 * record over; then, in sid order, it tells a failure or writes the meta,
 * renames the document and counts it.  A batch is handed over only once
 * all of its documents are renamed, so the workers are idle whenever the
 * packer packs.  With -j 1 there are no threads and every step happens
 * in the order it always did.
 *
 * --stdout [FILE|-] converts one CSV input to one document on stdout,
 * without any pipeline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "fail.h"
#include "input.h"
#include "meta.h"
#include "msg.h"
#include "options.h"
#include "outdir.h"
#include "outlock.h"
#include "peers.h"
#include "pipeline.h"
#include "proc.h"
#include "record.h"
#include "signals.h"
#include "stage.h"
#include "staging.h"
#include "sysio.h"
#include "convert_pool.h"
#include "xml_doc.h"
#include "xml_pool.h"
#include "xml_schema.h"

struct converter {
	const struct options *opt;
	struct pipeline pipe;
	struct xml_doc doc;  /* the shape that checks each header, in order */
	struct cpool pool;   /* the documents' writers (convert_pool.h) */
	struct buf hdr_key;  /* the header checked last (need_drain) */
	struct buf scratch;
	int hdr_known;
	char *staging;
	int out_fd;          /* -o, opened once: everything in it from here */
	int staging_fd;
	int lock_fd;
	struct field *fields;
	uint32_t fields_cap;
	uint64_t in_batch;   /* documents since the last handoff */
	/* Replaced characters and nulls, reported once per input. */
	char *bad_source;
	uint64_t bad_count, bad_line, null_count;
	/* An input's header refused by the shape (--attr): the records
	 * after it are taken off the ring unconverted, and the run ends
	 * in order with that input's failure. */
	int data_failed;
	/* --xsd: the schema staged for the packer, from the first input's
	 * columns; an input with other columns is refused. */
	struct xml_schema_state schema;
	struct xml_names schema_names;
};

static void
report_replaced(struct converter *cv)
{
	if (cv->bad_count)
		msg_warn("%s:%llu: %llu character%s that XML 1.0 cannot carry "
		    "replaced by U+FFFD (this line is the first)",
		    cv->bad_source, (unsigned long long)cv->bad_line,
		    (unsigned long long)cv->bad_count,
		    cv->bad_count == 1 ? "" : "s");
	if (cv->null_count)
		msg_info("%s: %llu null field%s (--null)", cv->bad_source,
		    (unsigned long long)cv->null_count,
		    cv->null_count == 1 ? "" : "s");
	free(cv->bad_source);
	cv->bad_source = NULL;
	cv->bad_count = 0;
	cv->null_count = 0;
}

/* Counts a document's replaced characters (the first on line first) and
 * nulls for its input; documents come in sid order. */
static void
note_replaced(struct converter *cv, const char *source, uint64_t replaced,
    uint64_t first, uint64_t nulls)
{
	if (cv->bad_source && strcmp(cv->bad_source, source) != 0)
		report_replaced(cv);
	if (!replaced && !nulls)
		return;
	if (!cv->bad_source) {
		cv->bad_source = strdup(source);
		if (!cv->bad_source)
			return;
	}
	if (replaced && !cv->bad_count)
		cv->bad_line = first;
	cv->bad_count += replaced;
	cv->null_count += nulls;
	if (cv->pipe.sh)  /* a pipeline's: the packer's summary says it */
		atomic_fetch_add(&cv->pipe.sh->count.nulls, nulls);
}

static int
grow_fields(struct converter *cv, uint32_t n)
{
	struct field *f;

	if (n <= cv->fields_cap)
		return 0;
	f = realloc(cv->fields, (size_t)n * sizeof(*f));
	if (!f)
		return -1;
	cv->fields = f;
	cv->fields_cap = n;
	return 0;
}

/* Opens a CHUNK record, its header in cv->fields.  0, or -1 (errno
 * EBADMSG: a bad record). */
static int
open_chunk(struct converter *cv, const struct ring_rec *rec, struct chunk *c)
{
	if (grow_fields(cv, 16) < 0)
		return errno = ENOMEM, -1;
	for (;;) {
		if (chunk_open(c, rec->data, rec->len, cv->fields,
		    cv->fields_cap) == 0)
			return 0;
		if (c->ncols <= cv->fields_cap || grow_fields(cv, c->ncols) < 0)
			return errno = EBADMSG, -1;
	}
}

/* The document's input and rows, for the journal; written before the
 * document's rename, so a complete document always has it. */
static int
write_meta(struct converter *cv, const struct chunk *c)
{
	struct doc_meta m;

	if (c->source.len >= sizeof(m.source))
		return errno = ENAMETOOLONG, -1;
	m.sid = c->sid;
	m.first_row = c->first_row;
	m.last_row = c->first_row + c->nrows - 1;
	m.first_line = c->first_line;
	m.last_line = c->last_line;
	memcpy(m.source, c->source.s, (size_t)c->source.len + 1);
	return meta_write(cv->staging_fd, &m);
}

/* --xsd: staging/schema.xsd from the first input's columns (those that
 * are not attributes, named as the documents name them); another
 * input's columns must be the same (xml_schema.h). */
static int
stage_schema(struct converter *cv, const struct chunk *c)
{
	const struct xml_shape *s = &cv->doc.shape;
	const char **el;
	size_t nel = 0;
	uint32_t i;
	int rc;

	if (!cv->opt->xsd)
		return 0;
	if (xml_names_build(&cv->schema_names, cv->fields, c->ncols,
	    c->ncols) < 0)
		return fail_nomem("converter");
	if (!(el = malloc((c->ncols ? c->ncols : 1) * sizeof(*el))))
		return fail_nomem("converter");
	for (i = 0; i < c->ncols; i++)
		if (!xml_shape_is_attr(s, i))
			el[nel++] = cv->schema_names.name[i];
	rc = xml_schema_stage(&cv->schema, cv->staging_fd, cv->staging,
	    cv->opt, el, nel, (const char *const *)s->attr_name, s->nattr,
	    c->source.s);
	free(el);
	return rc;
}

/* The oldest document in flight, once done: told if it failed, else
 * its meta written and the document renamed into place.  Its temporary
 * file is closed and, unless renamed, unlinked, whatever happens. */
static int
finish_doc(struct converter *cv, struct cpool_job *j)
{
	char final[64];
	int dfd = cv->staging_fd, saved;

	staging_doc_name(final, sizeof(final), j->sid);
	if (j->rc < 0) {
		saved = j->err;
		sys_close(j->fd);
		unlinkat(dfd, j->tmp, 0);
		if (saved == CJOB_SAID)
			return -1;
		if (saved == EBADMSG) {
			msg_warn("ring: a malformed record (%u bytes)", j->len);
			return fail_note(FAIL_SYS);
		}
		errno = saved;
		return fail_sys("%s/%s", cv->staging, j->tmp);
	}
	note_replaced(cv, j->c.source.s, j->replaced, j->first_replaced_line,
	    j->nulls);
	if (sys_close(j->fd) < 0)
		goto failed;
	if (write_meta(cv, &j->c) < 0) {
		saved = errno;
		unlinkat(dfd, j->tmp, 0);
		errno = saved;
		meta_name(final, sizeof(final), j->sid);
		return fail_sys("%s/%s", cv->staging, final);
	}
	if (renameat(dfd, j->tmp, dfd, final) < 0)
		goto failed;
	atomic_fetch_add(&cv->pipe.sh->count.documents, 1);
	atomic_fetch_add(&cv->pipe.sh->count.xml_bytes, j->bytes);
	return 0;
failed:
	saved = errno;
	unlinkat(dfd, j->tmp, 0);
	errno = saved;
	return fail_sys("%s/%s", cv->staging, final);
}

/* Finishes the oldest document in flight, waiting for it or (wait 0)
 * only if it is done.  1 finished, 0 none to finish, or -1. */
static int
finish_oldest(struct converter *cv, int wait)
{
	struct cpool_job *j = cpool_oldest(&cv->pool, wait);
	int rc;

	if (!j)
		return 0;
	rc = finish_doc(cv, j);
	cpool_retire(&cv->pool);
	return rc < 0 ? -1 : 1;
}

/* Every document in flight finished, in order (wait 0: those done, up
 * to the first that is not).  0 or -1. */
static int
finish_all(struct converter *cv, int wait)
{
	int rc;

	while ((rc = finish_oldest(cv, wait)) > 0)
		;
	return rc;
}

/* After a failure: the documents in flight are waited for and thrown
 * away, none renamed (one thread would not have written them). */
static void
abandon(struct converter *cv)
{
	struct cpool_job *j;

	while ((j = cpool_oldest(&cv->pool, 1)) != NULL) {
		sys_close(j->fd);
		unlinkat(cv->staging_fd, j->tmp, 0);
		cpool_retire(&cv->pool);
	}
}

/* Whether the documents in flight must be finished before this header
 * is checked: only a check that can refuse an input (--attr, --xsd)
 * must come after the failures of earlier documents, as with one
 * thread, and it can refuse only a header other than the last one. */
static int
need_drain(struct converter *cv, const struct chunk *c, int *drain)
{
	uint32_t i;

	*drain = 0;
	if (!cv->pool.nthreads || (!cv->opt->nattr_cols && !cv->opt->xsd))
		return 0;
	buf_reset(&cv->scratch);
	for (i = 0; i < c->ncols; i++)
		if (buf_append_u32(&cv->scratch, cv->fields[i].len) < 0 ||
		    buf_append(&cv->scratch, cv->fields[i].s,
		    cv->fields[i].len) < 0)
			return fail_nomem("converter");
	if (cv->hdr_known && cv->scratch.len == cv->hdr_key.len &&
	    memcmp(cv->scratch.data, cv->hdr_key.data, cv->hdr_key.len) == 0)
		return 0;
	buf_reset(&cv->hdr_key);
	if (buf_append(&cv->hdr_key, cv->scratch.data, cv->scratch.len) < 0)
		return fail_nomem("converter");
	cv->hdr_known = 1;
	*drain = 1;
	return 0;
}

/* One record handed to a writer, to become staging/NNNNNN.xml by way of
 * a temporary name; a slot must be free (cpool_slot). */
static int
convert_record(struct converter *cv, const struct ring_rec *rec)
{
	char final[64];
	struct chunk c = { 0 };
	struct cpool_job *j;
	int drain, saved;

	if (chunk_sid(rec->data, rec->len, &c.sid) < 0)
		goto bad;
	/* The shape's --attr against this input's header, before anything
	 * is written (once per header: xml_shape.h). */
	if (open_chunk(cv, rec, &c) < 0) {
		if (errno == EBADMSG)
			goto bad;
		return fail_nomem("converter");
	}
	if (need_drain(cv, &c, &drain) < 0 ||
	    (drain && finish_all(cv, 1) < 0))
		return -1;
	if (xml_doc_attrs(&cv->doc, c.source.s, cv->fields, c.ncols) < 0 ||
	    stage_schema(cv, &c) < 0) {
		if (fail_kind() == FAIL_DATA)
			cv->data_failed = 1;
		return -1;
	}
	j = cpool_slot(&cv->pool);
	staging_doc_name(final, sizeof(final), c.sid);
	snprintf(j->tmp, sizeof(j->tmp), ".%s.tmp", final);
	j->sid = c.sid;
	/* A new file of ours, never one that was there (outdir.h). */
	if ((j->fd = outdir_create_tmp(cv->staging_fd, cv->staging, j->tmp,
	    0644)) < 0)
		return -1;
	if (cpool_submit(&cv->pool, j, rec) < 0) {
		saved = errno;
		sys_close(j->fd);
		unlinkat(cv->staging_fd, j->tmp, 0);
		errno = saved;
		return fail_nomem("converter");
	}
	return 0;
bad:
	msg_warn("ring: a malformed record (%u bytes)", rec->len);
	return fail_note(FAIL_SYS);
}

/* Hands the staged batch to the packer and waits until it is packed. */
static int
handoff(struct converter *cv, int last)
{
	struct pipeline *p = &cv->pipe;

	atomic_store(&p->sh->handoff_eos, (uint32_t)last);
	if (event_set(&p->ev[EV_CONVERTED]) < 0)
		return fail_sys("sem_post %s", p->names.ev[EV_CONVERTED]);
	if (pipeline_wait_event(p, EV_PACKED) < 0)
		return pipeline_wait_failed(p);
	if (event_clear(&p->ev[EV_PACKED]) < 0)
		return fail_sys("sem_trywait %s", p->names.ev[EV_PACKED]);
	cv->in_batch = 0;
	cv->pipe.deadline_ms = 0;
	return 0;
}

static int
convert_all(struct converter *cv)
{
	struct ring_rec rec;
	long left;
	int rc, sig;

	cv->pipe.interruptible = 1;
	/* Documents an interrupted run left are packed before any new one
	 * is written (spec guarantee 6). */
	left = staging_clean(cv->staging_fd, cv->staging);
	if (left < 0)
		return -1;
	if (left > 0) {
		msg_info("%s: packing %ld documents an earlier run left",
		    cv->staging, left);
		if (handoff(cv, 0) < 0)
			return -1;
	}
	for (;;) {
		/* Documents the workers finished are renamed as they come;
		 * and before waiting on an empty ring, all of them: a slow
		 * stream must not keep converted documents from staging. */
		if (finish_all(cv, 0) < 0)
			return -1;
		rc = cpool_pending(&cv->pool) ?
		    ring_try_peek(&cv->pipe.ring, &rec) : RING_AGAIN;
		if (rc == RING_AGAIN && cpool_pending(&cv->pool) &&
		    finish_all(cv, 1) < 0)
			return -1;
		if (rc != RING_OK)
			rc = pipeline_peek(&cv->pipe, &rec);
		if (rc == RING_STOPPED && cv->pipe.peer_died)
			return fail_note(FAIL_PEER);
		if (rc == RING_STOPPED && cv->pipe.deadline_hit) {
			/* --flush-after: the stream is slow; hand over the
			 * partial batch rather than let it age. */
			cv->pipe.deadline_hit = 0;
			if (finish_all(cv, 1) < 0 || handoff(cv, 0) < 0)
				return -1;
			continue;
		}
		if (rc == RING_STOPPED && fail_kind() != FAIL_NONE)
			return -1; /* a peer check failed, and said why */
		if (rc == RING_STOPPED)
			break; /* a stop signal: pack what is converted */
		if (rc == RING_CORRUPT) {
			msg_warn("ring %s: corrupt record header",
			    cv->pipe.names.shm);
			return fail_note(FAIL_SYS);
		}
		if (rc != RING_OK)
			return fail_sys("ring %s", cv->pipe.names.shm);
		if (rec.type == REC_END)
			break;
		if (rec.type != REC_CHUNK) {
			msg_warn("ring: unknown record type %u", rec.type);
			return fail_note(FAIL_SYS);
		}
		if (!cv->data_failed) {
			/* A slot for it: the oldest document finished. */
			if (!cpool_slot(&cv->pool) && finish_oldest(cv, 1) < 0)
				return -1;
			if (convert_record(cv, &rec) < 0 && !cv->data_failed)
				return -1;
			/* Without threads it is written by now: renamed
			 * before its record leaves the ring. */
			if (!cv->pool.nthreads && !cv->data_failed &&
			    finish_all(cv, 0) < 0)
				return -1;
		}
		ring_release(&cv->pipe.ring, &rec);
		if (cv->data_failed)
			continue; /* nothing converted: drain to the end */
		if (cv->in_batch++ == 0 && cv->opt->flush_after > 0)
			cv->pipe.deadline_ms = now_ms() +
			    (uint64_t)(cv->opt->flush_after * 1000.0);
		if (cv->in_batch == cv->opt->batch &&
		    (finish_all(cv, 1) < 0 || handoff(cv, 0) < 0))
			return -1;
		if (pipeline_stop_signal(&cv->pipe))
			break;
	}
	if (finish_all(cv, 1) < 0)
		return -1;
	report_replaced(cv);
	if (handoff(cv, 1) < 0)
		return -1;
	if (cv->data_failed)
		return -1; /* said, and recorded as FAIL_DATA */
	/* A stop asked of any stage (the shared flag) ends this one too. */
	sig = pipeline_stop_signal(&cv->pipe);
	return sig ? fail_note_stop(sig) : 0;
}

static int
run(struct converter *cv)
{
	int threads = cv->opt->jobs;

	/* More writers than a batch has documents would never work. */
	if ((uint64_t)threads > cv->opt->batch)
		threads = (int)cv->opt->batch;
	if (cpool_open(&cv->pool, threads, cv->opt) < 0)
		return -1;
	if (convert_all(cv) == 0)
		return 0;
	abandon(cv);
	return -1;
}

/* The shape options, checked once more (the option parser refuses what
 * xml_shape_set does, saying more). */
static int
set_shape(struct xml_doc *d, const struct options *o)
{
	if (xml_doc_shape(d, o) == 0)
		return 0;
	if (errno == ENOMEM)
		return fail_nomem("converter");
	return fail_usage("the document shape is not valid: --root, --row "
	    "and --xmlns-prefix must be XML names without a colon, the "
	    "prefix neither xml nor xmlns (nor xsi under --null-as nil) and "
	    "given with a non-empty --xmlns");
}

/* --stdout: one input, one document, no pipeline.  Returns 0 or -1. */
static int
convert_to_stdout(const struct options *o)
{
	struct converter cv;
	struct input in;
	const struct field *f;
	const char *name = o->stdout_input ? o->stdout_input :
	    o->ninputs ? o->inputs[0] : "-";
	uint32_t n, width = 0;
	uint64_t line;
	int rc, first = 0;

	if (o->ninputs + (o->stdout_input != NULL) > 1)
		return fail_usage("--stdout converts one input");
	memset(&cv, 0, sizeof(cv));
	xml_doc_init(&cv.doc);
	if (set_shape(&cv.doc, o) < 0) {
		xml_doc_free(&cv.doc);
		return -1;
	}
	rc = input_open(&in, name, o, 0);
	/* The first row is read before the document starts: an input with
	 * rows has its header resolved (--attr) before a byte is written,
	 * as the pipeline does it; one without rows has nothing to say. */
	if (rc == 0 && (first = input_next(&in, &f, &n, &line)) < 0)
		rc = -1;
	if (rc == 0 && first == 1 &&
	    xml_doc_attrs(&cv.doc, name, in.header, in.ncols) < 0)
		rc = -1;
	if (rc == 0 && xml_doc_begin(&cv.doc, STDOUT_FILENO, name, 1) < 0)
		goto write_failed;
	while (rc == 0 && first == 1) {
		if (n != width &&
		    xml_doc_columns(&cv.doc, in.header, in.ncols, n) < 0)
			goto write_failed;
		width = n;
		if (xml_doc_row(&cv.doc, line, f, n) < 0)
			goto write_failed;
		if ((first = input_next(&in, &f, &n, &line)) < 0)
			rc = -1;
	}
	if (rc == 0 && xml_doc_end(&cv.doc) < 0)
		goto write_failed;
	if (0) {
write_failed:
		rc = fail_sys("stdout");
	}
	note_replaced(&cv, name, cv.doc.replaced, cv.doc.first_replaced_line,
	    cv.doc.nulls);
	report_replaced(&cv);
	input_close(&in);
	xml_doc_free(&cv.doc);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct converter cv;
	int rc;

	if (xml_pool_install() < 0) {
		msg_warn("xmlMemSetup failed");
		return EXIT_FAIL;
	}
	rc = stage_options(argc, argv, &opt);
	if (rc <= 0)
		return fail_status_of(rc);
	LIBXML_TEST_VERSION
	if (opt.schema)
		return fail_status_of(xml_schema_print(&opt, NULL));
	if (opt.to_stdout)
		return fail_status_of(convert_to_stdout(&opt));
	memset(&cv, 0, sizeof(cv));
	cv.opt = &opt;
	xml_doc_init(&cv.doc);
	xml_schema_state_init(&cv.schema);
	xml_names_init(&cv.schema_names);
	buf_init(&cv.hdr_key, 0);
	buf_init(&cv.scratch, 0);
	cv.out_fd = cv.staging_fd = cv.lock_fd = -1;
	rc = 0;
	if (set_shape(&cv.doc, &opt) < 0) {
		xml_doc_free(&cv.doc);
		return fail_status_of(-1);
	}
	/* Attach first: a failure after it is seen by the other stages at
	 * once (this one leaves as failed), not after the launcher's timer. */
	if (stage_join(&cv.pipe, &opt, STAGE_CONVERTER, opt.batch) < 0 ||
	    outdir_open(opt.output, 0, &cv.out_fd) < 0 ||
	    (cv.staging_fd = staging_open_at(cv.out_fd, opt.output,
	    &cv.staging)) < 0 ||
	    (cv.lock_fd = outlock_take_at(cv.out_fd, opt.output,
	    opt.name)) < 0 ||
	    run(&cv) < 0)
		rc = -1;
	/* Not in order, the others must stop too. */
	pipeline_detach(&cv.pipe, stage_in_order(rc) || cv.data_failed);
	cpool_free(&cv.pool);
	buf_free(&cv.hdr_key);
	buf_free(&cv.scratch);
	xml_doc_free(&cv.doc);
	xml_schema_state_free(&cv.schema);
	xml_names_free(&cv.schema_names);
	free(cv.fields);
	free(cv.bad_source);
	if (outlock_release_at(cv.lock_fd, cv.out_fd, opt.output,
	    stage_in_order(rc)) < 0)
		rc = -1;
	if (cv.staging_fd >= 0)
		sys_close(cv.staging_fd);
	if (cv.out_fd >= 0)
		sys_close(cv.out_fd);
	free(cv.staging);
	xmlCleanupParser();
	return fail_status_of(rc);
}
