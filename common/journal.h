/*
 * journal.h - which documents stand in which archive, kept durably in the
 * output directory, so that a resumed run can skip exactly the rows that
 * are already archived (spec guarantee 6; coverage.h).
 *
 * The packer, before it renames an archive into place, appends one group
 * to the journal and fsyncs it: the archive's name, then the meta line of
 * each of its documents (meta.h):
 *
 *   B 000003.tgz
 *   D <sid> <first row> <last row> <first line> <last line> <input>
 *   ...
 *   E
 *
 * A group that has no E was torn by a crash and is ignored.  A group whose
 * archive never made it (a crash between journal and rename) is harmless:
 * its documents are still in staging, and the next run packs them again
 * under the same name - the latest complete group of a name is the one
 * that counts.
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
 * The journal is opened from the output directory's descriptor without
 * following symlinks, and refused unless it is the running user's and
 * nobody else may write to it (outdir.h).
 */
#ifndef CSVPACK_JOURNAL_H
#define CSVPACK_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "meta.h"

#define JOURNAL_FILE ".csvpack-journal"
#define JOURNAL_ARCHIVE_MAX 256 /* an archive's name, its NUL included */

/* Appends one group and fsyncs the journal (created mode 0644 if
 * missing).  Returns 0, or -1 after saying why. */
int journal_append(int out_fd, const char *out_path, const char *archive,
    const struct doc_meta *docs, size_t n);

/* Called for each complete group, in the journal's order; docs[0..n) are
 * valid until it returns.  0 goes on; -1 (after saying why) stops. */
typedef int (*journal_group_fn)(const char *archive,
    const struct doc_meta *docs, size_t n, void *arg);

/* Reads the journal of the output directory, strictly (above).  A missing
 * journal is an empty one.  Returns 0, or -1 after saying why. */
int journal_read(int out_fd, const char *out_path, journal_group_fn on_group,
    void *arg);

/* The reader that journal_read is made of, for `csvpack verify`: each
 * complete group with the line of its B, and, if on_damage is set, each
 * damaged line (its number and what is wrong; the group it is in is void,
 * and reading goes on) instead of the strict stop.  on_group and
 * on_damage return 0 to go on, -1 (after saying why) to stop. */
struct journal_group {
	const char *archive;
	const struct doc_meta *docs;
	size_t n;
	uint64_t line;
};

struct journal_visitor {
	int (*on_group)(const struct journal_group *g, void *arg);
	int (*on_damage)(uint64_t line, const char *what, void *arg);
	void *arg;
};

/* A missing journal is an empty one.  0, or -1 after saying why. */
int journal_scan(int out_fd, const char *out_path,
    const struct journal_visitor *v);

/* Which of the staged documents sids[0..n) (ascending) an archive already
 * holds: a crash after an archive's rename and before its documents were
 * deleted leaves them in staging, and they must not be packed twice.  A
 * sid counts when the LATEST group written for an archive name lists it
 * and that archive exists in out_fd, a regular file of the running
 * user's (an earlier group of the same name is a ghost of a crash before
 * its rename).  The journal is journal_fd's: the output directory's for a
 * pipeline, the source directory's for `csvpack-packer --dir`.  Sets
 * archived[i]; returns 0, or -1 after saying why. */
int journal_archived(int journal_fd, const char *journal_path, int out_fd,
    const char *out_path, const uint64_t *sids, size_t n,
    unsigned char *archived);

#endif
