/*
 * meta.h - the meta file beside each staged document: which input rows
 * the document holds.
 *
 * Every document covers a contiguous range of data rows of one input
 * (rows counted from 1, the header excluded).  The converter writes that
 * range, and the physical lines its rows span (from the first row's first
 * line to the last row's last), beside the document, as
 * staging/NNNNNN.meta, before it renames the document into place, so a
 * complete document always has its meta.  The
 * packer copies the metas of an archive's documents into the journal
 * (journal.h); a resumed run reads the metas still in staging
 * (coverage.h).  A meta is one line:
 *
 *   <sid> <first row> <last row> <first line> <last line> <input name,
 *   %XX-escaped (escape.h)>
 *
 * and a journal's D line is the same line after "D ".  Journals written
 * before lines were recorded have no line numbers ("<sid> <first row>
 * <last row> <input>"); they read with lines 0, unknown.  The two forms
 * never look alike: an escaped name holds no space.  A first row of 0 is
 * a document of unknown origin (older journals wrote "0 0 ?").
 */
#ifndef CSVPACK_META_H
#define CSVPACK_META_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct doc_meta {
	uint64_t sid, first_row, last_row;
	uint64_t first_line, last_line;  /* 0: unknown (an older journal) */
	char source[4096];
};

/* The longest line csvpack writes: "D", five numbers, a name of fewer
 * than 4096 bytes, each byte %XX-escaped at worst. */
#define META_LINE_MAX (sizeof(((struct doc_meta *)0)->source) * 3 + 120)

void meta_name(char *buf, size_t size, uint64_t sid);

/* Writes staging/NNNNNN.meta by way of a temporary name created
 * O_EXCL | O_NOFOLLOW.  0, or -1 with errno set; nothing printed (the
 * caller names the file). */
int meta_write(int staging_fd, const struct doc_meta *m);
/* Reads it (O_NOFOLLOW, a regular file); -1 with errno set if missing
 * (ENOENT) or malformed (EBADMSG); nothing printed. */
int meta_read(int staging_fd, uint64_t sid, struct doc_meta *m);
/* The same, saying what is wrong: 1 read, 0 missing (nothing printed),
 * -1 after "STAGING/NNNNNN.meta: why". */
int meta_load(int staging_fd, const char *staging_path, uint64_t sid,
    struct doc_meta *m);

/* Appends "TAG<sid> <first> <last> <first line> <last line> <source>\n".
 * 0, or -1 (ENOMEM). */
int meta_format(struct buf *b, const char *tag, const struct doc_meta *m);
/* Parses either form (no LF), exactly: 0 or -1. */
int meta_parse(const char *line, struct doc_meta *m);

#endif
