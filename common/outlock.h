/*
 * outlock.h - one pipeline per output directory (spec guarantee 7).
 *
 * DIR/.csvpack.lock is flock(2)ed by the stages that write into DIR (the
 * converter and the packer).  The first takes the lock exclusively, writes
 * its pipeline's name into the file and turns the lock into a shared one;
 * a later stage gets the shared lock too and reads the name: the same
 * pipeline may go on, another is refused with a message naming the one at
 * work.  The lock goes when the last holder exits, however it exits.
 */
#ifndef CSVPACK_OUTLOCK_H
#define CSVPACK_OUTLOCK_H

#define OUTLOCK_FILE ".csvpack.lock"

/* Returns the lock's descriptor (keep it open), or -1 after printing why
 * (the directory is another pipeline's, or an error). */
int outlock_take(const char *out_path, const char *pipeline);
/* Before starting stages: 1 (after saying so) if DIR is held by a
 * pipeline other than the one named (NULL: any), else 0.  Only a probe:
 * the stages still take the lock. */
int outlock_busy(const char *out_path, const char *pipeline);
/* Closes the lock; remove: also unlink the file (the run is complete). */
void outlock_release(int lock_fd, const char *out_path, int remove);

#endif
