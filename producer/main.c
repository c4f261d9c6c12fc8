/*
 * csvpack-producer - reads CSV inputs and writes them into the pipeline's
 * ring as CHUNK records of at most R rows each, one future XML document per
 * record, then an END record.
 *
 * A chunk also ends before it would outgrow what one ring record may carry,
 * so a wide table makes smaller documents rather than an overflow.  A full
 * ring blocks the push: that is the back-pressure that keeps memory flat.
 * On bad input, the rows before it are still pushed and the END record
 * says the stream stopped early; the exit status is 65.
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
#include "input.h"
#include "journal.h"
#include "msg.h"
#include "options.h"
#include "outlock.h"
#include "pipeline.h"
#include "record.h"
#include "signals.h"
#include "staging.h"

struct producer {
	const struct options *opt;
	struct pipeline pipe;
	struct buf chunk;
	uint64_t sid;        /* of the chunk being built */
	uint32_t nrows;      /* rows in it */
	uint64_t next_row;   /* the row number that may join it */
	uint64_t max_record;
	struct coverage done; /* --resume: rows archived or staged */
	uint64_t skipped;
};

/* Status of a failed push, printed. */
static int
push_failed(struct producer *pr, int rc)
{
	int sig;

	if (rc == RING_STOPPED && pr->pipe.peer_died)
		return EXIT_FAIL;
	if (rc == RING_STOPPED && (sig = pipeline_stop_signal(&pr->pipe)))
		return 128 + sig;
	if (rc == RING_ERROR)
		msg_warn_errno("ring");
	else
		msg_warn("ring: cannot push a record (status %d)", rc);
	return EXIT_FAIL;
}

static int
flush_chunk(struct producer *pr)
{
	int rc;

	if (pr->nrows == 0)
		return 0;
	chunk_finish(&pr->chunk, pr->nrows);
	rc = pipeline_push(&pr->pipe, REC_CHUNK, pr->chunk.data, pr->chunk.len);
	if (rc != RING_OK)
		return push_failed(pr, rc);
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
	int rc;

	if (pr->nrows > 0 && (pr->nrows >= pr->opt->rows ||
	    pr->chunk.len + size > pr->max_record || row != pr->next_row) &&
	    (rc = flush_chunk(pr)))
		return rc;
	if (pr->nrows == 0 && chunk_begin(&pr->chunk, pr->sid, row, in->name,
	    in->header, in->ncols) < 0)
		goto nomem;
	if (pr->chunk.len + size > pr->max_record) {
		msg_data(in->name, line, "row and header take %zu bytes, more "
		    "than one ring record carries (%llu); raise --ring-size",
		    pr->chunk.len + size, (unsigned long long)pr->max_record);
		return EXIT_DATA;
	}
	if (chunk_add_row(&pr->chunk, line, f, n) < 0)
		goto nomem;
	pr->nrows++;
	pr->next_row = row + 1;
	/* A full document goes now, not when the next row comes: on a slow
	 * stream that may be much later. */
	if (pr->nrows >= pr->opt->rows)
		return flush_chunk(pr);
	return 0;
nomem:
	msg_warn("%s: out of memory", in->name);
	return EXIT_FAIL;
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

/* Pushes every row of one input.  Returns 0 or an exit status. */
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
			rc = 128 + pipeline_stop_signal(&pr->pipe);
			break;
		}
		rc = input_next(&in, &f, &n, &line);
		if (rc == 0)
			break;
		if (rc == 1 && covered(done, ++row, &cursor)) {
			pr->skipped++;
			rc = 0;
		} else if (rc == 1) {
			rc = add_row(pr, &in, f, n, line, row);
		}
		/* The shared counter is for `csvpack status`: not every row
		 * needs to touch its cache line. */
		if ((row & 1023) == 0)
			counted = count_bytes(pr, &in, counted);
	}
	count_bytes(pr, &in, counted);
	/* The rows before a failure are good: send them on. */
	if (rc == 0 || rc == EXIT_DATA || rc > 128) {
		int frc = flush_chunk(pr);
		if (frc && rc == 0)
			rc = frc;
	}
	input_close(&in);
	return rc;
}

static int
push_end(struct producer *pr, uint32_t flags)
{
	int rc = pipeline_push(&pr->pipe, REC_END, &flags, sizeof(flags));

	return rc == RING_OK ? 0 : push_failed(pr, rc);
}

/* The inputs' total size, for the progress line's ETA: known when every
 * input is a regular file read as it is (no --encoding), else 0. */
static uint64_t
input_total(const struct options *o)
{
	struct stat st;
	uint64_t total = 0;
	int i;

	if (o->ninputs == 0 || o->encoding)
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
	int rc = 0, erc;

	atomic_store(&pr->pipe.sh->count.input_total, input_total(pr->opt));
	for (i = 0; i < n && rc == 0; i++)
		rc = produce_input(pr, inputs[i]);
	if (rc == 0 || rc == EXIT_DATA) {
		/* Still interruptible: a stopped converter reads no more,
		 * and needs no END (the shared stop flag tells it). */
		erc = push_end(pr, rc == EXIT_DATA ? END_DATA_ERROR : 0);
		if (erc)
			rc = erc;
	}
	return rc;
}

/* --validate: the options parsed; can every input be opened? */
static int
validate_inputs(const struct options *o)
{
	struct stat st;
	int i, fd, rc = 0;

	for (i = 0; i < o->ninputs; i++) {
		if (strcmp(o->inputs[i], "-") == 0)
			continue;
		/* Opening a FIFO would block for, or steal, its writer:
		 * stat and access tell enough. */
		if (stat(o->inputs[i], &st) == 0 && S_ISFIFO(st.st_mode)) {
			if (access(o->inputs[i], R_OK) < 0) {
				msg_warn_errno("%s", o->inputs[i]);
				rc = EXIT_FAIL;
			}
			continue;
		}
		fd = open(o->inputs[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			msg_warn_errno("%s", o->inputs[i]);
			rc = EXIT_FAIL;
			continue;
		}
		close(fd);
	}
	return rc;
}

/* --cleanup [NAME]: remove what dead pipelines left in /dev/shm; a
 * running pipeline's objects are never touched. */
static int
cleanup(const struct options *o)
{
	const char *name = o->name ? o->name : o->ninputs ? o->inputs[0] : NULL;

	if (!name)
		return pipeline_cleanup_all() < 0 ? EXIT_FAIL : 0;
	if (!pipeline_name_valid(name)) {
		msg_warn("--cleanup: '%s' is not a pipeline name", name);
		return EXIT_USAGE;
	}
	return pipeline_cleanup(name) < 0 ? EXIT_FAIL : 0;
}

/* --status [--watch] [NAME]: once, or redrawn every second (like
 * watch(1)) until the pipeline, or every pipeline, has ended. */
static int
status(const struct options *o)
{
	const char *name = o->name ? o->name : o->ninputs ? o->inputs[0] : NULL;
	const struct timespec second = { 1, 0 };
	int tty = isatty(STDOUT_FILENO), n, seen = 0;

	if (name && !pipeline_name_valid(name)) {
		msg_warn("--status: '%s' is not a pipeline name", name);
		return EXIT_USAGE;
	}
	if (!o->watch)
		return pipeline_status(name, 0) < 0 ? EXIT_FAIL : 0;
	for (;;) {
		if (tty)
			fputs("\033[H\033[2J", stdout);
		n = pipeline_status(name, seen);
		if (n < 0 && !seen)
			return EXIT_FAIL;
		/* Gone, or nothing of it lives (killed: --cleanup is due). */
		if (n <= 0) {
			if (name)
				printf("pipeline %s has ended\n", name);
			return 0;
		}
		seen = 1;
		if (fflush(stdout) == EOF)
			return EXIT_FAIL;
		nanosleep(&second, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct producer pr;
	int rc;

	msg_init(argv[0]);
	rc = options_parse(&opt, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;
	msg_quiet(opt.quiet);
	if (opt.cleanup)
		return cleanup(&opt);
	if (opt.status)
		return status(&opt);
	if (opt.validate) {
		/* Refused here, a second pipeline on a busy directory says
		 * so once, before any stage starts. */
		if (outlock_busy(opt.output, opt.name))
			return EXIT_FAIL;
		return validate_inputs(&opt);
	}
	if (!opt.name) {
		msg_warn("--name is required when a stage runs alone "
		    "(the csvpack launcher picks one)");
		return EXIT_USAGE;
	}
	if (signals_install() < 0) {
		msg_warn_errno("sigaction");
		return EXIT_FAIL;
	}
	memset(&pr, 0, sizeof(pr));
	pr.opt = &opt;
	if (coverage_load(opt.output, &pr.done) < 0)
		return EXIT_FAIL;
	pr.sid = pr.done.max_sid + 1;
	if (!opt.resume)
		coverage_free(&pr.done); /* only the numbering was wanted */
	if ((rc = pipeline_attach(&pr.pipe, opt.name, opt.ring_size,
	    STAGE_PRODUCER)) != 0)
		return rc;
	pr.pipe.interruptible = 1;
	pipeline_set_attach_timeout(&pr.pipe, opt.attach_timeout);
	pr.max_record = ring_max_payload(&pr.pipe.ring);
	buf_init(&pr.chunk, 0);
	if (make_dirs(opt.output) < 0)
		rc = EXIT_FAIL;
	else if ((rc = pipeline_agree(&pr.pipe, opt.output, 0)) == 0)
		rc = run(&pr);
	/* A signal that cut a read short must reach the other stages (by
	 * hand, nobody else tells them); they wind down in order. */
	if (rc > 128)
		pipeline_stop_signal(&pr.pipe);
	/* Started by hand, the others may not have come yet: the rows in
	 * the ring are theirs, and the pipeline's objects must not outlive
	 * a converter that never comes. */
	if ((rc == 0 || rc == EXIT_DATA) && pipeline_wait_attached(&pr.pipe) < 0)
		rc = pipeline_wait_status(&pr.pipe);
	if (pr.skipped)
		msg_info("--resume: skipped %llu rows already archived or staged",
		    (unsigned long long)pr.skipped);
	buf_free(&pr.chunk);
	coverage_free(&pr.done);
	pipeline_detach(&pr.pipe, rc == 0 || rc == EXIT_DATA || rc > 128,
	    rc == EXIT_FAIL);
	return rc;
}
