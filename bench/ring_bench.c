/*
 * ring_bench.c - csvpack's shared-memory ring against a pipe(2).
 *
 * Two processes (fork) move N records of one size from a producer (the
 * child) to a consumer (the parent), first through a ring of 16 MiB in an
 * anonymous shared mapping with the blocking ring_push()/ring_peek() and
 * two named-semaphore events, then through a pipe (one write(2) per
 * record, a full-read loop on the other side).  The producer stamps each
 * record with its sequence number; the consumer checks the number and sums
 * every 64-bit word of every record, so both ways do the same real work on
 * the data, and the sums must agree.  Each measurement is repeated
 * (ring and pipe interleaved) and the median time is reported.
 *
 * The semaphores get names unique to this process and are unlinked right
 * after they are created, with the usual termination signals blocked in
 * between; the opened handles survive fork, so nothing is ever left in
 * /dev/shm, whatever happens to either process.
 *
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Icommon bench/ring_bench.c \
 *       common/ring.c common/event.c -lrt -pthread -o build/bench/ring_bench
 *   build/bench/ring_bench [-m MiB-per-size] [-n max-records] [-r reps]
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "ring.h"

#define RING_BYTES	(16u << 20)
#define CTL_BYTES	4096u
#define SLICE_MS	100
#define MAX_REPS	15

_Static_assert(sizeof(struct ring_ctl) <= CTL_BYTES, "CTL_BYTES too small");

enum way { WAY_RING, WAY_PIPE };

static char data_name[64], space_name[64];
static int data_live, space_live; /* names created, not yet unlinked */
static pid_t child = -1;	/* the parent's current producer */
static pid_t parent_pid;

static struct ring ring;
static struct event data_ready, space_ready;
static unsigned char *src;	/* the producer's record */
static unsigned char *dst;	/* the pipe consumer's buffer */

static void
cleanup(void)
{
	if (getpid() != parent_pid)
		return;
	if (data_live)
		event_unlink(data_name);
	if (space_live)
		event_unlink(space_name);
	data_live = space_live = 0;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
}

/* err(3) and errx(3), but a forked producer leaves with _exit(2): no
 * atexit handlers, no second flush of the parent's stdio buffers. */
static void __attribute__((noreturn))
vdie(int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;

	fprintf(stderr, "ring_bench: ");
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	if (getpid() != parent_pid)
		_exit(1);
	exit(1);	/* atexit: cleanup() */
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(1, fmt, ap);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
diex(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdie(0, fmt, ap);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The sum of the record's 64-bit words: the consumer's work per byte. */
static uint64_t
checksum(const unsigned char *p, size_t len)
{
	uint64_t a = 0, b = 0, w0, w1;
	size_t i;

	for (i = 0; i + 16 <= len; i += 16) {
		memcpy(&w0, p + i, 8);
		memcpy(&w1, p + i + 8, 8);
		a += w0;
		b += w1;
	}
	return a + b;
}

static uint64_t
first_word(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

static void
stamp(uint64_t seq)
{
	memcpy(src, &seq, 8);
}

/* Creates the two events under fresh names and unlinks the names at once;
 * termination signals wait until the names are gone. */
static void
open_events(void)
{
	sigset_t block, old;

	snprintf(data_name, sizeof(data_name), "/csvpack-ringbench-%ld-d",
	    (long)getpid());
	snprintf(space_name, sizeof(space_name), "/csvpack-ringbench-%ld-s",
	    (long)getpid());
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &block, &old) < 0)
		die("sigprocmask");
	if (event_open(&data_ready, data_name, 1) < 0)
		die("event_open %s", data_name);
	data_live = 1;
	if (event_open(&space_ready, space_name, 1) < 0)
		die("event_open %s", space_name);
	space_live = 1;
	if (event_unlink(data_name) < 0)
		die("event_unlink %s", data_name);
	data_live = 0;
	if (event_unlink(space_name) < 0)
		die("event_unlink %s", space_name);
	space_live = 0;
	if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
		die("sigprocmask");
}

static const char *
ring_status(int rc)
{
	switch (rc) {
	case RING_STOPPED:
		return "the other process is gone";
	case RING_CORRUPT:
		return "corrupt record header";
	case RING_TOOBIG:
		return "record too big for the ring";
	default:
		return "unexpected status";
	}
}

/* idle() of the producer: stop when the parent is gone. */
static int
parent_gone(void *arg)
{
	(void)arg;
	return getppid() != parent_pid;
}

/* idle() of the consumer: stop when the producer has died. */
static int
child_gone(void *arg)
{
	(void)arg;
	if (child > 0 && waitpid(child, NULL, WNOHANG) != 0) {
		child = -1;
		return 1;
	}
	return 0;
}

static void __attribute__((noreturn))
produce(enum way way, int fd, size_t size, uint64_t n)
{
	uint64_t seq;
	size_t off;
	ssize_t w;
	int rc;

	for (seq = 0; seq < n; seq++) {
		stamp(seq);
		if (way == WAY_RING) {
			rc = ring_push(&ring, RING_USER, src, size, SLICE_MS,
			    parent_gone, NULL);
			if (rc == RING_ERROR)
				die("ring_push");
			if (rc != RING_OK)
				diex("ring_push: %s", ring_status(rc));
			continue;
		}
		for (off = 0; off < size; off += (size_t)w) {
			w = write(fd, src + off, size - off);
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				die("write");
		}
	}
	_exit(0);
}

/* Consumes n records; returns the sum of their checksums. */
static uint64_t
consume(enum way way, int fd, size_t size, uint64_t n)
{
	struct ring_rec rec;
	uint64_t seq, sum = 0;
	size_t off;
	ssize_t r;
	int rc;

	for (seq = 0; seq < n; seq++) {
		if (way == WAY_RING) {
			rc = ring_peek(&ring, &rec, SLICE_MS, child_gone, NULL);
			if (rc == RING_ERROR)
				die("ring_peek");
			if (rc != RING_OK)
				diex("ring_peek: %s", ring_status(rc));
			if (rec.len != size || first_word(rec.data) != seq)
				diex("ring: record %" PRIu64 " is wrong", seq);
			sum += checksum(rec.data, rec.len);
			ring_release(&ring, &rec);
			continue;
		}
		for (off = 0; off < size; off += (size_t)r) {
			r = read(fd, dst + off, size - off);
			if (r < 0 && errno == EINTR)
				r = 0;
			else if (r < 0)
				die("read");
			else if (r == 0)
				diex("pipe: early end of data");
		}
		if (first_word(dst) != seq)
			diex("pipe: record %" PRIu64 " is wrong", seq);
		sum += checksum(dst, size);
	}
	return sum;
}

/* One transfer of n records of size bytes; returns the seconds taken,
 * from fork to the producer's exit, and stores the consumer's sum. */
static double
transfer(enum way way, void *ctl, void *area, size_t size, uint64_t n,
    uint64_t *sum)
{
	int fds[2] = { -1, -1 }, status;
	double t0, t1;

	if (way == WAY_RING) {
		if (ring_bind(&ring, ctl, area, RING_BYTES, 1) < 0)
			die("ring_bind");
		ring_set_events(&ring, &data_ready, &space_ready);
		if (event_clear(&data_ready) < 0 ||
		    event_clear(&space_ready) < 0)
			die("event_clear");
	} else if (pipe(fds) < 0)
		die("pipe");

	fflush(stdout);
	t0 = now();
	if ((child = fork()) < 0)
		die("fork");
	if (child == 0) {
		if (fds[0] >= 0)
			close(fds[0]);
		produce(way, fds[1], size, n);
	}
	if (fds[1] >= 0)
		close(fds[1]);
	*sum = consume(way, fds[0], size, n);
	if (waitpid(child, &status, 0) < 0)
		die("waitpid");
	t1 = now();
	child = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		diex("producer failed (status %d)", status);
	if (fds[0] >= 0)
		close(fds[0]);
	return t1 - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: ring_bench [-m MiB-per-size] "
	    "[-n max-records] [-r reps]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const size_t sizes[] = { 64, 4096, 65536 };
	double tring[MAX_REPS], tpipe[MAX_REPS], mr, mp, gb, lo, hi, q;
	uint64_t mib = 1024, maxrec = UINT64_C(4) << 20, n, i, base;
	uint64_t expect, sum;
	unsigned char *map;
	size_t s, size;
	int ch, reps = 3, k;

	while ((ch = getopt(argc, argv, "m:n:r:")) != -1) {
		switch (ch) {
		case 'm':
			mib = strtoull(optarg, NULL, 10);
			break;
		case 'n':
			maxrec = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || mib == 0 || maxrec == 0 || reps < 1 ||
	    reps > MAX_REPS)
		usage();

	parent_pid = getpid();
	if (atexit(cleanup) != 0)
		die("atexit");
	signal(SIGPIPE, SIG_IGN);	/* a dead consumer: EPIPE, die() */
	open_events();

	map = mmap(NULL, CTL_BYTES + RING_BYTES, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		die("mmap");
	src = malloc(sizes[2]);
	dst = malloc(sizes[2]);
	if (src == NULL || dst == NULL)
		die("malloc");
	for (i = 0; i < sizes[2]; i++)
		src[i] = (unsigned char)(i * 131 + 7);
	memset(dst, 0, sizes[2]);

	printf("ring %u MiB (shared anonymous mapping, blocking push/peek) vs "
	    "pipe(2); median of %d\n", RING_BYTES >> 20, reps);
	printf("%8s %9s %7s | %9s %12s | %9s %12s | %6s %13s\n", "record",
	    "records", "MiB", "ring GB/s", "ring rec/s", "pipe GB/s",
	    "pipe rec/s", "ratio", "(range)");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size = sizes[s];
		n = (mib << 20) / size;
		if (n > maxrec)
			n = maxrec;
		if (n == 0)
			n = 1;
		/* Every record sums to base plus its stamped number. */
		stamp(0);
		base = checksum(src, size);
		expect = n * base + (n % 2 ? n * ((n - 1) / 2) :
		    (n / 2) * (n - 1));
		lo = hi = 0;
		for (k = 0; k < reps; k++) {
			tring[k] = transfer(WAY_RING, map, map + CTL_BYTES,
			    size, n, &sum);
			if (sum != expect)
				diex("ring: checksum mismatch");
			tpipe[k] = transfer(WAY_PIPE, NULL, NULL, size, n,
			    &sum);
			if (sum != expect)
				diex("pipe: checksum mismatch");
			q = tpipe[k] / tring[k];
			if (k == 0 || q < lo)
				lo = q;
			if (k == 0 || q > hi)
				hi = q;
		}
		mr = median(tring, reps);
		mp = median(tpipe, reps);
		gb = (double)n * size / 1e9;
		printf("%8zu %9" PRIu64 " %7.0f | %9.2f %12.0f | %9.2f %12.0f |"
		    " %5.2fx (%5.2f-%5.2fx)\n", size, n,
		    (double)n * size / 1048576.0, gb / mr, n / mr, gb / mp,
		    n / mp, mp / mr, lo, hi);
		fflush(stdout);
	}
	event_close(&data_ready);
	event_close(&space_ready);
	munmap(map, CTL_BYTES + RING_BYTES);
	free(src);
	free(dst);
	return 0;
}
