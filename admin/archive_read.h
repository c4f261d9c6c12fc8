/*
 * archive_read.h - reads a csvpack archive (a gzip'd ustar stream) once,
 * front to back, in constant memory, and finds what is wrong with it.
 *
 * For `csvpack verify`: an archive is good only if every layer of it is
 * exactly what the packer writes (packer/tar.c, packer/archive.c), so that
 * every tool the spec names reads it the same way.
 *
 * gzip: zlib inflates the one gzip member (header, deflate data, CRC-32
 * and ISIZE all checked by zlib); the file must end right after it.
 * tar:  every header is ustar ("ustar\0" "00"), its checksum right (the
 * unsigned sum), a regular file ('0') with a plain, non-empty name at the
 * top level (no '/', no control character, empty prefix field), mode
 * 0644, uid/gid 0, no owner names, a size in octal or base-256; data is
 * padded with zeros to 512; two zero blocks end the archive, and after
 * them there are only zero bytes (GNU tar pads to 10240; csvpack does not).
 *
 * The idea: one 256 KiB output window, inflated into and handed out in
 * place.  archive_read gives the caller a pointer into the window (zero
 * copy), so a member's bytes cost one inflate and no memcpy; a header is
 * read where it lies, after moving at most 511 bytes when one straddles
 * the window's end.  Damage is reported in stream order, where it is
 * first seen: a read stops at the first problem, and every later call
 * says -1 again.  Nothing is printed for damage: the caller prints
 * archive_problem() after the archive's path, one line per problem.
 * Only a failure of ours (read(2), memory) is said here, with fail.h.
 *
 * Usage:
 *	a = archive_reader_new();
 *	for each archive: open its fd; archive_open(a, fd, path);
 *		while ((rc = archive_next(a, &m)) == 1)
 *			while ((n = archive_read(a, &p)) > 0)
 *				... n bytes at p ...
 *		rc == -1 (or n == -1): archive_failed_sys(a) ? exit 1
 *		    : print path ": " archive_problem(a)
 *	archive_reader_free(a);
 */
#ifndef CSVPACK_ARCHIVE_READ_H
#define CSVPACK_ARCHIVE_READ_H

#include <stdint.h>
#include <sys/types.h>

struct archive_member {
	char name[101];      /* NUL-terminated */
	uint64_t size;
	unsigned mode;       /* permission bits as stored */
	int64_t mtime;
	unsigned index;      /* 1-based position in the archive */
};

struct archive_reader;

/* Buffers are allocated once and reused for every archive.  NULL if out
 * of memory (nothing printed). */
struct archive_reader *archive_reader_new(void);
void archive_reader_free(struct archive_reader *a);

/* Starts reading an archive from fd (the caller opened it and closes it;
 * reading starts at its current offset); path is for messages (copied).
 * 0, or -1 (out of memory, said: archive_failed_sys is 1). */
int archive_open(struct archive_reader *a, int fd, const char *path);

/* The next member: 1 (m filled; its data follows through archive_read),
 * 0 (the archive ended well: every check passed), -1 (a problem).  Unread
 * data of the previous member is skipped (still inflated and checked). */
int archive_next(struct archive_reader *a, struct archive_member *m);

/* Zero-copy: *data points at the next piece of the current member's data
 * inside the reader's window, valid until the next call.  Returns its
 * length (> 0), 0 at the member's end (or when there is no member), -1 a
 * problem. */
ssize_t archive_read(struct archive_reader *a, const void **data);

/* After -1: what is wrong, e.g. "gzip: the stream is cut short (N
 * bytes)", with no path in front: the caller prints "PATH: " and this on
 * stdout as one problem.  Names in it are escaped: it holds no newline. */
const char *archive_problem(const struct archive_reader *a);

/* After -1: 1 if it was not damage but a failure of ours (read(2) failed,
 * out of memory), already said with fail_sys/fail_nomem, so the caller
 * exits 1 without printing a problem line; 0 if it is damage. */
int archive_failed_sys(const struct archive_reader *a);

/* Bytes of compressed input consumed, and of tar stream produced, so far
 * (for the caller's speed figures). */
uint64_t archive_bytes_in(const struct archive_reader *a);
uint64_t archive_bytes_out(const struct archive_reader *a);

#endif
