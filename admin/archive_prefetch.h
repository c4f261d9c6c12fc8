/*
 * archive_prefetch.h - an archive read on a second core: inflating and
 * hashing on one thread, parsing on the other.
 *
 * For one archive, verify spends about as long inflating it as parsing
 * its documents; one after the other that is half the speed of
 * `tar -xzOf`.  So a worker thread runs the archive reader
 * (archive_read.h) and SHA-256 over each member, and hands what it reads
 * - a member's header, its bytes in pieces, its digest at its end, the
 * archive's end or its problem - through a small ring of slots to the
 * caller, who parses and checks.  The calls mirror archive_read.h's, so
 * the caller reads an archive as it would read it directly.
 *
 * Memory: the ring (4 slots of 256 KiB) and the reader's own buffers.
 * One worker per archive: started by prefetch_open, joined by
 * prefetch_close (which also stops it early, when the caller gives up on
 * an archive).  A failure of ours in the worker (read(2), memory) is said
 * there, with fail.h, and comes to the caller as archive_read's would.
 */
#ifndef CSVPACK_ARCHIVE_PREFETCH_H
#define CSVPACK_ARCHIVE_PREFETCH_H

#include <sys/types.h>

#include "archive_read.h"
#include "sha256.h"

struct archive_prefetch;

/* NULL if out of memory (nothing printed). */
struct archive_prefetch *prefetch_new(void);
void prefetch_free(struct archive_prefetch *p);

/* Starts reading the archive on fd (the caller closes fd, after
 * prefetch_close).  0, or -1 after saying why. */
int prefetch_open(struct archive_prefetch *p, int fd, const char *path);
/* As archive_next and archive_read. */
int prefetch_next(struct archive_prefetch *p, struct archive_member *m);
ssize_t prefetch_read(struct archive_prefetch *p, const void **data);
/* After prefetch_read returned 0: the member's SHA-256. */
const unsigned char *prefetch_digest(const struct archive_prefetch *p);
/* After -1, as archive_problem and archive_failed_sys. */
const char *prefetch_problem(const struct archive_prefetch *p);
int prefetch_failed_sys(const struct archive_prefetch *p);
/* Stops the worker if it is still reading, and waits for it. */
void prefetch_close(struct archive_prefetch *p);

#endif
