/*
 * coverage.h - which input rows a resumed run skips: those already
 * archived or staged (spec guarantee 6).
 *
 * Archived-or-staged rows = the rows of the journal's complete groups
 * (journal.h) + the rows of the complete documents in staging, as their
 * metas say (meta.h).  A group whose archive never made it is covered
 * rightly: its documents are still in staging.  A staged document cut
 * short is removed at the next start and its rows read again, so it
 * covers nothing; a complete one without a meta is an error (its rows are
 * unknown, and the packer would refuse it too).
 *
 * The rows are kept per input as sorted, merged ranges, so `covered` is a
 * walk along them as the producer reads the input's rows in order.
 * Staging is opened from the output directory's descriptor and refused
 * unless it is the running user's and nobody else may write to it
 * (outdir.h, staging.h).
 */
#ifndef CSVPACK_COVERAGE_H
#define CSVPACK_COVERAGE_H

#include <stddef.h>
#include <stdint.h>

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
