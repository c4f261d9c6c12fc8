/*
 * test_event.c - unit tests of the set/wait/clear events (event.h).
 *
 * Within one process: a wait on a set event returns 0 and leaves it set,
 * clear makes waits time out, sets do not pile up, a wait is interrupted
 * by a signal, timed waits last their timeout (CLOCK_MONOTONIC), and
 * event_open's errors and mode.  Across processes: a forked child opens
 * the events by name, waits for the parent's set, and then the two play
 * the seed's converter/packer handshake for a few hundred rounds, with
 * counters in shared memory proving that they alternate strictly.
 *
 * Names are "/csvpack-test-<runner pid>-event-<test>-<role>"; shmfix.h
 * records them, undoes them on a failure, sweeps what a killed test left
 * and has the last test check that nothing was.  Every wait is bounded;
 * children also carry an alarm().
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, setitimer */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"
#include "shmfix.h"
#include "event.h"

#define PINGPONG_ROUNDS 300

static void
create_event(struct event *ev, const char *name)
{
	REQUIRE_MSG(event_open(ev, name, 1) == 0, "event_open %s: %s", name,
	    strerror(errno));
}

static int
sem_value(struct event *ev)
{
	int v = -1;

	REQUIRE_EQ(sem_getvalue(ev->sem, &v), 0);
	return v;
}

/* A wait on a set event returns 0 and leaves it set; clear makes waits
 * time out; sets do not accumulate, one clear clears. */
START_TEST(event_set_wait_clear)
{
	struct event ev, again;
	const char *name = scratch_name("swc");
	double t0;
	int i;

	create_event(&ev, name);
	REQUIRE_EQ(event_is_set(&ev), 0);
	REQUIRE_EQ(event_wait(&ev, 50), ETIMEDOUT);
	REQUIRE_EQ(event_clear(&ev), 0);	/* clearing a clear event */
	REQUIRE_EQ(event_is_set(&ev), 0);

	REQUIRE_EQ(event_set(&ev), 0);
	REQUIRE_EQ(event_is_set(&ev), 1);
	t0 = now();
	REQUIRE_EQ(event_wait(&ev, 5000), 0);
	REQUIRE_EQ(event_wait(&ev, 5000), 0);	/* still set */
	REQUIRE_EQ(event_wait(&ev, 0), 0);
	REQUIRE_MSG(now() - t0 < 1.0, "waits on a set event took %.3f s",
	    now() - t0);
	REQUIRE_EQ(event_is_set(&ev), 1);

	REQUIRE_EQ(event_clear(&ev), 0);
	REQUIRE_EQ(event_is_set(&ev), 0);
	REQUIRE_EQ(event_wait(&ev, 50), ETIMEDOUT);

	/* repeated sets are one set */
	for (i = 0; i < 10; i++)
		REQUIRE_EQ(event_set(&ev), 0);
	REQUIRE_EQ(sem_value(&ev), 1);
	REQUIRE_EQ(event_wait(&ev, 1000), 0);
	REQUIRE_EQ(sem_value(&ev), 1);
	REQUIRE_EQ(event_clear(&ev), 0);
	REQUIRE_EQ(sem_value(&ev), 0);
	REQUIRE_EQ(event_wait(&ev, 50), ETIMEDOUT);

	/* a second handle, opened by name, sees the same flag */
	REQUIRE_MSG(event_open(&again, name, 0) == 0, "event_open: %s",
	    strerror(errno));
	REQUIRE_EQ(event_set(&ev), 0);
	REQUIRE_EQ(event_is_set(&again), 1);
	REQUIRE_EQ(event_wait(&again, 1000), 0);
	REQUIRE_EQ(event_clear(&again), 0);
	REQUIRE_EQ(event_is_set(&ev), 0);
	event_close(&again);
	REQUIRE(again.sem == NULL);

	event_close(&ev);
	unlink_all();
}
END_TEST

/* Timed waits on a clear event return ETIMEDOUT after about the timeout:
 * never early, and less than 2 s late.  999/1000/1500 cross the second. */
START_TEST(event_wait_times_out)
{
	static const int timeouts[] = { 0, 1, 50, 250, 999, 1000, 1500 };
	struct event ev;
	double t0, el;
	size_t i;
	int rc;

	create_event(&ev, scratch_name("timeout"));
	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		t0 = now();
		rc = event_wait(&ev, timeouts[i]);
		el = now() - t0;
		REQUIRE_MSG(rc == ETIMEDOUT, "wait(%d ms) returned %d",
		    timeouts[i], rc);
		REQUIRE_MSG(el >= timeouts[i] / 1000.0, "wait(%d ms) returned "
		    "after %.4f s", timeouts[i], el);
		REQUIRE_MSG(el < timeouts[i] / 1000.0 + 2.0, "wait(%d ms) "
		    "returned after %.4f s", timeouts[i], el);
	}
	REQUIRE_EQ(event_is_set(&ev), 0);
	event_close(&ev);
	unlink_all();
}
END_TEST

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A signal during a wait ends it with EINTR (the caller decides). */
START_TEST(event_wait_interrupted)
{
	struct sigaction sa, old;
	struct itimerval it, off;
	struct event ev;
	double t0, el;
	int rc;

	create_event(&ev, scratch_name("intr"));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	REQUIRE_EQ(sigaction(SIGALRM, &sa, &old), 0);
	memset(&it, 0, sizeof(it));
	memset(&off, 0, sizeof(off));
	it.it_value.tv_usec = 200000;
	alarms = 0;
	t0 = now();
	REQUIRE_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	rc = event_wait(&ev, 5000);
	el = now() - t0;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	REQUIRE_EQ(alarms, 1);
	REQUIRE_EQ(rc, EINTR);
	REQUIRE_MSG(el >= 0.15 && el < 2.0, "interrupted after %.3f s", el);
	REQUIRE_EQ(event_is_set(&ev), 0);
	event_close(&ev);
	unlink_all();
}
END_TEST

/* create=1 on an existing name fails with EEXIST; create=0 on a missing
 * one with ENOENT; unlink twice gives ENOENT. */
START_TEST(event_open_errors)
{
	static sem_t dummy;
	struct event ev, dup;
	const char *name = scratch_name("exist");
	const char *missing = scratch_name("missing");

	create_event(&ev, name);
	dup.sem = &dummy;
	errno = 0;
	REQUIRE_EQ(event_open(&dup, name, 1), -1);
	REQUIRE_EQ(errno, EEXIST);
	REQUIRE(dup.sem == NULL);

	errno = 0;
	REQUIRE_EQ(event_open(&dup, missing, 0), -1);
	REQUIRE_EQ(errno, ENOENT);
	REQUIRE(dup.sem == NULL);
	errno = 0;
	REQUIRE_EQ(event_unlink(missing), -1);
	REQUIRE_EQ(errno, ENOENT);

	event_close(&ev);
	REQUIRE_EQ(event_unlink(name), 0);
	errno = 0;
	REQUIRE_EQ(event_unlink(name), -1);
	REQUIRE_EQ(errno, ENOENT);
	/* the name is free again */
	create_event(&ev, name);
	event_close(&ev);
	REQUIRE_EQ(event_unlink(name), 0);
	scratch.nnames = 0;
}
END_TEST

/* A created event is mode 0600, whatever the umask lets through. */
START_TEST(event_created_mode)
{
	struct event ev;
	struct stat st;
	const char *name = scratch_name("mode");
	char path[SHM_NAME_LEN + 16];
	mode_t old;
	int rc;

	old = umask(0);
	rc = event_open(&ev, name, 1);
	umask(old);
	REQUIRE_MSG(rc == 0, "event_open %s: %s", name, strerror(errno));
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", name + 1);
	REQUIRE_MSG(stat(path, &st) == 0, "stat %s: %s", path,
	    strerror(errno));
	REQUIRE_MSG((st.st_mode & 07777) == 0600, "%s: mode %04o", path,
	    (unsigned)(st.st_mode & 07777));
	REQUIRE_EQ(st.st_uid, getuid());
	event_close(&ev);
	unlink_all();
	errno = 0;
	REQUIRE(stat(path, &st) < 0 && errno == ENOENT);
}
END_TEST

/* The child opens both events by name, waits for "go", checks it is
 * still set, and sets "ack".  Exit codes say what went wrong. */
static int
go_ack_child(const char *go_name, const char *ack_name)
{
	struct event go, ack;
	int rc;

	if (event_open(&go, go_name, 0) != 0 ||
	    event_open(&ack, ack_name, 0) != 0)
		return 2;
	rc = event_wait(&go, 10000);
	if (rc != 0)
		return rc == ETIMEDOUT ? 3 : 4;
	if (event_is_set(&go) != 1)
		return 5;
	if (event_set(&ack) != 0)
		return 6;
	event_close(&go);
	event_close(&ack);
	return 0;
}

/* Across processes: the child waits, the parent sets. */
START_TEST(event_across_processes)
{
	struct event go, ack;
	const char *go_name = scratch_name("xp-go");
	const char *ack_name = scratch_name("xp-ack");
	double t0, el;
	pid_t pid;
	int status, rc;

	create_event(&go, go_name);
	create_event(&ack, ack_name);
	fflush(NULL);
	pid = fork();
	REQUIRE_MSG(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		child_alarm(20);
		_exit(go_ack_child(go_name, ack_name));
	}
	scratch.child = pid;
	/* Blocked in its wait for "go" (or gone, if that did not block). */
	REQUIRE_MSG(wait_child_blocked(10000, NULL), "the child's wait did "
	    "not block (it exited, or never slept within 10 s)");
	REQUIRE_MSG(child_running(), "the child's wait did not block");
	REQUIRE_EQ(event_is_set(&ack), 0);

	t0 = now();
	REQUIRE_EQ(event_set(&go), 0);
	rc = event_wait(&ack, 5000);
	el = now() - t0;
	REQUIRE_MSG(rc == 0, "no ack from the child: %d", rc);
	REQUIRE_MSG(el < 2.0, "ack after %.3f s", el);
	REQUIRE_MSG(reap_child(5000, &status), "the child did not exit");
	REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child: status 0x%x", status);
	/* the child's wait left "go" set */
	REQUIRE_EQ(event_is_set(&go), 1);
	event_close(&go);
	event_close(&ack);
	unlink_all();
}
END_TEST

/* Who has finished which round, in shared memory. */
struct rounds {
	_Atomic uint32_t converted;
	_Atomic uint32_t packed;
};

/* The converter's side: say "converted", wait for "packed", clear it. */
static int
converter_child(const char *conv_name, const char *packed_name,
    struct rounds *rd)
{
	struct event conv, packed;
	uint32_t i;

	if (event_open(&conv, conv_name, 0) != 0 ||
	    event_open(&packed, packed_name, 0) != 0)
		return 2;
	for (i = 1; i <= PINGPONG_ROUNDS; i++) {
		atomic_store(&rd->converted, i);
		if (event_set(&conv) != 0)
			return 3;
		if (event_wait(&packed, 5000) != 0)
			return 4;
		if (event_clear(&packed) != 0 || event_is_set(&packed) != 0)
			return 5;
		if (atomic_load(&rd->packed) != i)
			return 6;
	}
	event_close(&conv);
	event_close(&packed);
	return 0;
}

/* The seed's converter/packer handshake, PINGPONG_ROUNDS times: the child
 * sets "converted" and waits "packed"; the parent waits "converted",
 * clears it, sets "packed".  The round counters prove strict turns. */
START_TEST(event_ping_pong)
{
	struct event conv, packed;
	const char *conv_name = scratch_name("pp-converted");
	const char *packed_name = scratch_name("pp-packed");
	struct rounds *rd;
	double t0;
	pid_t pid;
	uint32_t i;
	int status, rc;

	rd = mmap(NULL, sizeof(*rd), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE_MSG(rd != MAP_FAILED, "mmap: %s", strerror(errno));
	atomic_store(&rd->converted, 0);
	atomic_store(&rd->packed, 0);
	create_event(&conv, conv_name);
	create_event(&packed, packed_name);
	t0 = now();
	fflush(NULL);
	pid = fork();
	REQUIRE_MSG(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		child_alarm(30);
		_exit(converter_child(conv_name, packed_name, rd));
	}
	scratch.child = pid;
	for (i = 1; i <= PINGPONG_ROUNDS; i++) {
		rc = event_wait(&conv, 5000);
		REQUIRE_MSG(rc == 0, "round %u: wait converted: %d (child %s)",
		    i, rc, child_running() ? "running" : "gone");
		REQUIRE_EQ(atomic_load(&rd->converted), i);
		REQUIRE_EQ(event_clear(&conv), 0);
		REQUIRE_EQ(event_is_set(&conv), 0);
		atomic_store(&rd->packed, i);
		REQUIRE_EQ(event_set(&packed), 0);
	}
	REQUIRE_MSG(reap_child(5000, &status), "the child did not exit");
	REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "converter child: status 0x%x", status);
	REQUIRE_EQ(atomic_load(&rd->converted), PINGPONG_ROUNDS);
	REQUIRE_EQ(event_is_set(&conv), 0);
	REQUIRE_EQ(event_is_set(&packed), 0);
	printf("event ping-pong: %d rounds, %.3f s\n", PINGPONG_ROUNDS,
	    now() - t0);
	fflush(stdout);
	event_close(&conv);
	event_close(&packed);
	unlink_all();
	munmap(rd, sizeof(*rd));
}
END_TEST

/* Runs last: nothing of ours is left in /dev/shm (shmfix.h). */
START_TEST(event_nothing_left_in_dev_shm)
{
	shm_require_nothing_left();
}
END_TEST

Suite *
event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc;

	shm_prefix_init("event");

	tc = shm_tcase(s, "local");
	tcase_add_test(tc, event_set_wait_clear);
	tcase_add_test(tc, event_wait_times_out);
	tcase_add_test(tc, event_wait_interrupted);
	tcase_add_test(tc, event_open_errors);
	tcase_add_test(tc, event_created_mode);
	tc = shm_tcase(s, "processes");
	tcase_add_test(tc, event_across_processes);
	tcase_add_test(tc, event_ping_pong);
	tc = shm_tcase(s, "leftovers");
	tcase_add_test(tc, event_nothing_left_in_dev_shm);
	return s;
}
