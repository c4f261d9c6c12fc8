/*
 * event.h - the seed's threading.Event across processes, on a named POSIX
 * semaphore.
 *
 * An event is a flag with three verbs: event_set() raises it,
 * event_wait() sleeps until it is raised (and leaves it raised, as
 * threading.Event does), event_clear() lowers it.  The flag is the
 * semaphore's value: 0 is clear, anything above is set.  Each event is
 * meant to have one setter and one waiter, which is how csvpack uses them.
 *
 * Every wait is bounded: the caller passes a timeout and decides, on
 * timeout, whether to wait again (after checking that its peers live).
 */
#ifndef CSVPACK_EVENT_H
#define CSVPACK_EVENT_H

#include <semaphore.h>

struct event {
	sem_t *sem;
};

/* Opens the named event.  create: make it (O_CREAT|O_EXCL, mode 0600,
 * clear); otherwise it must exist.  Returns 0, or -1 with errno set. */
int event_open(struct event *ev, const char *name, int create);
/* Closes this process's handle; the event lives on until unlinked. */
void event_close(struct event *ev);
/* Removes the name.  Returns 0, or -1 with errno set (ENOENT if gone). */
int event_unlink(const char *name);

int event_set(struct event *ev);
/* Returns 0 once the event is set, ETIMEDOUT after timeout_ms, EINTR if a
 * signal arrived (the caller checks its flags and decides), or another
 * errno value on failure. */
int event_wait(struct event *ev, int timeout_ms);
int event_clear(struct event *ev);
/* 1 if set, 0 if clear, -1 on error. */
int event_is_set(struct event *ev);

#endif
