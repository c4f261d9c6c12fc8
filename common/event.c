/*
 * event.c - set/wait/clear events on named POSIX semaphores.
 *
 * set posts only when the value is 0, so repeated sets do not pile up;
 * wait takes the value and gives it back, so a set event stays set until
 * someone clears it; clear takes every unit.  With one setter and one
 * waiter per event (csvpack's use) the brief window in wait, between take
 * and give back, can at worst leave the value at 2: still "set", and clear
 * drains it to 0.
 *
 * Waits use sem_clockwait(CLOCK_MONOTONIC): a wall-clock jump must not turn
 * a 100 ms wait into an hour.
 */
#define _GNU_SOURCE /* sem_clockwait */
#include "event.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>

int
event_open(struct event *ev, const char *name, int create)
{
	if (create)
		ev->sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	else
		ev->sem = sem_open(name, 0);
	return ev->sem == SEM_FAILED ? (ev->sem = NULL, -1) : 0;
}

void
event_close(struct event *ev)
{
	if (ev->sem)
		sem_close(ev->sem);
	ev->sem = NULL;
}

int
event_unlink(const char *name)
{
	return sem_unlink(name);
}

int
event_set(struct event *ev)
{
	int value;

	if (sem_getvalue(ev->sem, &value) < 0)
		return -1;
	if (value > 0)
		return 0;
	return sem_post(ev->sem);
}

int
event_wait(struct event *ev, int timeout_ms)
{
	struct timespec deadline;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) < 0)
		return errno;
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	if (sem_clockwait(ev->sem, CLOCK_MONOTONIC, &deadline) < 0)
		return errno;
	if (sem_post(ev->sem) < 0)
		return errno;
	return 0;
}

int
event_clear(struct event *ev)
{
	for (;;) {
		if (sem_trywait(ev->sem) == 0 || errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -1;
	}
}

int
event_is_set(struct event *ev)
{
	int value;

	if (sem_getvalue(ev->sem, &value) < 0)
		return -1;
	return value > 0;
}
