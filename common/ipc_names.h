/*
 * ipc_names.h - a pipeline's names in /dev/shm, and whose they are.
 *
 *   /dev/shm/csvpack-UID-NAME             the segment (shm_open)
 *   /dev/shm/sem.csvpack-UID-NAME.data    ring: a record was published
 *   /dev/shm/sem.csvpack-UID-NAME.space   ring: a record was consumed
 *   /dev/shm/sem.csvpack-UID-NAME.converted   converter -> packer: a batch
 *   /dev/shm/sem.csvpack-UID-NAME.packed      packer -> converter: packed
 *
 * UID is the running user's, so two users' pipelines of one NAME never
 * meet.  But /dev/shm is writable by all: anyone can make an object under
 * our names first.  Such an object is never used nor removed: csvpack
 * touches only regular files of the running user that nobody else may
 * open (ipc_object_ours).  /dev/shm is sticky, so a name found ours stays
 * ours: no one else can unlink or replace it.
 */
#ifndef CSVPACK_IPC_NAMES_H
#define CSVPACK_IPC_NAMES_H

#include <stddef.h>

#define PIPELINE_NAME_MAX 64

enum { EV_DATA, EV_SPACE, EV_CONVERTED, EV_PACKED, EV_COUNT };

struct ipc_names {
	char name[PIPELINE_NAME_MAX + 1];        /* NAME */
	char shm[PIPELINE_NAME_MAX + 40];        /* "/csvpack-UID-NAME" */
	char ev[EV_COUNT][PIPELINE_NAME_MAX + 60]; /* shm + ".data", ... */
};

/* 1 if name is 1..64 of [A-Za-z0-9._-], not starting with '.'. */
int pipeline_name_valid(const char *name);
/* Fills in the names of pipeline name, which must be valid. */
void ipc_names_make(struct ipc_names *n, const char *name);

/* May the segment, or event i, be used or removed?  1: it is ours; 0: it
 * is not there; -1: it is someone else's or no shared-memory object at
 * all, and is left alone (said unless quiet: the object, its owner, and
 * --name as the way round it). */
int ipc_segment_ours(const struct ipc_names *n, int quiet);
int ipc_event_ours(const struct ipc_names *n, int i, int quiet);
/* 1 if the segment's name exists (ours or not). */
int ipc_segment_exists(const struct ipc_names *n);

/* Calls each(name, arg) once for every pipeline NAME of this user that
 * has an object in /dev/shm (its segment, or only semaphores that outlived
 * it); stops early when each returns non-zero and returns that.  Returns
 * 0 when all were seen, or -1 after saying why /dev/shm cannot be read. */
int ipc_each_pipeline(int (*each)(const char *name, void *arg), void *arg);

#endif
