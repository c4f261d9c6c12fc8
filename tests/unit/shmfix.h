/*
 * shmfix.h - named semaphores and one forked child, for the ring and event
 * tests: what a failing test must undo, the sweep of what a killed test
 * left in /dev/shm, and bounded waits on the child.
 *
 * Names are "/csvpack-test-<runner pid>-<suite>-<what>" (shm_prefix_init
 * in the suite function, so the runner's pid).  Every name a test makes
 * with scratch_name() is recorded, and every REQUIRE failure goes through
 * scratch_cleanup(), which kills and reaps the child and unlinks the names
 * before Check is told.  A test killed outright (Check's timeout) is
 * covered by shm_tcase()'s unchecked teardown, which sweeps the prefix in
 * the runner; the suite's last test, shm_require_nothing_left(), fails if
 * that sweep ever found anything or /dev/shm still holds a name of ours.
 * Every wait is bounded; children also carry an alarm (child_alarm).
 *
 * Each test file including this has its own copy of the state below.
 */
#ifndef CSVPACK_SHMFIX_H
#define CSVPACK_SHMFIX_H

#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "event.h"

#define SHM_NAME_LEN 128
#define SHM_MAX_NAMES 4

static char shm_prefix[64];	/* "/csvpack-test-<runner pid>-<suite>-" */
static int shm_swept;		/* names the teardowns had to remove */

/* What a failing test must undo before it reports. */
static struct {
	char names[SHM_MAX_NAMES][SHM_NAME_LEN];
	int nnames;
	pid_t child;
} scratch;

static inline void
scratch_cleanup(void)
{
	int saved = errno, i;

	if (scratch.child > 0) {
		kill(scratch.child, SIGKILL);
		while (waitpid(scratch.child, NULL, 0) < 0 && errno == EINTR)
			;
		scratch.child = 0;
	}
	for (i = 0; i < scratch.nnames; i++)
		event_unlink(scratch.names[i]);
	scratch.nnames = 0;
	errno = saved;
}

#ifdef CSVPACK_CHECK_HELPERS_H
#error "shmfix.h sets REQUIRE_UNDO: include it before check_helpers.h"
#endif
#define REQUIRE_UNDO() scratch_cleanup()
#include "check_helpers.h"

/* --- time ---------------------------------------------------------------- */

static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --- the child ----------------------------------------------------------- */

/* Reaps the registered child within timeout_ms.  1 and *status if it
 * exited (scratch.child is then 0), 0 if it is still running. */
static inline int
reap_child(int timeout_ms, int *status)
{
	double deadline = now() + timeout_ms / 1000.0;
	pid_t pid;

	for (;;) {
		pid = waitpid(scratch.child, status, WNOHANG);
		if (pid == scratch.child) {
			scratch.child = 0;
			return 1;
		}
		REQUIRE_MSG(pid == 0, "waitpid: %s", strerror(errno));
		if (now() > deadline)
			return 0;
		sleep_ms(2);
	}
}

/* For a forked child: die by SIGALRM after seconds.  The default action
 * is restored first: the handler inherited from Check's runner would kill
 * the whole test's process group instead. */
static inline void
child_alarm(unsigned seconds)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

static inline int
child_running(void)
{
	int status;

	return waitpid(scratch.child, &status, WNOHANG) == 0;
}

/* The state letter of /proc/PID/stat (R, S, D, Z, ...), or 0. */
static inline char
proc_state(pid_t pid)
{
	char path[64], text[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	p = strrchr(text, ')');	/* the name may hold anything */
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Waits, at most timeout_ms, until the registered child is blocked: it
 * sleeps (state S; a child that runs the tests' code only sleeps in the
 * wait under test) and, if flag is given, has raised *flag (a ring's
 * waiting flag).  1 once it is; 0 if it exited or time ran out first.
 * What a blocked wait is then checked for is the caller's. */
static inline int
wait_child_blocked(int timeout_ms, _Atomic uint32_t *flag)
{
	double deadline = now() + timeout_ms / 1000.0;
	char st;

	for (;;) {
		st = proc_state(scratch.child);
		if (st == 0 || st == 'Z' || st == 'X')
			return 0;
		if (st == 'S' && (!flag || atomic_load(flag)))
			return 1;
		if (now() > deadline)
			return 0;
		sleep_ms(2);
	}
}

/* --- names ----------------------------------------------------------------- */

static inline void
shm_prefix_init(const char *suite)
{
	snprintf(shm_prefix, sizeof(shm_prefix), "/csvpack-test-%ld-%s-",
	    (long)getpid(), suite);
}

/* Records a name built from the prefix; scratch_cleanup() will unlink
 * it. */
static inline const char *
scratch_name(const char *what)
{
	char *n;

	REQUIRE_MSG(scratch.nnames < SHM_MAX_NAMES, "more than %d names",
	    SHM_MAX_NAMES);
	n = scratch.names[scratch.nnames++];
	snprintf(n, SHM_NAME_LEN, "%s%s", shm_prefix, what);
	return n;
}

/* Unlinks every recorded name, each exactly once. */
static inline void
unlink_all(void)
{
	int i;

	for (i = 0; i < scratch.nnames; i++)
		REQUIRE_MSG(event_unlink(scratch.names[i]) == 0,
		    "event_unlink %s: %s", scratch.names[i], strerror(errno));
	scratch.nnames = 0;
}

/* --- leftovers: the runner-side sweep after each test case, the check -- */

/* Semaphores of ours in /dev/shm ("sem." + the name without its '/'),
 * unlinked too if unlink_them. */
static inline int
shm_count_ours(int unlink_them)
{
	char name[SHM_NAME_LEN + 8];
	struct dirent *de;
	size_t plen = strlen(shm_prefix + 1);
	DIR *d;
	int n = 0;

	if (plen == 0 || (d = opendir("/dev/shm")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "sem.", 4) != 0 ||
		    strncmp(de->d_name + 4, shm_prefix + 1, plen) != 0)
			continue;
		n++;
		if (unlink_them) {
			snprintf(name, sizeof(name), "/%s", de->d_name + 4);
			event_unlink(name);
		}
	}
	closedir(d);
	return n;
}

static inline void
shm_sweep(void)
{
	shm_swept += shm_count_ours(1);
}

/* The body of the suite's last test. */
static inline void
shm_require_nothing_left(void)
{
	int left = shm_count_ours(0);

	REQUIRE_MSG(shm_swept == 0, "teardown had to remove %d semaphores "
	    "named %s* (a test was killed before its cleanup)", shm_swept,
	    shm_prefix);
	REQUIRE_MSG(left == 0, "%d semaphores named %s* left in /dev/shm",
	    left, shm_prefix);
}

/* A test case of the suite: 60 s per test, swept after. */
static inline TCase *
shm_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, shm_sweep);
	suite_add_tcase(s, tc);
	return tc;
}

#endif
