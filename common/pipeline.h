/*
 * pipeline.h - what the three stages share: one shared-memory segment (a
 * header and the ring's area) and four events, all named after the pipeline.
 *
 *   /dev/shm/csvpack-UID-NAME             the segment (shm_open)
 *   /dev/shm/sem.csvpack-UID-NAME.data    ring: a record was published
 *   /dev/shm/sem.csvpack-UID-NAME.space   ring: a record was consumed
 *   /dev/shm/sem.csvpack-UID-NAME.converted   converter -> packer: a batch
 *   /dev/shm/sem.csvpack-UID-NAME.packed      packer -> converter: packed
 *
 * Stages attach in any order: the first creates everything (O_EXCL, mode
 * 0600) and marks the header ready last; the others open and wait for that.
 * Each stage records its pid and start time in the header, so the others
 * can tell when it has died; every wait is a bounded wait that checks.  The
 * last of the three to finish removes the names (a stage that finishes
 * before the others have come leaves them be); a stage that leaves a broken
 * pipeline removes them at once.
 */
#ifndef CSVPACK_PIPELINE_H
#define CSVPACK_PIPELINE_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"
#include "ring.h"

#define PIPELINE_MAGIC UINT64_C(0x314b4341505653a3) /* "\xa3SVPACK1" */
#define PIPELINE_VERSION 2u
#define PIPELINE_NAME_MAX 64
#define PIPELINE_SLICE_MS 100  /* every wait wakes this often to check */

enum stage { STAGE_PRODUCER, STAGE_CONVERTER, STAGE_PACKER, STAGE_COUNT };
enum stage_state { STAGE_ABSENT, STAGE_RUNNING, STAGE_DONE, STAGE_FAILED };
enum { EV_DATA, EV_SPACE, EV_CONVERTED, EV_PACKED, EV_COUNT };

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
	uint64_t conf_dev, conf_ino;  /* -o: which directory */
	char conf_output[1024];       /* -o as given, for messages */
	struct ring_ctl ring;
};

struct pipeline {
	enum stage self;
	char name[PIPELINE_NAME_MAX + 1];
	char shm_name[PIPELINE_NAME_MAX + 40];
	char ev_name[EV_COUNT][PIPELINE_NAME_MAX + 60];
	struct pipeline_shared *sh;
	size_t map_len;
	struct ring ring;
	struct event ev[EV_COUNT];
	int interruptible; /* ring waits give up when a stop is requested */
	int peer_died;
	uint64_t attach_deadline_ms; /* a stage not come by then fails us */
	unsigned attach_timeout_s;
	int told_missing;
	int withdrawn;     /* refused by pipeline_agree: left no trace */
	uint64_t deadline_ms; /* ring waits give up then (0: never) ... */
	int deadline_hit;     /* ... and say so here */
};

const char *stage_name(enum stage s);
/* 1 if name is 1..64 of [A-Za-z0-9._-], not starting with '.'. */
int pipeline_name_valid(const char *name);

/* Creates or joins the pipeline.  ring_size is used only by the creator.
 * Returns 0, or -1 after saying why (a signal that stopped the wait for a
 * creator is recorded as a stop).  IPC objects of the pipeline's names
 * that are not this user's are refused, never used or removed. */
int pipeline_attach(struct pipeline *p, const char *name, uint64_t ring_size,
    enum stage self);
/* Records how this stage ended and leaves; removes the names if the other
 * two stages are done, or if broken is set (the pipeline cannot go on). */
void pipeline_detach(struct pipeline *p, int ok, int broken);
/* Removes the names of pipeline NAME (this user's).  Returns how many
 * objects were removed. */
int pipeline_remove(const char *name);
/* Removes pipeline NAME's objects unless one of its stages still runs
 * (then prints which and returns -1). */
int pipeline_cleanup(const char *name);
/* pipeline_cleanup() for every pipeline of this user in /dev/shm; running
 * ones are left alone (and named).  Returns how many were removed, or -1
 * if /dev/shm cannot be read. */
int pipeline_cleanup_all(void);

/* The other stages must have attached within seconds from now (0: no
 * limit), or pipeline_check_peers fails saying which one never came. */
void pipeline_set_attach_timeout(struct pipeline *p, unsigned seconds);
/* Waits until the other two stages have attached (the producer's rows
 * mean nothing if no converter ever comes).  Returns 0, or -1 as
 * pipeline_check_peers does: attach timeout, dead launcher, stop. */
int pipeline_wait_attached(struct pipeline *p);
/* Records why a wait failed (fail.h): a stop if one was asked and no
 * stage died, else a peer's failure.  Returns -1. */
int pipeline_wait_failed(struct pipeline *p);

/* Stages started by hand may be given different options.  The first
 * stage here records its output directory (which must exist) and batch
 * size (0: this stage has none); a later one with others is refused with
 * a message saying what differs, and withdraws: the others wait for a
 * stage started the right way.  Returns 0, or -1 after saying why (a
 * mismatch is FAIL_USAGE). */
int pipeline_agree(struct pipeline *p, const char *output, uint64_t batch);

/* Checks the other stages: returns 0 if none has died, else -1 after
 * printing which one (and sets p->peer_died), or after saying that
 * /proc could not be read. */
int pipeline_check_peers(struct pipeline *p);
/* The signal that asked the pipeline to stop (this process's or another
 * stage's), or 0. */
int pipeline_stop_signal(struct pipeline *p);

/* Blocking ring operations with peer checks; ring_status codes.  They give
 * up with RING_STOPPED when a peer dies, when a stop is requested and
 * p->interruptible is set, or once p->deadline_ms (CLOCK_MONOTONIC) is
 * past (p->deadline_hit is then set). */
int pipeline_push(struct pipeline *p, uint32_t type, const void *data,
    size_t len);
int pipeline_peek(struct pipeline *p, struct ring_rec *rec);

/* Prints pipeline NAME's counters and stages (or every pipeline of this
 * user when name is NULL) on stdout.  Returns how many of those shown
 * have a live stage, or -1 if NAME was not found (said unless quiet). */
int pipeline_status(const char *name, int quiet);
void pipeline_doing(struct pipeline *p, enum stage_doing what);

/* Waits for event ev to be set, checking peers.  Returns 0, or -1 if a
 * peer died or a semaphore call failed (printed). */
int pipeline_wait_event(struct pipeline *p, int ev);

#endif
