/*
 * shm_layout.h - the pipeline's shared-memory segment, field by field:
 * who writes what, and when.  Everything that reads the segment without
 * taking part in it (the packer's progress line, `csvpack status`)
 * includes only this.
 *
 *   /dev/shm/csvpack-UID-NAME:  [ header, PIPELINE_HEADER_SIZE bytes ]
 *                               [ the ring's area, `capacity` bytes  ]
 *
 * The first stage creates the segment (O_EXCL, mode 0600) and writes, in
 * this order: creator_pid and creator_start (at once, so that a sweep can
 * tell a segment being set up from one whose creator died doing so), then
 * magic, version, sizes, owner_uid, the start times and the ring's
 * control block, and `ready` last.  Others read nothing before `ready`.
 *
 * From then on:
 *   stage[s]      written by stage s only (pid, start time, state, what it
 *                 is doing, a heartbeat); read by its peers, which decide
 *                 from pid + start time whether it lives (proc.h);
 *   stop          set once, by any stage, to the first stop signal seen;
 *   handoff_eos   the converter's, before it sets "converted": the batch
 *                 it hands over is the last;
 *   count         each counter by one stage (inputs, rows, csv_bytes,
 *                 input_total: the producer; documents, xml_bytes, nulls:
 *                 the converter; archives, archive_bytes: the packer);
 *   conf_*        the first stage to agree (pipeline_agree) writes -o and
 *                 -b (and --xsd: the converter stages the schema, the
 *                 packer packs it); conf_state tells the others when they
 *                 may read them;
 *   ring          the ring's positions (ring.h): write_pos the producer's,
 *                 read_pos the converter's.
 */
#ifndef CSVPACK_SHM_LAYOUT_H
#define CSVPACK_SHM_LAYOUT_H

#include <stdatomic.h>
#include <stdint.h>

#include "ring.h"

#define PIPELINE_MAGIC UINT64_C(0x314b4341505653a3) /* "\xa3SVPACK1" */
#define PIPELINE_VERSION 3u
#define PIPELINE_HEADER_SIZE 4096u  /* the ring's area starts here */

enum stage { STAGE_PRODUCER, STAGE_CONVERTER, STAGE_PACKER, STAGE_COUNT };
enum stage_state { STAGE_ABSENT, STAGE_RUNNING, STAGE_DONE, STAGE_FAILED };

/* What a stage is doing, for `csvpack status`. */
enum stage_doing {
	DOING_STARTING, DOING_WORKING, DOING_WAITING_RING, DOING_WAITING_PEER,
	DOING_PACKING,
};

struct stage_slot {
	_Atomic int32_t pid;
	_Atomic int32_t state;
	_Atomic uint64_t start_time;   /* /proc/PID/stat field 22 */
	_Atomic uint64_t heartbeat_ms; /* CLOCK_MONOTONIC, last sign of life */
	_Atomic uint32_t doing;        /* enum stage_doing */
};

struct pipeline_counters {
	_Atomic uint64_t inputs, rows, csv_bytes;
	_Atomic uint64_t documents, xml_bytes;
	_Atomic uint64_t nulls;        /* --null fields, the converter's */
	_Atomic uint64_t archives, archive_bytes;
	_Atomic uint64_t input_total;  /* bytes of all inputs; 0: unknown */
};

struct pipeline_shared {
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;  /* the ring's area starts here */
	uint64_t capacity;     /* the ring's area, bytes */
	uint32_t owner_uid;
	_Atomic uint32_t ready;       /* set last by the creator */
	_Atomic int32_t creator_pid;  /* set first by the creator */
	uint64_t creator_start;
	int64_t started;              /* the run's start, seconds since epoch */
	uint64_t started_ms;          /* the same on CLOCK_MONOTONIC */
	_Atomic uint32_t stop;        /* a signal number: wind down */
	_Atomic uint32_t handoff_eos; /* converter -> packer: last batch */
	struct stage_slot stage[STAGE_COUNT];
	struct pipeline_counters count;
	/* What the stages must agree on; see pipeline_agree(). */
	_Atomic uint32_t conf_state;  /* 0 unset, 1 being written, 2 set */
	_Atomic uint32_t conf_setter; /* the stage that set it */
	_Atomic uint64_t conf_batch;  /* -b; 0 until a stage that uses it */
	_Atomic uint32_t conf_xsd;    /* 0 unset, 1 without --xsd, 2 with */
	uint64_t conf_dev, conf_ino;  /* -o: which directory */
	char conf_output[1024];       /* -o as given, for messages */
	/* The producer's, for `csvpack status`: the encoding the input
	 * being read is decoded from, "" for UTF-8 (a display only: read
	 * without a lock, its last byte always NUL). */
	char reading_as[48];
	struct ring_ctl ring;
};

_Static_assert(sizeof(struct pipeline_shared) <= PIPELINE_HEADER_SIZE,
    "the shared header must fit its page");

#endif
