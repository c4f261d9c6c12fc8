/*
 * outlock.h - one pipeline per output directory (spec guarantee 7).
 *
 * DIR/.csvpack.lock is flock(2)ed by the stages that write into DIR (the
 * converter and the packer).  The first takes the lock exclusively, writes
 * its pipeline's name into the file and turns the lock into a shared one;
 * a later stage gets the shared lock too and reads the name: the same
 * pipeline may go on, another is refused with a message naming the one at
 * work.  The lock goes when the last holder exits, however it exits.
 *
 * The file is opened relative to the output directory's descriptor,
 * O_NOFOLLOW, created mode 0600, and used only if it is a regular file of
 * the running user's that nobody else may write to and that has no other
 * link (outdir.h): a symlink or a stranger's file planted under its name
 * is refused, and nothing behind it is truncated or written.
 *
 * The functions taking a path open the directory and call the _at form.
 */
#ifndef CSVPACK_OUTLOCK_H
#define CSVPACK_OUTLOCK_H

#define OUTLOCK_FILE ".csvpack.lock"

/* Returns the lock's descriptor (keep it open), or -1 after saying why
 * (the directory is another pipeline's, the lock is refused, an error). */
int outlock_take(const char *out_path, const char *pipeline);
int outlock_take_at(int out_fd, const char *out_path, const char *pipeline);
/* Before starting stages: 1 (after saying so) if DIR is held by a
 * pipeline other than the one named (NULL: any), 0 if not (or there is
 * no DIR or lock yet), -1 after saying why the lock is refused or could
 * not be read.  Only a probe: the stages still take the lock. */
int outlock_busy(const char *out_path, const char *pipeline);
int outlock_busy_at(int out_fd, const char *out_path, const char *pipeline);
/* Closes the lock; remove: also unlink the file (the run is complete),
 * if its name is still the file held and no other stage holds it.
 * Returns 0, or -1 after saying why the unlink failed (the lock is
 * closed whatever happens). */
int outlock_release(int lock_fd, const char *out_path, int remove);
int outlock_release_at(int lock_fd, int out_fd, const char *out_path,
    int remove);

#endif
