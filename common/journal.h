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
 *
 * Reading is strict: a complete line (ending in LF) that is none of the
 * above, or a D or E outside a group, stops the run with
 * "DIR/.csvpack-journal:LINE: what" (FAIL_SYS, exit 1: the journal is
 * csvpack's, not the user's input, and guessing which rows it holds could
 * archive rows twice).  Two things a crash leaves are not errors: an
 * unterminated last line is ignored, and so is a line that ends in CR LF
 * - the journal's own lines never hold a CR, so that is a line a crash
 * cut short, which the next append closed with CR LF before starting its
 * group on a line of its own; it voids the group it was in.
 *
 * The journal and staging are opened from the output directory's
 * descriptor without following symlinks, and refused unless they are the
 * running user's and nobody else may write to them (outdir.h).
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
void meta_name(char *buf, size_t size, uint64_t sid);

/* Appends one group and fsyncs the journal (created mode 0644 if
 * missing).  Returns 0, or -1 after saying why. */
int journal_append(int out_fd, const char *out_path, const char *archive,
    const struct doc_meta *docs, size_t n);

/* Which of the staged documents sids[0..n) an archive already holds: a
 * crash after an archive's rename and before its documents were deleted
 * leaves them in staging, and they must not be packed twice.  A sid
 * counts when the LATEST group written for an archive name lists it and
 * that archive exists, a regular file of the running user's (an earlier
 * group of the same name is a ghost of a crash before its rename).  Sets
 * archived[i]; returns 0, or -1 after saying why. */
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

/* Loads the journal of out_path and the metas of the complete documents
 * in its staging directory.  A missing directory, journal or staging is
 * an empty one.  Returns 0, or -1 after saying why (c is then empty). */
int coverage_load(const char *out_path, struct coverage *c);
int coverage_load_at(int out_fd, const char *out_path, struct coverage *c);
void coverage_free(struct coverage *c);
/* The ranges of one input, or NULL. */
const struct covered_input *coverage_find(const struct coverage *c,
    const char *source);
/* 1 if row is covered.  *cursor (start at 0) speeds up ascending rows. */
int covered(const struct covered_input *ci, uint64_t row, size_t *cursor);

#endif
