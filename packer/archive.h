/*
 * archive.h - one durable NNNNNN.tgz from staged XML documents.
 *
 * The archive is written under a hidden temporary name in the output
 * directory (created O_EXCL | O_NOFOLLOW after unlinking whatever stood
 * there), fsync'd, linked into its final name from the descriptor still
 * held (so what the temporary name points at by then never matters; a
 * final name already there is never replaced), the temporary name
 * unlinked and the directory fsync'd: whatever happens, a final name
 * holds a complete archive or nothing (spec guarantees 4 and 11).  The
 * documents are not touched; the caller deletes them once this returns
 * 0.  Under --manifest (dirs->manifest) a last member, SHA256SUMS,
 * lists every document's SHA-256 (manifest.h), hashed as it is packed;
 * without it the archive is the same as ever.  Under --xsd (dirs->xsd)
 * the first member is schema.xsd, read from the documents' directory
 * like them (the converter's staging/schema.xsd, or --dir's
 * DIR/schema.xsd) and, under --manifest, listed in SHA256SUMS first.
 */
#ifndef CSVPACK_ARCHIVE_H
#define CSVPACK_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

struct archive_dirs {
	int out_fd;           /* the output directory */
	const char *out_path;
	int staging_fd;       /* where the documents are */
	const char *staging_path;
	int manifest;         /* --manifest: SHA256SUMS last */
	int xsd;              /* --xsd: staging's schema.xsd first */
	const char *xsd_missing; /* said after "PATH/schema.xsd" if it
	                       * is not there; NULL: nothing */
};

/* The schema's name, in the documents' directory and in the archive
 * (converter/xml_schema.h's XML_SCHEMA_FILE). */
#define ARCHIVE_SCHEMA "schema.xsd"

/* Called once the temporary archive is durable, before it takes its
 * final name (the journal is written there); non-zero aborts. */
typedef int (*archive_commit_fn)(void *arg);

/* Packs documents sids[0..n) (NNNNNN.xml in staging) into out/name,
 * compressing on jobs threads (the archive is the same for any count).
 * Returns 0 and the archive's size in *bytes, or -1 after saying why
 * (errno kept: ENOSPC and EFBIG mean the disk or a limit is full).  A
 * temporary name that cannot be unlinked once the archive stands is said
 * and recorded (fail.h: the run ends with exit 1), and 0 returned. */
int archive_build(const struct archive_dirs *dirs, const char *name,
    const uint64_t *sids, size_t n, int level, int jobs, int64_t mtime,
    archive_commit_fn before_rename, void *arg, uint64_t *bytes);

/* "NNNNNN.tgz" or "PREFIX-NNNNNN.tgz". */
void archive_name(char *buf, size_t size, const char *prefix, uint64_t num);
/* The highest archive number in the output directory (0 if none), after
 * removing temporary archives an interrupted run left (unlinked, never
 * followed).  0, or -1 after saying why (readdir or an unlink failed). */
int archive_scan(int out_fd, const char *out_path, const char *prefix,
    uint64_t *highest);

#endif
