/*
 * test_ring.c - unit tests of the shared-memory record ring (ring.h).
 *
 * Single-process tests drive the non-blocking calls on a 4096-byte ring:
 * every start offset (reached by pushing and consuming filler records) is
 * tried with records of the awkward sizes (0, 1, 7, 8, 9, ..., the largest
 * payload), and a queue of what was pushed is checked against what comes
 * back: type, length, bytes, order, never a padding record, never a
 * payload that runs past the end of the area.  Full, empty, too big and
 * corrupt headers are checked on the same kind of ring; headers that could
 * make peek loop are tried in a forked child with an alarm, and a crash in
 * the wrap tests names its case on stderr before Check reports the signal.
 *
 * Multi-process tests put the control block and the area in one
 * MAP_SHARED|MAP_ANONYMOUS mapping and fork.  The events are named
 * semaphores "/csvpack-test-<runner pid>-ring-<test>-{data,space}";
 * shmfix.h records them, undoes them on a failure, sweeps what a killed
 * test left and has the last test check that nothing was.  Every wait is
 * bounded; children also carry an alarm().
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* REQUIRE and REQUIRE_EQ name where a loop is (ctx, below). */
#define REQUIRE_WHERE ctx
#include "suites.h"
#include "shmfix.h"
#include "ring.h"

#define SMALL_CAP 4096u
#define FILLER_TYPE (RING_USER + 0x1000)

#define STRESS_RECORDS 1000000
#define STRESS_CAP (64u * 1024u)
#define STRESS_EOS (RING_USER + 1)
#define STRESS_SIZE_SEED UINT64_C(0x9e3779b97f4a7c15)
#define STRESS_DATA_SEED UINT64_C(0xd1b54a32d192ed03)
#define STRESS_SECONDS 45.0

static char ctx[160];		/* where a loop is, for failure messages */

static uint64_t
align8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* Deterministic bytes for a record, from a seed (xorshift32). */
static void
pattern(unsigned char *p, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u | 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)(x >> 24);
	}
}

/*
 * A ring in one shared anonymous mapping, with or without its events.
 */
struct shring {
	unsigned char *map;
	size_t maplen;
	struct ring r;
	struct event data_ready;
	struct event space_ready;
};

#define CTL_SIZE ((sizeof(struct ring_ctl) + 63) & ~(size_t)63)

static void
shring_map(struct shring *s, uint64_t capacity)
{
	memset(s, 0, sizeof(*s));
	s->maplen = CTL_SIZE + capacity;
	s->map = mmap(NULL, s->maplen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE_MSG(s->map != MAP_FAILED, "mmap: %s", strerror(errno));
	REQUIRE_EQ(ring_bind(&s->r, (struct ring_ctl *)(void *)s->map,
	    s->map + CTL_SIZE, capacity, 1), 0);
}

static void
shring_open(struct shring *s, uint64_t capacity, const char *test)
{
	char what[64];
	const char *name;

	shring_map(s, capacity);
	snprintf(what, sizeof(what), "%s-data", test);
	name = scratch_name(what);
	REQUIRE_MSG(event_open(&s->data_ready, name, 1) == 0,
	    "event_open %s: %s", name, strerror(errno));
	snprintf(what, sizeof(what), "%s-space", test);
	name = scratch_name(what);
	REQUIRE_MSG(event_open(&s->space_ready, name, 1) == 0,
	    "event_open %s: %s", name, strerror(errno));
	ring_set_events(&s->r, &s->data_ready, &s->space_ready);
}

static void
shring_close(struct shring *s)
{
	event_close(&s->data_ready);
	event_close(&s->space_ready);
	unlink_all();
	munmap(s->map, s->maplen);
}

static uint64_t
write_pos(const struct ring *r)
{
	return atomic_load(&r->ctl->write_pos);
}

static uint64_t
read_pos(const struct ring *r)
{
	return atomic_load(&r->ctl->read_pos);
}

/* Peeks one record and checks it against type, len and seed's bytes. */
static void
expect_record(struct ring *r, uint32_t type, uint32_t len, uint32_t seed)
{
	static unsigned char want[SMALL_CAP];
	struct ring_rec rec;
	const unsigned char *d;
	int rc;

	rc = ring_try_peek(r, &rec);
	REQUIRE_MSG(rc == RING_OK, "%s: peek returned %d, expected a record "
	    "of type %" PRIu32 " and %" PRIu32 " bytes (write_pos %" PRIu64
	    ", read_pos %" PRIu64 ")", ctx, rc, type, len, write_pos(r),
	    read_pos(r));
	REQUIRE(rec.type != RING_PAD);
	REQUIRE_EQ(rec.type, type);
	REQUIRE_EQ(rec.len, len);
	REQUIRE_EQ(rec.stride, align8(RING_HEADER_SIZE + len));
	d = rec.data;
	/* a record never wraps: the payload lies inside the area */
	REQUIRE(d >= r->data + RING_HEADER_SIZE);
	REQUIRE(d + len <= r->data + r->capacity);
	REQUIRE(len <= sizeof(want));
	pattern(want, len, seed);
	REQUIRE(len == 0 || memcmp(d, want, len) == 0);
	ring_release(r, &rec);
}

/* Pushes and consumes fillers until the (empty) ring's positions sit at
 * offset off of the area.  Fillers never need padding. */
static void
advance_to(struct ring *r, uint64_t off)
{
	static unsigned char filler[SMALL_CAP];
	static int ready;
	uint64_t max_stride, cur, d;

	/* pattern(seed 0) of a shorter length is a prefix of this one */
	if (!ready) {
		pattern(filler, sizeof(filler), 0);
		ready = 1;
	}
	REQUIRE_EQ(ring_fill(r), 0);
	max_stride = (RING_HEADER_SIZE + ring_max_payload(r)) & ~(uint64_t)7;
	if (max_stride > sizeof(filler))
		max_stride = sizeof(filler);
	while ((cur = write_pos(r) & r->mask) != off) {
		d = cur < off ? off - cur : r->capacity - cur;
		if (d > max_stride)
			d = max_stride;
		REQUIRE_EQ(ring_try_push(r, FILLER_TYPE, filler,
		    d - RING_HEADER_SIZE), RING_OK);
		REQUIRE_EQ(write_pos(r) - read_pos(r), d);
		expect_record(r, FILLER_TYPE, d - RING_HEADER_SIZE, 0);
	}
}

/*
 * A pipeline: records pushed and not yet checked, oldest first.  A push
 * that finds the ring full checks the oldest record to make room.
 */
#define PIPE_MAX 64

struct pipeline {
	struct ring *r;
	struct {
		uint32_t type, len, seed;
	} q[PIPE_MAX];
	unsigned head, count;
	uint64_t pads;		/* pushes that needed a padding record */
	uint64_t records;
};

static void
pipe_pop(struct pipeline *pl)
{
	unsigned i = pl->head;

	REQUIRE(pl->count > 0);
	expect_record(pl->r, pl->q[i].type, pl->q[i].len, pl->q[i].seed);
	pl->head = (pl->head + 1) % PIPE_MAX;
	pl->count--;
	pl->records++;
}

static void
pipe_push(struct pipeline *pl, uint32_t type, uint32_t len, uint32_t seed)
{
	static unsigned char buf[SMALL_CAP];
	struct ring *r = pl->r;
	uint64_t w0, w1, tail, stride = align8(RING_HEADER_SIZE + len);
	unsigned i;
	int rc;

	REQUIRE(len <= sizeof(buf));
	pattern(buf, len, seed);
	for (;;) {
		w0 = write_pos(r);
		rc = ring_try_push(r, type, buf, len);
		if (rc != RING_AGAIN)
			break;
		REQUIRE_MSG(pl->count > 0, "%s: a %" PRIu32 "-byte record "
		    "does not fit an empty ring", ctx, len);
		REQUIRE_EQ(write_pos(r), w0);
		pipe_pop(pl);
	}
	REQUIRE_EQ(rc, RING_OK);
	w1 = write_pos(r);
	tail = r->capacity - (w0 & r->mask);
	if (stride <= tail) {
		REQUIRE_EQ(w1 - w0, stride);
	} else {
		/* padding to the end, the record at offset 0 */
		REQUIRE_EQ(w1 - w0, tail + stride);
		pl->pads++;
	}
	REQUIRE(w1 - read_pos(r) <= r->capacity);
	REQUIRE(pl->count < PIPE_MAX);
	i = (pl->head + pl->count) % PIPE_MAX;
	pl->q[i].type = type;
	pl->q[i].len = len;
	pl->q[i].seed = seed;
	pl->count++;
}

static void
pipe_drain(struct pipeline *pl)
{
	struct ring_rec rec;

	while (pl->count > 0)
		pipe_pop(pl);
	REQUIRE_EQ(ring_try_peek(pl->r, &rec), RING_AGAIN);
	REQUIRE_EQ(ring_fill(pl->r), 0);
}

/* The awkward sizes for a ring: around 0, around 8, around the maximum. */
static size_t
test_sizes(const struct ring *r, uint32_t *sizes)
{
	static const uint32_t small[] = { 0, 1, 7, 8, 9, 15, 16, 17, 100,
	    1000, 1024 };
	uint32_t max = (uint32_t)ring_max_payload(r);
	size_t n = 0, i;

	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		if (small[i] <= max)
			sizes[n++] = small[i];
	sizes[n++] = max - 9;
	sizes[n++] = max - 8;
	sizes[n++] = max - 7;
	sizes[n++] = max - 1;
	sizes[n++] = max;
	return n;
}

/* A crash in the ring code would only show as "signal 11" with a line
 * number; say which case it was on stderr first. */
static void
crash_report(int sig)
{
	static const char msg[] = "test_ring: crashed at: ";
	ssize_t n;

	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	n = write(STDERR_FILENO, ctx, strlen(ctx));
	n = write(STDERR_FILENO, "\n", 1);
	(void)n;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_crashes(int on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? crash_report : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * (1) Wrap-around.  Fresh ring per case: reach offset off, push a record
 * of each size followed by small ones (9 and 0 bytes) and the next size,
 * so that each of them in turn is the one that meets the end.
 */
START_TEST(ring_wrap_every_offset)
{
	struct shring s;
	struct pipeline pl;
	uint32_t sizes[32];
	size_t n, i;
	uint64_t off, cases = 0, pads = 0;

	shring_map(&s, SMALL_CAP);
	n = test_sizes(&s.r, sizes);
	catch_crashes(1);
	for (off = 0; off < SMALL_CAP; off += 8) {
		for (i = 0; i < n; i++) {
			snprintf(ctx, sizeof(ctx), "offset %" PRIu64
			    ", size %" PRIu32, off, sizes[i]);
			REQUIRE_EQ(ring_bind(&s.r, s.r.ctl, s.r.data,
			    SMALL_CAP, 1), 0);
			advance_to(&s.r, off);
			memset(&pl, 0, sizeof(pl));
			pl.r = &s.r;
			pipe_push(&pl, RING_USER, sizes[i],
			    (uint32_t)(off + i));
			pipe_push(&pl, RING_USER + 1, 9, (uint32_t)~off);
			pipe_push(&pl, RING_USER + 2, 0, 0);
			pipe_push(&pl, RING_USER + 3, sizes[(i + 1) % n],
			    (uint32_t)(off * 7 + i));
			pipe_drain(&pl);
			pads += pl.pads;
			cases++;
		}
	}
	catch_crashes(0);
	ctx[0] = '\0';
	/* every size met the end at some offset */
	REQUIRE(pads >= n);
	REQUIRE_EQ(cases, (SMALL_CAP / 8) * n);
	munmap(s.map, s.maplen);
}
END_TEST

/*
 * (1) Wrap-around, streaming.  One ring for the whole test, so the
 * positions run over many laps: for every start offset, empty the ring,
 * move to the offset, then stream three rounds of all the sizes (in an
 * order rotated by the offset) with pushes and checks interleaved.
 */
START_TEST(ring_wrap_stream)
{
	struct shring s;
	struct pipeline pl;
	uint32_t sizes[32];
	size_t n, i;
	uint64_t off, pads = 0, records = 0;
	uint32_t k = 0;

	shring_map(&s, SMALL_CAP);
	n = test_sizes(&s.r, sizes);
	catch_crashes(1);
	for (off = 0; off < SMALL_CAP; off += 8) {
		snprintf(ctx, sizeof(ctx), "stream, offset %" PRIu64, off);
		advance_to(&s.r, off);
		memset(&pl, 0, sizeof(pl));
		pl.r = &s.r;
		for (i = 0; i < 3 * n; i++, k++)
			pipe_push(&pl, RING_USER + k % 1000,
			    sizes[(i + off / 8) % n], k);
		pipe_drain(&pl);
		pads += pl.pads;
		records += pl.records;
	}
	catch_crashes(0);
	ctx[0] = '\0';
	REQUIRE_EQ(records, (uint64_t)(SMALL_CAP / 8) * 3 * n);
	REQUIRE(pads > SMALL_CAP / 8);
	/* many laps: the positions are free-running */
	REQUIRE(write_pos(&s.r) > 100 * (uint64_t)SMALL_CAP);
	munmap(s.map, s.maplen);
}
END_TEST

/*
 * (2) Full, empty, too big.  Records of stride 128 tile the area, so a
 * single release always makes room for exactly one more.
 */
START_TEST(ring_full_empty_toobig)
{
	struct shring s;
	struct ring *r;
	struct ring_rec rec;
	unsigned char buf[SMALL_CAP];
	uint64_t max, fill;
	uint32_t pushed = 0, popped = 0, lap;

	shring_map(&s, SMALL_CAP);
	r = &s.r;
	max = ring_max_payload(r);
	REQUIRE_EQ(max, SMALL_CAP / 2 - 2 * RING_HEADER_SIZE);

	/* empty */
	REQUIRE_EQ(ring_try_peek(r, &rec), RING_AGAIN);
	REQUIRE_EQ(ring_fill(r), 0);

	/* too big, on the try and the blocking form; nothing written */
	REQUIRE_EQ(ring_try_push(r, RING_USER, buf, max + 1), RING_TOOBIG);
	REQUIRE_EQ(ring_try_push(r, RING_USER, buf, (size_t)UINT32_MAX + 9),
	    RING_TOOBIG);
	REQUIRE_EQ(ring_push(r, RING_USER, buf, max + 1, 10, NULL, NULL),
	    RING_TOOBIG);
	REQUIRE_EQ(ring_fill(r), 0);
	REQUIRE_EQ(ring_try_peek(r, &rec), RING_AGAIN);

	/* exactly the maximum fits */
	pattern(buf, max, 1);
	REQUIRE_EQ(ring_try_push(r, RING_USER, buf, max), RING_OK);
	expect_record(r, RING_USER, (uint32_t)max, 1);
	REQUIRE_EQ(ring_try_peek(r, &rec), RING_AGAIN);

	/* full */
	REQUIRE_EQ(ring_bind(r, r->ctl, r->data, SMALL_CAP, 1), 0);
	for (;;) {
		pattern(buf, 120, pushed);
		if (ring_try_push(r, RING_USER + pushed, buf, 120) != RING_OK)
			break;
		pushed++;
		REQUIRE(pushed < SMALL_CAP);
	}
	REQUIRE(pushed > 0);
	fill = ring_fill(r);
	REQUIRE_EQ(fill, pushed * 128u);
	/* AGAIN only when it truly does not fit (record + next header) */
	REQUIRE(fill + 128 + RING_HEADER_SIZE > SMALL_CAP);
	REQUIRE_EQ(ring_try_push(r, RING_USER, buf, 120), RING_AGAIN);
	REQUIRE_EQ(ring_fill(r), fill);

	/* a release makes room for one, through several laps */
	for (lap = 0; lap < 3 * SMALL_CAP / 128; lap++) {
		expect_record(r, RING_USER + popped, 120, popped);
		popped++;
		pattern(buf, 120, pushed);
		REQUIRE_EQ(ring_try_push(r, RING_USER + pushed, buf, 120),
		    RING_OK);
		pushed++;
		REQUIRE_EQ(ring_try_push(r, RING_USER, buf, 120), RING_AGAIN);
		REQUIRE_EQ(ring_fill(r), fill);
	}
	while (popped < pushed) {
		expect_record(r, RING_USER + popped, 120, popped);
		popped++;
	}
	REQUIRE_EQ(ring_try_peek(r, &rec), RING_AGAIN);
	REQUIRE_EQ(ring_fill(r), 0);

	/* bind's argument checks */
	REQUIRE_EQ(ring_bind(r, r->ctl, r->data, 2048, 0), -1);
	REQUIRE_EQ(errno, EINVAL);
	REQUIRE_EQ(ring_bind(r, r->ctl, r->data, 4096 + 8, 0), -1);
	REQUIRE_EQ(errno, EINVAL);
	munmap(s.map, s.maplen);
}
END_TEST

/*
 * (3) Blocking, across processes.
 */
struct child_idle {
	pid_t parent;
	double deadline;
	int slices;	/* slices that timed out: idle() calls */
};

/* The child's idle(): stop when the parent is gone or time is up. */
static int
child_idle(void *arg)
{
	struct child_idle *ci = arg;

	ci->slices++;
	return getppid() != ci->parent || now() > ci->deadline;
}

/* The child's exit status when its wait ended by a slice's timeout,
 * not by the event. */
#define WOKEN_BY_TIMEOUT 4

static void
fill_ring(struct ring *r, uint32_t *pushed)
{
	unsigned char buf[120];

	for (*pushed = 0;; (*pushed)++) {
		pattern(buf, sizeof(buf), *pushed);
		if (ring_try_push(r, RING_USER + *pushed, buf,
		    sizeof(buf)) != RING_OK)
			break;
	}
}

/* ring_push() on a full ring sleeps until the other process releases.
 * The child's slice is 10 s, and it says if one timed out: only the
 * event may wake it. */
START_TEST(ring_push_blocks_until_release)
{
	struct shring s;
	struct child_idle ci;
	unsigned char buf[120];
	uint32_t pushed, i;
	uint64_t fill;
	double t0, waited;
	pid_t pid;
	int status, rc;

	shring_open(&s, SMALL_CAP, "push");
	fill_ring(&s.r, &pushed);
	fill = ring_fill(&s.r);
	ci.parent = getpid();
	ci.deadline = now() + 20;
	ci.slices = 0;
	fflush(NULL);
	pid = fork();
	REQUIRE_MSG(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		child_alarm(25);
		pattern(buf, sizeof(buf), 999);
		rc = ring_push(&s.r, RING_USER + 999, buf, sizeof(buf), 10000,
		    child_idle, &ci);
		if (rc != RING_OK)
			_exit(10 - rc);
		_exit(ci.slices ? WOKEN_BY_TIMEOUT : 0);
	}
	scratch.child = pid;
	/* Blocked: asleep with its waiting flag up (or gone, if not). */
	REQUIRE_MSG(wait_child_blocked(10000,
	    &s.r.ctl->producer_waiting), "ring_push did not block on a full "
	    "ring (it returned, or never slept within 10 s)");
	REQUIRE_MSG(child_running(), "ring_push returned on a full ring");
	REQUIRE_EQ(ring_fill(&s.r), fill);
	REQUIRE_EQ(atomic_load(&s.r.ctl->producer_waiting), 1);

	t0 = now();
	expect_record(&s.r, RING_USER, 120, 0);
	REQUIRE_MSG(reap_child(3000, &status), "the producer did not wake "
	    "within 3 s of the release");
	waited = now() - t0;
	REQUIRE_MSG(!WIFEXITED(status) ||
	    WEXITSTATUS(status) != WOKEN_BY_TIMEOUT, "the producer was woken "
	    "by its slice's timeout, not by the release");
	REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "producer child: status 0x%x", status);
	REQUIRE_MSG(waited < 2.0, "woke after %.3f s", waited);
	for (i = 1; i < pushed; i++)
		expect_record(&s.r, RING_USER + i, 120, i);
	expect_record(&s.r, RING_USER + 999, 120, 999);
	REQUIRE_EQ(ring_fill(&s.r), 0);
	shring_close(&s);
}
END_TEST

/* ring_peek() on an empty ring sleeps until the other process pushes. */
START_TEST(ring_peek_blocks_until_push)
{
	struct shring s;
	struct child_idle ci;
	struct ring_rec rec;
	unsigned char buf[300];
	double t0, waited;
	pid_t pid;
	int status, rc;

	shring_open(&s, SMALL_CAP, "peek");
	ci.parent = getpid();
	ci.deadline = now() + 20;
	ci.slices = 0;
	fflush(NULL);
	pid = fork();
	REQUIRE_MSG(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		child_alarm(25);
		rc = ring_peek(&s.r, &rec, 10000, child_idle, &ci);
		if (rc != RING_OK)
			_exit(10 - rc);
		pattern(buf, sizeof(buf), 77);
		if (rec.type != RING_USER + 77 || rec.len != sizeof(buf) ||
		    memcmp(rec.data, buf, sizeof(buf)) != 0)
			_exit(3);
		ring_release(&s.r, &rec);
		_exit(ci.slices ? WOKEN_BY_TIMEOUT : 0);
	}
	scratch.child = pid;
	/* Blocked: asleep with its waiting flag up (or gone, if not). */
	REQUIRE_MSG(wait_child_blocked(10000,
	    &s.r.ctl->consumer_waiting), "ring_peek did not block on an "
	    "empty ring (it returned, or never slept within 10 s)");
	REQUIRE_MSG(child_running(), "ring_peek returned on an empty ring");
	REQUIRE_EQ(atomic_load(&s.r.ctl->consumer_waiting), 1);

	t0 = now();
	pattern(buf, sizeof(buf), 77);
	REQUIRE_EQ(ring_try_push(&s.r, RING_USER + 77, buf, sizeof(buf)),
	    RING_OK);
	REQUIRE_MSG(reap_child(3000, &status), "the consumer did not wake "
	    "within 3 s of the push");
	waited = now() - t0;
	REQUIRE_MSG(!WIFEXITED(status) ||
	    WEXITSTATUS(status) != WOKEN_BY_TIMEOUT, "the consumer was woken "
	    "by its slice's timeout, not by the push");
	REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "consumer child: status 0x%x", status);
	REQUIRE_MSG(waited < 2.0, "woke after %.3f s", waited);
	REQUIRE_EQ(ring_fill(&s.r), 0);
	REQUIRE_EQ(ring_try_peek(&s.r, &rec), RING_AGAIN);
	shring_close(&s);
}
END_TEST

struct idle_count {
	int calls;
	int stop_at;
};

static int
count_idle(void *arg)
{
	struct idle_count *ic = arg;

	return ++ic->calls >= ic->stop_at;
}

/* idle() runs once per timed-out slice; a non-zero return stops the wait
 * with RING_STOPPED, on both sides, and lowers the waiting flag. */
START_TEST(ring_idle_stops_wait)
{
	struct shring s;
	struct idle_count ic;
	struct ring_rec rec;
	unsigned char buf[120] = { 0 };
	uint32_t pushed;
	uint64_t fill;
	double t0, el;

	shring_open(&s, SMALL_CAP, "idle");

	ic.calls = 0;
	ic.stop_at = 1;
	t0 = now();
	REQUIRE_EQ(ring_peek(&s.r, &rec, 100, count_idle, &ic), RING_STOPPED);
	el = now() - t0;
	REQUIRE_EQ(ic.calls, 1);
	REQUIRE_MSG(el >= 0.100 && el < 2.1, "stopped after %.3f s", el);
	REQUIRE_EQ(atomic_load(&s.r.ctl->consumer_waiting), 0);

	ic.calls = 0;
	ic.stop_at = 3;
	t0 = now();
	REQUIRE_EQ(ring_peek(&s.r, &rec, 50, count_idle, &ic), RING_STOPPED);
	el = now() - t0;
	REQUIRE_EQ(ic.calls, 3);
	REQUIRE_MSG(el >= 0.150 && el < 2.15, "stopped after %.3f s", el);

	/* data present: no wait, no idle() */
	ic.calls = 0;
	REQUIRE_EQ(ring_try_push(&s.r, RING_USER, buf, 8), RING_OK);
	REQUIRE_EQ(ring_peek(&s.r, &rec, 100, count_idle, &ic), RING_OK);
	REQUIRE_EQ(ic.calls, 0);
	ring_release(&s.r, &rec);

	fill_ring(&s.r, &pushed);
	fill = ring_fill(&s.r);
	ic.calls = 0;
	ic.stop_at = 2;
	t0 = now();
	REQUIRE_EQ(ring_push(&s.r, RING_USER, buf, sizeof(buf), 100,
	    count_idle, &ic), RING_STOPPED);
	el = now() - t0;
	REQUIRE_EQ(ic.calls, 2);
	REQUIRE_MSG(el >= 0.200 && el < 2.2, "stopped after %.3f s", el);
	REQUIRE_EQ(ring_fill(&s.r), fill);
	REQUIRE_EQ(atomic_load(&s.r.ctl->producer_waiting), 0);
	shring_close(&s);
}
END_TEST

/*
 * (4) Stress: a forked producer pushes STRESS_RECORDS records of
 * pseudo-random sizes, then an end-of-stream record carrying its count,
 * byte total and FNV-1a over type+len+bytes; the parent consumes, checks
 * each type, length and the index in the first bytes, and compares.
 */
#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

struct stress_eos {
	uint64_t records;
	uint64_t bytes;
	uint64_t hash;
};

static uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * FNV_PRIME;
	return h;
}

static uint64_t
hash_record(uint64_t h, uint32_t type, uint32_t len, const void *p)
{
	h = fnv1a(h, &type, sizeof(type));
	h = fnv1a(h, &len, sizeof(len));
	return fnv1a(h, p, len);
}

static uint64_t
xorshift64s(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * UINT64_C(0x2545f4914f6cdd1d);
}

/* Mostly 0..2000 bytes; one in 64 anything up to max; every 4096th the
 * maximum itself. */
static uint32_t
stress_len(uint64_t *s, uint32_t max, uint64_t k)
{
	uint64_t x = xorshift64s(s);

	if (k % 4096 == 1)
		return max;
	if ((x & 63) == 0)
		return (uint32_t)((x >> 8) % ((uint64_t)max + 1));
	return (uint32_t)((x >> 8) % 2001);
}

static uint32_t
stress_type(uint64_t k)
{
	return RING_USER + 2 + (uint32_t)(k % 5);	/* never STRESS_EOS */
}

static int
stress_produce(struct ring *r, struct child_idle *ci)
{
	uint64_t ss = STRESS_SIZE_SEED, ds = STRESS_DATA_SEED, x;
	uint64_t h = FNV_OFFSET, bytes = 0, k;
	uint32_t max = (uint32_t)ring_max_payload(r), len, type, i;
	struct stress_eos eos;
	unsigned char *buf;
	int rc;

	if ((buf = malloc(max + 8)) == NULL)
		return 2;
	for (k = 0; k < STRESS_RECORDS; k++) {
		len = stress_len(&ss, max, k);
		type = stress_type(k);
		for (i = 0; i < len; i += 8) {
			x = xorshift64s(&ds);
			memcpy(buf + i, &x, 8);
		}
		memcpy(buf, &k, len < 8 ? len : 8);
		h = hash_record(h, type, len, buf);
		bytes += len;
		rc = ring_push(r, type, buf, len, 100, child_idle, ci);
		if (rc != RING_OK)
			return 10 - rc;
	}
	eos.records = k;
	eos.bytes = bytes;
	eos.hash = h;
	rc = ring_push(r, STRESS_EOS, &eos, sizeof(eos), 100, child_idle, ci);
	free(buf);
	return rc == RING_OK ? 0 : 20 - rc;
}

struct parent_idle {
	struct ring *r;
	double deadline;
	int exited;
	int status;
	int stalls;
};

/* The consumer's idle(): stop when the producer died, time is up, or the
 * ring says it holds data that peek keeps calling empty. */
static int
parent_idle(void *arg)
{
	struct parent_idle *pi = arg;

	if (!pi->exited && scratch.child > 0 &&
	    waitpid(scratch.child, &pi->status, WNOHANG) == scratch.child) {
		scratch.child = 0;
		pi->exited = 1;
	}
	if (pi->exited || now() > pi->deadline)
		return 1;
	if (ring_fill(pi->r) > 0)
		return ++pi->stalls >= 3;
	pi->stalls = 0;
	return 0;
}

START_TEST(ring_stress_two_processes)
{
	struct shring s;
	struct child_idle ci;
	struct parent_idle pi;
	struct ring_rec rec;
	struct stress_eos eos;
	uint64_t ss = STRESS_SIZE_SEED, h = FNV_OFFSET, bytes = 0, k = 0, idx;
	uint32_t max, len;
	double t0, el;
	pid_t pid;
	int rc, status;

	shring_open(&s, STRESS_CAP, "stress");
	max = (uint32_t)ring_max_payload(&s.r);
	ci.parent = getpid();
	ci.deadline = now() + STRESS_SECONDS + 5;
	memset(&pi, 0, sizeof(pi));
	pi.r = &s.r;
	pi.deadline = now() + STRESS_SECONDS;
	t0 = now();
	fflush(NULL);
	pid = fork();
	REQUIRE_MSG(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		child_alarm((unsigned)STRESS_SECONDS + 10);
		_exit(stress_produce(&s.r, &ci));
	}
	scratch.child = pid;

	for (;;) {
		rc = ring_peek(&s.r, &rec, 100, parent_idle, &pi);
		if (rc == RING_STOPPED) {
			REQUIRE_MSG(!pi.exited, "producer ended (status 0x%x: "
			    "%s %d) after %" PRIu64 " records, no end record",
			    pi.status, WIFSIGNALED(pi.status) ? "signal" :
			    "exit", WIFSIGNALED(pi.status) ?
			    WTERMSIG(pi.status) : WEXITSTATUS(pi.status), k);
			REQUIRE_MSG(pi.stalls == 0, "stalled after %" PRIu64
			    " records: fill %" PRIu64 " but peek finds the "
			    "ring empty (read_pos %" PRIu64 ", write_pos %"
			    PRIu64 ")", k, ring_fill(&s.r), read_pos(&s.r),
			    write_pos(&s.r));
			REQUIRE_MSG(0, "timed out after %" PRIu64 " records",
			    k);
		}
		REQUIRE_MSG(rc == RING_OK, "ring_peek: %d after %" PRIu64
		    " records", rc, k);
		REQUIRE(rec.type != RING_PAD);
		if (rec.type == STRESS_EOS)
			break;
		REQUIRE_MSG(k < STRESS_RECORDS, "too many records");
		len = stress_len(&ss, max, k);
		REQUIRE_MSG(rec.type == stress_type(k) && rec.len == len,
		    "record %" PRIu64 ": type %" PRIu32 " len %" PRIu32
		    ", expected %" PRIu32 " and %" PRIu32, k, rec.type, rec.len,
		    stress_type(k), len);
		idx = 0;
		memcpy(&idx, rec.data, len < 8 ? len : 8);
		REQUIRE_MSG(len < 8 || idx == k, "record %" PRIu64 " carries "
		    "index %" PRIu64, k, idx);
		h = hash_record(h, rec.type, rec.len, rec.data);
		bytes += rec.len;
		k++;
		ring_release(&s.r, &rec);
	}
	REQUIRE_EQ(rec.len, sizeof(eos));
	memcpy(&eos, rec.data, sizeof(eos));
	ring_release(&s.r, &rec);
	el = now() - t0;
	REQUIRE_EQ(k, STRESS_RECORDS);
	REQUIRE_EQ(eos.records, k);
	REQUIRE_EQ(eos.bytes, bytes);
	REQUIRE_MSG(eos.hash == h, "checksum sent %016" PRIx64 ", received %016"
	    PRIx64, eos.hash, h);
	REQUIRE_EQ(ring_try_peek(&s.r, &rec), RING_AGAIN);
	REQUIRE_EQ(ring_fill(&s.r), 0);
	if (pi.exited) {
		status = pi.status;
	} else {
		REQUIRE_MSG(reap_child(10000, &status), "producer did not "
		    "exit after its end record");
	}
	REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "producer child: status 0x%x", status);
	printf("ring stress: %d records, %.1f MiB, %.2f s, %.0f MiB/s, "
	    "%" PRIu64 " KiB ring\n", STRESS_RECORDS, bytes / 1048576.0, el,
	    bytes / 1048576.0 / el, (uint64_t)STRESS_CAP / 1024);
	fflush(stdout);
	shring_close(&s);
}
END_TEST

/*
 * (5) Corrupt headers.  A header is { uint32 size; uint32 type } at the
 * record's offset (ring.h); bogus ones must make peek say RING_CORRUPT and
 * leave read_pos alone.  Two well-formed hand-written headers first, so
 * the layout written here is known to be the ring's.
 */
static void
put_header(struct ring *r, uint64_t off, uint32_t size, uint32_t type)
{
	uint32_t h[2] = { size, type };

	memcpy(r->data + off, h, sizeof(h));
}

static void
expect_corrupt(struct ring *r, uint64_t off, uint32_t size, uint32_t type)
{
	struct ring_rec rec;
	uint64_t rd;

	snprintf(ctx, sizeof(ctx), "header {%" PRIu32 ", %" PRIu32 "} at %"
	    PRIu64, size, type, off);
	REQUIRE_EQ(ring_bind(r, r->ctl, r->data, r->capacity, 1), 0);
	advance_to(r, off);
	rd = read_pos(r);
	put_header(r, off, size, type);
	REQUIRE_EQ(ring_try_peek(r, &rec), RING_CORRUPT);
	REQUIRE_EQ(ring_try_peek(r, &rec), RING_CORRUPT);
	REQUIRE_EQ(ring_peek(r, &rec, 10, NULL, NULL), RING_CORRUPT);
	REQUIRE_EQ(read_pos(r), rd);
	ctx[0] = '\0';
}

/* The same in a child with an alarm, for headers that could make peek
 * loop: a hang is reported instead of hanging the test. */
static void
expect_corrupt_in_child(struct ring *r, uint64_t off, uint32_t size,
    uint32_t type, uint32_t size0)
{
	struct ring_rec rec;
	pid_t pid;
	int status;

	snprintf(ctx, sizeof(ctx), "header {%" PRIu32 ", %" PRIu32 "} at %"
	    PRIu64, size, type, off);
	if (off != 0)
		snprintf(ctx + strlen(ctx), sizeof(ctx) - strlen(ctx),
		    " then {%" PRIu32 ", %d} at 0", size0, RING_PAD);
	REQUIRE_EQ(ring_bind(r, r->ctl, r->data, r->capacity, 1), 0);
	advance_to(r, off);
	put_header(r, off, size, type);
	if (off != 0)
		put_header(r, 0, size0, RING_PAD);
	fflush(NULL);
	pid = fork();
	REQUIRE_MSG(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		child_alarm(2);
		_exit(ring_try_peek(r, &rec) == RING_CORRUPT ? 0 : 1);
	}
	scratch.child = pid;
	REQUIRE_MSG(reap_child(5000, &status), "%s: ring_try_peek still "
	    "running after 5 s", ctx);
	REQUIRE_MSG(!WIFSIGNALED(status) || WTERMSIG(status) != SIGALRM,
	    "%s: ring_try_peek did not return within 2 s", ctx);
	REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: ring_try_peek did not say RING_CORRUPT (status 0x%x)", ctx,
	    status);
	ctx[0] = '\0';
}

START_TEST(ring_corrupt_headers)
{
	struct shring s;
	struct ring *r;
	struct ring_rec rec;
	uint32_t max;

	shring_map(&s, SMALL_CAP);
	r = &s.r;
	max = (uint32_t)ring_max_payload(r);

	/* controls: hand-written good headers are accepted */
	put_header(r, 0, RING_HEADER_SIZE, RING_USER);
	REQUIRE_EQ(ring_try_peek(r, &rec), RING_OK);
	REQUIRE_EQ(rec.len, 0);
	REQUIRE_EQ(rec.type, RING_USER);
	REQUIRE_EQ(ring_bind(r, r->ctl, r->data, SMALL_CAP, 1), 0);
	put_header(r, 0, RING_HEADER_SIZE + max, RING_USER + 5);
	REQUIRE_EQ(ring_try_peek(r, &rec), RING_OK);
	REQUIRE_EQ(rec.len, max);
	REQUIRE_EQ(rec.type, RING_USER + 5);

	/* sizes below a header */
	expect_corrupt(r, 0, 1, RING_USER);
	expect_corrupt(r, 0, 7, RING_USER);
	expect_corrupt(r, 1000, 4, RING_USER);
	/* past the end of the area */
	expect_corrupt(r, 0, SMALL_CAP + 8, RING_USER);
	expect_corrupt(r, 0, UINT32_MAX, RING_USER);
	expect_corrupt(r, 4000, 200, RING_USER);
	expect_corrupt(r, SMALL_CAP - 8, 16, RING_USER);
	expect_corrupt(r, SMALL_CAP - 16, 17, RING_USER);
	/* inside the area but a payload above the maximum */
	expect_corrupt(r, 0, RING_HEADER_SIZE + max + 1, RING_USER);
	expect_corrupt(r, 8, RING_HEADER_SIZE + max + 8, RING_USER);
	/* padding that does not reach the end, or runs past it */
	expect_corrupt(r, 0, 16, RING_PAD);
	expect_corrupt(r, 2048, 1024, RING_PAD);
	expect_corrupt(r, 4000, 200, RING_PAD);
	expect_corrupt(r, 4000, 4, RING_PAD);
	/* padding covering the whole area: a real one never starts at 0 */
	expect_corrupt_in_child(r, 0, SMALL_CAP, RING_PAD, 0);
	expect_corrupt_in_child(r, 4000, SMALL_CAP - 4000, RING_PAD,
	    SMALL_CAP);
	munmap(s.map, s.maplen);
}
END_TEST

/* Runs last: nothing of ours is left in /dev/shm (shmfix.h). */
START_TEST(ring_nothing_left_in_dev_shm)
{
	shm_require_nothing_left();
}
END_TEST

Suite *
ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc;

	shm_prefix_init("ring");

	tc = shm_tcase(s, "wrap");
	tcase_add_test(tc, ring_wrap_every_offset);
	tcase_add_test(tc, ring_wrap_stream);
	tc = shm_tcase(s, "limits");
	tcase_add_test(tc, ring_full_empty_toobig);
	tcase_add_test(tc, ring_corrupt_headers);
	tc = shm_tcase(s, "blocking");
	tcase_add_test(tc, ring_push_blocks_until_release);
	tcase_add_test(tc, ring_peek_blocks_until_push);
	tcase_add_test(tc, ring_idle_stops_wait);
	tc = shm_tcase(s, "stress");
	tcase_add_test(tc, ring_stress_two_processes);
	tc = shm_tcase(s, "leftovers");
	tcase_add_test(tc, ring_nothing_left_in_dev_shm);
	return s;
}
