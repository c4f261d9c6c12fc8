/*
 * verify_manifest.h - an archive's SHA256SUMS against the digests of its
 * other members, computed as verify read them (no second read).
 *
 * The member is what `sha256sum` writes and `sha256sum -c` reads: one
 * "HASH  NAME" line (64 lower-case hex digits, two spaces) per other
 * member.  Every member must have its line with its digest, and every
 * line must name a member.
 */
#ifndef CSVPACK_VERIFY_MANIFEST_H
#define CSVPACK_VERIFY_MANIFEST_H

#include "verify_archive.h"

/* The most SHA256SUMS verify reads: a line per member is under 200
 * bytes; this allows archives of thousands of documents. */
#define MANIFEST_MAX (4u << 20)

/* Checks v->manifest (the SHA256SUMS text) against v->digests.  Problems
 * name "DIR/ARCHIVE".  0, or -1 after saying why. */
int verify_manifest(struct verifier *v, const char *archive_path);

#endif
