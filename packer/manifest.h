/*
 * manifest.h - the SHA256SUMS member of an archive under --manifest.
 *
 * While an archive is written, each member's bytes go through a SHA-256
 * context as they are packed (no second read); once a member is done its
 * digest and name become one line "HASH  NAME\n", in the format of
 * sha256sum(1) (64 lowercase hex digits, two spaces: "text" mode), in
 * member order.  The lines, kept in memory (some 80 bytes a member), are
 * then the body of the archive's last member, SHA256SUMS, so that
 * `tar -xzf A.tgz && sha256sum -c SHA256SUMS` checks the archive with
 * standard tools alone.  Member names are csvpack's own (NNNNNN.xml):
 * never a newline or a backslash, which sha256sum would escape.
 */
#ifndef CSVPACK_MANIFEST_H
#define CSVPACK_MANIFEST_H

#include <stddef.h>

#include "buf.h"
#include "sha256.h"

#define MANIFEST_NAME "SHA256SUMS"

struct manifest {
	struct buf lines;
};

void manifest_init(struct manifest *m);
void manifest_free(struct manifest *m);
/* Finalises c, the hash of member name's bytes, and appends its line.
 * 0, or -1 after saying why (out of memory; a name sha256sum would
 * escape: EINVAL). */
int manifest_add(struct manifest *m, struct sha256 *c, const char *name);
/* The body of SHA256SUMS so far. */
const void *manifest_data(const struct manifest *m);
size_t manifest_size(const struct manifest *m);

#endif
