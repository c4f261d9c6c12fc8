/*
 * verify_index.h - which archives `csvpack verify` expects, and which are
 * there: the first pass.
 *
 * One read of the journal finds, for every archive name, the latest
 * complete group that names it - the one that counts; an earlier group of
 * the same name is the ghost of a crash before that archive's rename
 * (journal.h).  One read of DIR finds the archives that stand there
 * (names "NNNNNN.tgz" or "PREFIX-NNNNNN.tgz", at least six digits).  The
 * second pass (verify.c) walks the journal again and checks each counting
 * group against its archive; what is left unvisited in the index is an
 * archive the journal does not know.
 *
 * Memory: one entry per archive name (its name and a few numbers), never
 * per document or row.
 */
#ifndef CSVPACK_VERIFY_INDEX_H
#define CSVPACK_VERIFY_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct archive_entry {
	char *name;
	size_t prefix_len;  /* "P-" included; 0 without a prefix */
	uint64_t number;    /* 0: not an archive's name */
	uint64_t latest;    /* the counting group's ordinal; 0: in no group */
	int on_disk;        /* a file of that name stands in DIR */
	int visited;        /* the second pass checked it */
};

struct archive_index {
	struct archive_entry *e; /* sorted by name */
	size_t n, cap;
	uint64_t groups;         /* complete groups in the journal */
};

/* Builds the index of DIR (open on dirfd).  Journal damage is reported as
 * problems (problems.h) here, once.  0, or -1 after saying why. */
int index_build(int dirfd, const char *dir, struct archive_index *ix);
struct archive_entry *index_find(struct archive_index *ix, const char *name);
/* Problems for each run of numbers missing in a prefix's sequence (from
 * 1 to the highest) that neither the journal nor DIR knows. */
int index_check_numbering(const struct archive_index *ix, const char *dir);
void index_free(struct archive_index *ix);

#endif
