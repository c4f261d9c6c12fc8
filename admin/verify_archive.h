/*
 * verify_archive.h - one archive read through and checked against its
 * journal group: the heart of `csvpack verify`.
 *
 * The archive is read once, streaming (archive_read.h: gzip and ustar,
 * every check the format allows), on a second core that also hashes each
 * member (archive_prefetch.h); a document's bytes go, as they come, to
 * the SAX parser (doc_parse.h) whose
 * row callbacks check the document against the journal's line for it -
 * its sid and source, its row count, its rows' lines in order and within
 * the lines the journal recorded - and hand each row to row_compare.h
 * when inputs are compared.  Members must be the group's documents in
 * sid order (schema.xsd may come first, SHA256SUMS last); SHA256SUMS, when
 * there, must list every other member with its digest.  A document read
 * through adds its journal rows to row_ranges.h.
 *
 * Every finding is a problem line (problems.h) naming the archive and the
 * member; only a failure of verify itself returns -1.
 */
#ifndef CSVPACK_VERIFY_ARCHIVE_H
#define CSVPACK_VERIFY_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "archive_prefetch.h"
#include "buf.h"
#include "doc_parse.h"
#include "journal.h"
#include "options.h"
#include "row_compare.h"
#include "row_ranges.h"
#include "sha256.h"

struct member_digest {
	char name[101];
	unsigned char digest[SHA256_DIGEST];
	int listed;          /* SHA256SUMS has its line */
};

/* One document being read. */
struct doc_state {
	const struct doc_meta *m;  /* its journal line, or NULL */
	uint64_t sid;
	uint64_t rows, prev_line;
	int order_said, range_said, names_said, line_said;
	struct buf names;     /* the first row's field names, NUL after each */
	size_t nnames;
};

struct verifier {
	int dirfd;
	const char *dir;
	const struct options *o;  /* the run's shape: names, provenance */
	struct archive_prefetch *ap;
	struct doc_parser *dp;
	struct row_ranges ranges;
	struct row_compare cmp;
	int comparing;
	uint64_t archives, documents, rows;
	/* Per archive. */
	const char *archive;
	struct buf where, clean, manifest;
	struct member_digest *digests;
	size_t ndigests, cap_digests;
	unsigned char *seen;   /* the group's documents read through */
	size_t cap_seen, doc_index;
	int out_of_order;
	struct doc_state doc;
};

/* 0, or -1 after saying why (out of memory). */
int verifier_init(struct verifier *v, int dirfd, const char *dir,
    const struct options *o);
void verifier_free(struct verifier *v);
/* Rows of m that no archive holds, for why ("DIR/A is missing"): said
 * (runs of them merged) unless the input is compared, which says them
 * with their lines.  0 or -1. */
int verify_rows_lost(struct verifier *v, const struct doc_meta *m,
    const char *why);
/* Checks DIR/name against group g (NULL: an archive the journal does not
 * know, read through all the same).  0, or -1 after saying why. */
int verify_archive(struct verifier *v, const char *name,
    const struct journal_group *g);

#endif
