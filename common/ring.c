/*
 * ring.c - see ring.h for the idea.  The invariants the code keeps:
 *
 *   read_pos <= write_pos <= read_pos + capacity          (fill)
 *   every record starts 8-aligned and ends before the area's end
 *   the header slot at write_pos reads size 0 (unpublished)
 *
 * The last one is why push needs 8 bytes beyond the record: it zeroes the
 * slot after the record before it publishes the record, so the consumer,
 * arriving there, sees "empty" until the next publish.
 */
#include "ring.h"

#include <errno.h>
#include <string.h>

struct rec_header {
	_Atomic uint32_t size; /* header + payload bytes; 0 = not published */
	uint32_t type;
};

static inline uint64_t
align8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

static inline struct rec_header *
header_at(const struct ring *r, uint64_t pos)
{
	return (struct rec_header *)(void *)(r->data + (pos & r->mask));
}

int
ring_bind(struct ring *r, struct ring_ctl *ctl, void *data, uint64_t capacity,
    int init)
{
	if (capacity < RING_MIN_CAPACITY || (capacity & (capacity - 1)) != 0 ||
	    capacity > (UINT64_C(1) << 40)) {
		errno = EINVAL;
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->ctl = ctl;
	r->data = data;
	r->capacity = capacity;
	r->mask = capacity - 1;
	if (init) {
		memset(data, 0, capacity);
		atomic_store(&ctl->write_pos, 0);
		atomic_store(&ctl->read_pos, 0);
		atomic_store(&ctl->producer_waiting, 0);
		atomic_store(&ctl->consumer_waiting, 0);
	}
	return 0;
}

void
ring_set_events(struct ring *r, struct event *data_ready,
    struct event *space_ready)
{
	r->data_ready = data_ready;
	r->space_ready = space_ready;
}

uint64_t
ring_max_payload(const struct ring *r)
{
	uint64_t half = r->capacity / 2 - 2 * RING_HEADER_SIZE;
	uint64_t limit = UINT32_MAX - 2 * RING_HEADER_SIZE;

	return half < limit ? half : limit;
}

uint64_t
ring_fill(const struct ring *r)
{
	return atomic_load_explicit(&r->ctl->write_pos, memory_order_relaxed) -
	    atomic_load_explicit(&r->ctl->read_pos, memory_order_relaxed);
}

/* Writes a record at pos (which must fit before the area's end), zeroes
 * the slot after it, then publishes it.  Returns the stride. */
static uint64_t
put_record(struct ring *r, uint64_t pos, uint32_t type, const void *p,
    uint64_t size)
{
	struct rec_header *h = header_at(r, pos);
	uint64_t stride = align8(size);

	h->type = type;
	if (size > RING_HEADER_SIZE)
		memcpy(h + 1, p, size - RING_HEADER_SIZE);
	atomic_store_explicit(&header_at(r, pos + stride)->size, 0,
	    memory_order_relaxed);
	atomic_store_explicit(&h->size, (uint32_t)size, memory_order_release);
	return stride;
}

int
ring_try_push(struct ring *r, uint32_t type, const void *p, size_t len)
{
	uint64_t w, rd, size, stride, tail, pad, need;

	if (len > ring_max_payload(r))
		return RING_TOOBIG;
	w = atomic_load_explicit(&r->ctl->write_pos, memory_order_relaxed);
	rd = atomic_load_explicit(&r->ctl->read_pos, memory_order_acquire);
	size = RING_HEADER_SIZE + len;
	stride = align8(size);
	tail = r->capacity - (w & r->mask);
	pad = stride > tail ? tail : 0;
	need = pad + stride + RING_HEADER_SIZE;
	if (w + need - rd > r->capacity)
		return RING_AGAIN;
	if (pad) {
		/* The record goes to offset 0 first; the padding that leads
		 * the consumer to it is published last.  Its slot was zeroed
		 * by the previous push, and nothing follows it to zero. */
		struct rec_header *h = header_at(r, w);

		put_record(r, w + pad, type, p, size);
		h->type = RING_PAD;
		atomic_store_explicit(&h->size, (uint32_t)pad,
		    memory_order_release);
	} else {
		put_record(r, w, type, p, size);
	}
	atomic_store_explicit(&r->ctl->write_pos, w + pad + stride,
	    memory_order_release);
	/* The publish must be ordered before the load of the waiting flag
	 * (the store-buffer pattern), or a sleeping consumer could be missed;
	 * the waiter has the mirror fence in raise_flag(). */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&r->ctl->consumer_waiting) && r->data_ready)
		event_set(r->data_ready);
	return RING_OK;
}

int
ring_try_peek(struct ring *r, struct ring_rec *rec)
{
	uint64_t rd, off;
	struct rec_header *h;
	uint32_t size;

	for (;;) {
		rd = atomic_load_explicit(&r->ctl->read_pos, memory_order_relaxed);
		off = rd & r->mask;
		h = header_at(r, rd);
		size = atomic_load_explicit(&h->size, memory_order_acquire);
		if (size == 0)
			return RING_AGAIN;
		if (size < RING_HEADER_SIZE || align8(size) > r->capacity - off)
			return RING_CORRUPT;
		if (h->type != RING_PAD)
			break;
		if (off == 0 || size != r->capacity - off)
			return RING_CORRUPT; /* padding never fills the area */
		atomic_store_explicit(&r->ctl->read_pos, rd + size,
		    memory_order_release);
	}
	if (size - RING_HEADER_SIZE > ring_max_payload(r))
		return RING_CORRUPT;
	rec->type = h->type;
	rec->len = size - RING_HEADER_SIZE;
	rec->data = h + 1;
	rec->stride = align8(size);
	return RING_OK;
}

void
ring_release(struct ring *r, const struct ring_rec *rec)
{
	uint64_t rd = atomic_load_explicit(&r->ctl->read_pos,
	    memory_order_relaxed);

	atomic_store_explicit(&r->ctl->read_pos, rd + rec->stride,
	    memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&r->ctl->producer_waiting) && r->space_ready)
		event_set(r->space_ready);
}

static void
raise_flag(_Atomic uint32_t *waiting)
{
	atomic_store_explicit(waiting, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
}

/* One sleep of the blocking loop, the flag already up: the caller raised
 * it and tried once more, so that a publish racing with it was either
 * seen by that try or sets the event we wait on here.  Sleeps one slice,
 * lowers the flag, drains the event; a slice that passed without it asks
 * idle() whether to give up. */
static int
sleep_once(struct event *ev, _Atomic uint32_t *waiting, int slice_ms,
    ring_idle_fn idle, void *arg)
{
	int rc;

	rc = event_wait(ev, slice_ms);
	atomic_store(waiting, 0);
	if (rc != 0 && rc != ETIMEDOUT && rc != EINTR) {
		errno = rc;
		return RING_ERROR;
	}
	if (event_clear(ev) < 0)
		return RING_ERROR;
	if (rc != 0 && idle && idle(arg))
		return RING_STOPPED;
	return RING_OK;
}

int
ring_push(struct ring *r, uint32_t type, const void *p, size_t len,
    int slice_ms, ring_idle_fn idle, void *arg)
{
	int rc;

	for (;;) {
		rc = ring_try_push(r, type, p, len);
		if (rc != RING_AGAIN)
			return rc;
		raise_flag(&r->ctl->producer_waiting);
		rc = ring_try_push(r, type, p, len);
		if (rc != RING_AGAIN) {
			atomic_store(&r->ctl->producer_waiting, 0);
			return rc;
		}
		rc = sleep_once(r->space_ready, &r->ctl->producer_waiting,
		    slice_ms, idle, arg);
		if (rc != RING_OK)
			return rc;
	}
}

int
ring_peek(struct ring *r, struct ring_rec *rec, int slice_ms,
    ring_idle_fn idle, void *arg)
{
	int rc;

	for (;;) {
		rc = ring_try_peek(r, rec);
		if (rc != RING_AGAIN)
			return rc;
		raise_flag(&r->ctl->consumer_waiting);
		rc = ring_try_peek(r, rec);
		if (rc != RING_AGAIN) {
			atomic_store(&r->ctl->consumer_waiting, 0);
			return rc;
		}
		rc = sleep_once(r->data_ready, &r->ctl->consumer_waiting,
		    slice_ms, idle, arg);
		if (rc != RING_OK)
			return rc;
	}
}
