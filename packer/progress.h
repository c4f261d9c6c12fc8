/*
 * progress.h - the packer's progress display on stderr.
 *
 * On a terminal, one line redrawn in place four times a second by a thread of
 * its own (the packer's main thread sleeps in waits or works in zlib, so
 * it cannot be the clock): rows, MB/s of CSV, documents, archives, and,
 * when the total size of the inputs is known, the share done and an ETA.
 * Elsewhere (a log file), progress_archive() prints one plain line per
 * archive instead, which a log can keep.
 *
 * Everything is read from the pipeline's shared counters, so what it shows
 * is what `csvpack status` shows.
 */
#ifndef CSVPACK_PROGRESS_H
#define CSVPACK_PROGRESS_H

#include <pthread.h>

#include "shm_layout.h"

struct progress {
	const struct pipeline_shared *sh;
	int live;          /* redrawn on a terminal */
	int running;       /* the thread was started */
	int drawn;         /* a line is on the screen */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
};

/* Starts the display; live when stderr is a terminal.  Returns 0, or -1
 * if the thread could not start (then there is simply no live line). */
int progress_start(struct progress *pr, const struct pipeline_shared *sh);
/* After each archive: the plain line, when not live. */
void progress_archive(struct progress *pr);
/* Stops the thread and clears the live line, so that what is printed
 * next starts on a clean line. */
void progress_stop(struct progress *pr);

/* Formats the progress line into buf (for the tests and the thread). */
void progress_format(char *buf, size_t size, const struct pipeline_shared *sh,
    uint64_t now_ms);

#endif
