/*
 * csvpack-producer - reads CSV inputs and writes them into the pipeline's
 * ring as CHUNK records of at most R rows each, one future XML document per
 * record, then an END record.
 *
 * A chunk also ends before it would outgrow what one ring record may carry,
 * so a wide table makes smaller documents rather than an overflow.  A full
 * ring blocks the push: that is the back-pressure that keeps memory flat.
 * On bad input, or when an input cannot be read (EIO), the rows before it
 * are still pushed and the END record says the stream stopped early: the
 * other stages convert and pack them, and the exit status is 65 (bad data)
 * or 1 (a read failed).
 *
 * Documents are numbered after the highest sid the output directory's
 * journal and staging know, so sids never repeat in one directory.  With
 * --resume, rows that the journal or staging already hold are skipped:
 * rows are counted per input from 1, and a chunk holds consecutive rows
 * only, so each document's range is exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "coverage.h"
#include "fail.h"
#include "input.h"
#include "msg.h"
#include "options.h"
#include "outlock.h"
#include "peers.h"
#include "pipeline.h"
#include "record.h"
#include "signals.h"
#include "stage.h"
#include "staging.h"

struct producer {
	const struct options *opt;
	struct pipeline pipe;
	struct buf chunk;
	uint64_t sid;        /* of the chunk being built */
	uint32_t nrows;      /* rows in it */
	uint64_t next_row;   /* the row number that may join it */
	uint64_t last_line;  /* where its last row ends */
	uint64_t max_record;
	struct coverage done; /* --resume: rows archived or staged */
	uint64_t skipped;
	struct buf read_as;  /* "NAME\0ENCODING\0": inputs a BOM decided */
	int input_failed;    /* the input ended the run: its rows are sent */
	int push_failed;     /* the ring did */
	int ended;           /* the END record went */
};

/* Records why a push failed (a peer's death was said when seen). */
static int
push_failed(struct producer *pr, int rc)
{
	int sig;

	if (rc == RING_STOPPED && pr->pipe.peer_died)
		return fail_note(FAIL_PEER);
	if (rc == RING_STOPPED && (sig = pipeline_stop_signal(&pr->pipe)))
		return fail_note_stop(sig);
	if (rc == RING_ERROR)
		return fail_sys("ring %s", pr->pipe.names.shm);
	msg_warn("ring: cannot push a record (status %d)", rc);
	return fail_note(FAIL_SYS);
}

static int
flush_chunk(struct producer *pr)
{
	int rc;

	if (pr->nrows == 0)
		return 0;
	chunk_finish(&pr->chunk, pr->nrows, pr->last_line);
	rc = pipeline_push(&pr->pipe, REC_CHUNK, pr->chunk.data, pr->chunk.len);
	if (rc != RING_OK) {
		pr->push_failed = 1;
		return push_failed(pr, rc);
	}
	atomic_fetch_add(&pr->pipe.sh->count.rows, pr->nrows);
	pr->sid++;
	pr->nrows = 0;
	return 0;
}

static int
add_row(struct producer *pr, struct input *in, const struct field *f,
    uint32_t n, uint64_t line, uint64_t row)
{
	size_t size = chunk_row_size(f, n);

	if (pr->nrows > 0 && (pr->nrows >= pr->opt->rows ||
	    pr->chunk.len + size > pr->max_record || row != pr->next_row) &&
	    flush_chunk(pr) < 0)
		return -1;
	if (pr->nrows == 0 && chunk_begin(&pr->chunk, pr->sid, row, in->name,
	    in->header, in->ncols) < 0)
		return fail_nomem(in->name);
	if (pr->chunk.len + size > pr->max_record)
		return fail_data(in->name, line, "row and header take %zu "
		    "bytes, more than one ring record carries (%llu); raise "
		    "--ring-size", pr->chunk.len + size,
		    (unsigned long long)pr->max_record);
	if (chunk_add_row(&pr->chunk, line, f, n) < 0)
		return fail_nomem(in->name);
	pr->nrows++;
	pr->next_row = row + 1;
	pr->last_line = in->end_line;
	/* A full document goes now, not when the next row comes: on a slow
	 * stream that may be much later. */
	if (pr->nrows >= pr->opt->rows)
		return flush_chunk(pr);
	return 0;
}

/* Adds what the input read since the last call to the shared counter. */
static uint64_t
count_bytes(struct producer *pr, const struct input *in, uint64_t counted)
{
	uint64_t now = input_bytes(in);

	atomic_fetch_add(&pr->pipe.sh->count.csv_bytes, now - counted);
	return now;
}

static int
stall_flush(void *arg)
{
	return flush_chunk(arg);
}

/* Pushes every row of one input.  Returns 0, or -1 (said, recorded).
 * When the input itself failed (bad data, a read error, a stop signal
 * cutting a read short) the rows before it are pushed first. */
static int
produce_input(struct producer *pr, const char *name)
{
	const struct covered_input *done = coverage_find(&pr->done, name);
	struct input in;
	const struct field *f;
	uint32_t n;
	uint64_t line, counted = 0, row = 0;
	size_t cursor = 0;
	int rc;

	rc = input_open(&in, name, pr->opt, pr->max_record);
	atomic_fetch_add(&pr->pipe.sh->count.inputs, 1);
	snprintf(pr->pipe.sh->reading_as, sizeof(pr->pipe.sh->reading_as),
	    "%s%s", rc == 0 && in.read_as ? in.read_as : "",
	    rc != 0 || !in.read_as ? "" : in.bom_decided ?
	    ", by its byte-order mark" : ", by --encoding");
	if (rc == 0 && in.bom_decided &&
	    (buf_append(&pr->read_as, name, strlen(name) + 1) < 0 ||
	    buf_append(&pr->read_as, in.read_as, strlen(in.read_as) + 1) < 0))
		rc = fail_nomem(name);
	if (pr->opt->flush_after > 0) {
		/* A slow stream: send what has come, rather than wait for
		 * R rows (the converter then flushes its batch too). */
		in.stall_ms = (int)(pr->opt->flush_after * 1000.0 / 2);
		in.stall_ms = in.stall_ms > 0 ? in.stall_ms : 1;
		in.on_stall = stall_flush;
		in.stall_arg = pr;
	}
	while (rc == 0) {
		if (pipeline_stop_signal(&pr->pipe)) {
			rc = fail_note_stop(pipeline_stop_signal(&pr->pipe));
			break;
		}
		rc = input_next(&in, &f, &n, &line);
		if (rc <= 0)
			break;
		if (covered(done, ++row, &cursor)) {
			pr->skipped++;
			rc = 0;
		} else {
			rc = add_row(pr, &in, f, n, line, row);
		}
		/* The shared counter is for `csvpack status`: not every row
		 * needs to touch its cache line. */
		if ((row & 1023) == 0)
			counted = count_bytes(pr, &in, counted);
	}
	count_bytes(pr, &in, counted);
	/* Unless the ring failed, the rows before the failure (bad data, a
	 * read error, a stop signal, our own out of memory) are good: they
	 * are sent on, and the run ends in order. */
	pr->input_failed = rc < 0 && !pr->push_failed;
	if ((rc == 0 || pr->input_failed) && flush_chunk(pr) < 0) {
		pr->input_failed = 0;
		rc = -1;
	}
	input_close(&in);
	return rc;
}

static int
push_end(struct producer *pr, uint32_t flags)
{
	int rc = pipeline_push(&pr->pipe, REC_END, &flags, sizeof(flags));

	if (rc == RING_OK)
		return 0;
	pr->push_failed = 1;
	return push_failed(pr, rc);
}

/* The inputs' total size, for the progress line's ETA: known when every
 * input is a regular file, else 0.  Bytes read count as on disk
 * (input_bytes: compressed, undecoded). */
static uint64_t
input_total(const struct options *o)
{
	struct stat st;
	uint64_t total = 0;
	int i;

	if (o->ninputs == 0)
		return 0;
	for (i = 0; i < o->ninputs; i++) {
		if (strcmp(o->inputs[i], "-") == 0 ||
		    stat(o->inputs[i], &st) < 0 || !S_ISREG(st.st_mode))
			return 0;
		total += (uint64_t)st.st_size;
	}
	return total;
}

static int
run(struct producer *pr)
{
	static char *stdin_only[] = { "-" };
	char **inputs = pr->opt->ninputs ? pr->opt->inputs : stdin_only;
	int i, n = pr->opt->ninputs ? pr->opt->ninputs : 1;
	int rc = 0;

	atomic_store(&pr->pipe.sh->count.input_total, input_total(pr->opt));
	for (i = 0; i < n && rc == 0; i++)
		rc = produce_input(pr, inputs[i]);
	/* A stop needs no END: the shared stop flag tells the converter,
	 * and it reads no more.  Still interruptible. */
	if (rc == 0 || (pr->input_failed && fail_kind() != FAIL_STOP)) {
		if (push_end(pr, rc == 0 ? 0 : END_INPUT_FAILED) < 0) {
			pr->input_failed = 0;
			return -1;
		}
		pr->ended = 1;
	}
	return rc;
}

/* How the producer ends, for the others: an input that failed (bad or
 * unreadable) ended the stream in order, END sent, so they finish its
 * rows; anything else that failed broke the pipeline. */
static void
leave(struct producer *pr, int rc)
{
	enum fail_kind k = fail_kind();
	int in_order = rc == 0 || k == FAIL_STOP ||
	    (pr->input_failed && pr->ended);

	pipeline_detach(&pr->pipe, in_order);
}

/* Exit status.  Under the launcher an input that could not be read ends
 * with EXIT_FAIL_ORDERLY: the launcher lets the other stages finish its
 * rows, then exits 1 (by hand, the producer exits 1 itself). */
static int
exit_status(const struct producer *pr, int rc)
{
	int status = fail_status_of(rc);

	if (status == EXIT_FAIL && pr->input_failed && pr->ended &&
	    getenv("CSVPACK_LAUNCHER_PID"))
		return EXIT_FAIL_ORDERLY;
	return status;
}

/* The summary's word on encodings: each input its byte-order mark
 * decided, with the encoding it was read in. */
static void
print_read_as(const struct producer *pr)
{
	const char *p = (const char *)pr->read_as.data;
	const char *end = p + pr->read_as.len;
	const char *enc;

	while (p < end) {
		enc = p + strlen(p) + 1;
		msg_info("%s: read as %s (its byte-order mark)", p, enc);
		p = enc + strlen(enc) + 1;
	}
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct producer pr;
	int rc;

	rc = stage_options(argc, argv, &opt);
	if (rc <= 0)
		return fail_status_of(rc);
	memset(&pr, 0, sizeof(pr));
	pr.opt = &opt;
	buf_init(&pr.chunk, 0);
	buf_init(&pr.read_as, 0);
	rc = -1;
	if (stage_join(&pr.pipe, &opt, STAGE_PRODUCER, 0) == 0 &&
	    coverage_load(opt.output, &pr.done) == 0) {
		/* sids go on after the highest the directory knows */
		pr.sid = pr.done.max_sid + 1;
		if (!opt.resume)
			coverage_free(&pr.done);
		pr.pipe.interruptible = 1;
		pr.max_record = ring_max_payload(&pr.pipe.ring);
		rc = run(&pr);
	}
	/* A signal that cut a read short must reach the other stages (by
	 * hand, nobody else tells them); they wind down in order. */
	if (pr.pipe.sh && fail_kind() == FAIL_STOP)
		pipeline_stop_signal(&pr.pipe);
	/* Started by hand, the others may not have come yet: the rows in
	 * the ring are theirs, and the pipeline's objects must not outlive
	 * a converter that never comes. */
	if ((rc == 0 || pr.ended) && pipeline_wait_attached(&pr.pipe) < 0)
		rc = pipeline_wait_failed(&pr.pipe);
	if (pr.skipped)
		msg_info("--resume: skipped %llu rows already archived or staged",
		    (unsigned long long)pr.skipped);
	print_read_as(&pr);
	buf_free(&pr.chunk);
	buf_free(&pr.read_as);
	coverage_free(&pr.done);
	leave(&pr, rc);
	return exit_status(&pr, rc);
}
