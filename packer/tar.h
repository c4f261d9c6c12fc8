/*
 * tar.h - POSIX ustar headers, written by hand (512-byte blocks).
 *
 * Only what csvpack archives need: regular files at the top level, mode
 * 0644, uid/gid 0, no owner names.  Sizes that do not fit 11 octal digits
 * (8 GiB and up) use the base-256 form GNU tar and bsdtar read.
 */
#ifndef CSVPACK_TAR_H
#define CSVPACK_TAR_H

#include <stdint.h>
#include <time.h>

#define TAR_BLOCK 512

/* Fills block with the header of a regular file.  Returns 0, or -1 if the
 * name does not fit the 100-byte name field. */
int tar_write_header(unsigned char block[TAR_BLOCK], const char *name,
    uint64_t size, int64_t mtime);
/* Bytes of zero padding that follow size bytes of file data. */
unsigned tar_padding(uint64_t size);

#endif
