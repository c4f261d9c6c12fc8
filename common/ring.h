/*
 * ring.h - a single-producer, single-consumer ring of variable-length
 * records in shared memory, in the manner of the kernel's kfifo.
 *
 * The ring is a power-of-two byte area and a control block holding two
 * free-running 64-bit positions, write_pos and read_pos, on separate cache
 * lines.  A position is masked only when it indexes the area; write_pos -
 * read_pos is the fill, always.
 *
 * A record is an 8-byte header { uint32 size; uint32 type } and its payload,
 * padded to a multiple of 8.  size counts header and payload (unpadded), so
 * it is never 0.  Publishing is one release-store of size: the producer
 * writes the payload and type, zeroes the header slot that follows, and only
 * then stores size.  The consumer load-acquires size at read_pos: 0 means
 * empty.  A record never wraps: when it does not fit before the end of the
 * area, a padding record fills the tail and the record starts at offset 0.
 *
 * Blocking: a side that finds the ring full (or empty) raises its waiting
 * flag, re-checks, then sleeps on an event that the other side sets after
 * it moves a position and sees the flag.  Sleeps are bounded; on each
 * timeout the caller's idle() callback decides whether to keep waiting
 * (csvpack checks that the peer stages live there).  No busy spinning.
 */
#ifndef CSVPACK_RING_H
#define CSVPACK_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define RING_HEADER_SIZE 8u
#define RING_MIN_CAPACITY 4096u

enum ring_type {
	RING_PAD = 1,  /* filler at the end of the area; never returned */
	RING_USER = 2, /* first type value free for callers */
};

struct ring_ctl {
	alignas(64) _Atomic uint64_t write_pos;
	_Atomic uint32_t producer_waiting;
	alignas(64) _Atomic uint64_t read_pos;
	_Atomic uint32_t consumer_waiting;
	alignas(64) char end[1];
};

struct ring {
	struct ring_ctl *ctl;
	unsigned char *data;
	uint64_t capacity; /* power of two */
	uint64_t mask;
	struct event *data_ready;  /* set by the producer for a waiting consumer */
	struct event *space_ready; /* set by the consumer for a waiting producer */
};

struct ring_rec {
	uint32_t type;
	uint32_t len;      /* payload bytes */
	const void *data;  /* points into the ring until ring_release() */
	uint64_t stride;   /* bytes this record takes, padding included */
};

/* Status codes (negative) of the ring functions. */
enum ring_status {
	RING_OK = 0,
	RING_AGAIN = -1,    /* full / empty (try_ functions only) */
	RING_TOOBIG = -2,   /* record larger than ring_max_payload() */
	RING_CORRUPT = -3,  /* a header in the area fails its bounds checks */
	RING_STOPPED = -4,  /* idle() asked to stop waiting */
	RING_ERROR = -5,    /* a semaphore call failed; errno says why */
};

/* Binds r to an area of capacity bytes (a power of two, >= 4096) and a
 * control block.  init: zero both (the creator does this once). */
int ring_bind(struct ring *r, struct ring_ctl *ctl, void *data,
    uint64_t capacity, int init);
void ring_set_events(struct ring *r, struct event *data_ready,
    struct event *space_ready);

/* The largest payload a record may carry: half the area, less headers, so
 * one record always fits beside a padding record and the next slot. */
uint64_t ring_max_payload(const struct ring *r);
uint64_t ring_fill(const struct ring *r);

/* Non-blocking.  push: RING_OK, RING_AGAIN (no room yet) or RING_TOOBIG.
 * peek: RING_OK with *rec filled, RING_AGAIN (empty) or RING_CORRUPT.
 * A peeked record stays valid until ring_release(). */
int ring_try_push(struct ring *r, uint32_t type, const void *p, size_t len);
int ring_try_peek(struct ring *r, struct ring_rec *rec);
void ring_release(struct ring *r, const struct ring_rec *rec);

/* Blocking forms.  They sleep on the events in slices of slice_ms and call
 * idle(arg) after each slice; a non-zero return stops the wait with
 * RING_STOPPED.  idle may be NULL. */
typedef int (*ring_idle_fn)(void *arg);
int ring_push(struct ring *r, uint32_t type, const void *p, size_t len,
    int slice_ms, ring_idle_fn idle, void *arg);
int ring_peek(struct ring *r, struct ring_rec *rec,
    int slice_ms, ring_idle_fn idle, void *arg);

#endif
