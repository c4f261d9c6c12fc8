/*
 * journal.h - which input rows stand in which archive, kept durably in the
 * output directory, so that a resumed run can skip exactly the rows that
 * are already archived or staged (spec guarantee 6).
 *
 * Every document covers a contiguous range of data rows of one input
 * (rows counted from 1, the header excluded).  The converter writes that
 * range beside the document in staging (NNNNNN.meta); the packer, before
 * it renames an archive into place, appends one group to the journal and
 * fsyncs it:
 *
 *   B 000003.tgz
 *   D <sid> <first row> <last row> <input name, %XX-escaped>
 *   ...
 *   E
 *
 * A group that has no E was torn by a crash and is ignored.  A group whose
 * archive never made it (a crash between journal and rename) is harmless:
 * its documents are still in staging, so its rows are "staged", and the
 * next run packs them again.  Thus: archived-or-staged rows = the rows of
 * the complete groups + the rows of the staged documents.
 */
#ifndef CSVPACK_JOURNAL_H
#define CSVPACK_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_FILE ".csvpack-journal"

struct doc_meta {
	uint64_t sid, first_row, last_row;
	char source[4096];
};

/* Writes staging/NNNNNN.meta (by way of a temporary name).  0 or -1. */
int meta_write(int staging_fd, const struct doc_meta *m);
/* Reads it; -1 (errno set) if missing or malformed. */
int meta_read(int staging_fd, uint64_t sid, struct doc_meta *m);
void meta_name(char *buf, size_t size, uint64_t sid);

/* Appends one group and fsyncs the journal.  Returns 0, or -1 after
 * printing why. */
int journal_append(int out_fd, const char *out_path, const char *archive,
    const struct doc_meta *docs, size_t n);

/* Which of the staged documents sids[0..n) an archive already holds: a
 * crash after an archive's rename and before its documents were deleted
 * leaves them in staging, and they must not be packed twice.  A sid
 * counts when the LATEST group written for an archive name lists it and
 * that archive exists (an earlier group of the same name is a ghost of a
 * crash before its rename).  Sets archived[i]; returns 0, or -1 after
 * printing why. */
int journal_archived(int out_fd, const char *out_path, const uint64_t *sids,
    size_t n, unsigned char *archived);

struct row_range {
	uint64_t first, last;
};

struct covered_input {
	char *source;
	struct row_range *r; /* sorted, merged */
	size_t n, cap;
};

struct coverage {
	struct covered_input *in;
	size_t n, cap;
	uint64_t max_sid;   /* the highest sid in the journal or staging */
};

/* Loads the journal of out_path and the metas in its staging directory.
 * A missing journal is an empty one.  Returns 0, or -1 after printing. */
int coverage_load(const char *out_path, struct coverage *c);
void coverage_free(struct coverage *c);
/* The ranges of one input, or NULL. */
const struct covered_input *coverage_find(const struct coverage *c,
    const char *source);
/* 1 if row is covered.  *cursor (start at 0) speeds up ascending rows. */
int covered(const struct covered_input *ci, uint64_t row, size_t *cursor);

#endif
