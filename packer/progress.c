/*
 * progress.c - see progress.h.
 */
#include "progress.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "proc.h"

#define REDRAW_MS 250

void
progress_format(char *buf, size_t size, const struct pipeline_shared *sh,
    uint64_t now)
{
	const struct pipeline_counters *c = &sh->count;
	double secs = (double)(now - sh->started_ms) / 1000.0;
	uint64_t csv = atomic_load(&c->csv_bytes);
	uint64_t total = atomic_load(&c->input_total);
	uint64_t fill = atomic_load(&sh->ring.write_pos) -
	    atomic_load(&sh->ring.read_pos);
	int n;

	n = snprintf(buf, size, "%" PRIu64 " rows, %.1f MB/s, %" PRIu64
	    " documents, %" PRIu64 " archives",
	    atomic_load(&c->rows), secs > 0 ? (double)csv / 1e6 / secs : 0.0,
	    atomic_load(&c->documents), atomic_load(&c->archives));
	if (n < 0 || (size_t)n >= size || total == 0 || secs <= 0)
		return;
	/* Read is not done: what waits in the ring is still to convert. */
	csv = csv > fill ? csv - fill : 0;
	if (csv > total)
		csv = total;
	if (csv == 0) {
		snprintf(buf + n, size - (size_t)n, ", 0%% of %.1f MB",
		    (double)total / 1e6);
		return;
	}
	{
		double left = secs * (double)(total - csv) / (double)csv;
		unsigned long eta = (unsigned long)(left + 0.5);

		snprintf(buf + n, size - (size_t)n, ", %.0f%% of %.1f MB, "
		    "ETA %lu:%02lu", 100.0 * (double)csv / (double)total,
		    (double)total / 1e6, eta / 60, eta % 60);
	}
}

static void
draw(struct progress *pr)
{
	char line[256];
	char out[300];
	int n;

	progress_format(line, sizeof(line), pr->sh, now_ms());
	n = snprintf(out, sizeof(out), "\r%s\033[K", line);
	if (n > 0 && write(STDERR_FILENO, out, (size_t)n) == n)
		pr->drawn = 1;
}

static void *
redraw_loop(void *arg)
{
	struct progress *pr = arg;
	struct timespec until;

	pthread_mutex_lock(&pr->lock);
	while (!pr->stop) {
		draw(pr);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += REDRAW_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!pr->stop && pthread_cond_timedwait(&pr->wake,
		    &pr->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&pr->lock);
	return NULL;
}

int
progress_start(struct progress *pr, const struct pipeline_shared *sh)
{
	sigset_t all, old;
	int rc;

	memset(pr, 0, sizeof(*pr));
	pr->sh = sh;
	pr->live = isatty(STDERR_FILENO);
	if (!pr->live)
		return 0;
	pthread_mutex_init(&pr->lock, NULL);
	pthread_cond_init(&pr->wake, NULL);
	/* The thread takes no signals: they are the main thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&pr->thread, NULL, redraw_loop, pr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		errno = rc;
		msg_warn_errno("progress: pthread_create");
		pr->live = 0;
		return -1;
	}
	pr->running = 1;
	return 0;
}

void
progress_archive(struct progress *pr)
{
	char line[256];

	if (pr->live || !pr->sh)
		return;
	progress_format(line, sizeof(line), pr->sh, now_ms());
	msg_warn("progress: %s", line);
}

void
progress_stop(struct progress *pr)
{
	if (!pr->running)
		return;
	pthread_mutex_lock(&pr->lock);
	pr->stop = 1;
	pthread_cond_signal(&pr->wake);
	pthread_mutex_unlock(&pr->lock);
	pthread_join(pr->thread, NULL);
	pr->running = 0;
	if (pr->drawn && write(STDERR_FILENO, "\r\033[K", 4) != 4)
		pr->drawn = 0; /* nothing more to do about a dead stderr */
	pthread_mutex_destroy(&pr->lock);
	pthread_cond_destroy(&pr->wake);
}
