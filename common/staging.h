/*
 * staging.h - the staging directory: where XML documents wait, between the
 * converter that writes them and the packer that archives and deletes them.
 * It is a hidden directory inside the output directory, so a rename from
 * staging into an archive's place never crosses a filesystem.
 *
 *   DIR/.csvpack-staging/NNNNNN.xml       a complete document
 *   DIR/.csvpack-staging/NNNNNN.meta      its input and rows (journal.h)
 *   DIR/.csvpack-staging/.NNNNNN.xml.tmp  one being written
 */
#ifndef CSVPACK_STAGING_H
#define CSVPACK_STAGING_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

#define STAGING_DIR ".csvpack-staging"

/* Creates outdir (and its parents) and its staging directory if missing
 * and opens the latter.  *path gets its malloc'd path.  Returns a directory
 * descriptor, or -1 after printing why. */
int staging_open(const char *outdir, char **path);
/* A directory stream on a duplicate of dirfd, from the start, or NULL
 * after printing why; closedir() it. */
DIR *dir_stream(int dirfd, const char *path);
/* mkdir -p; returns 0, or -1 after printing why. */
int make_dirs(const char *path);
/* "NNNNNN.xml" (at least 6 digits). */
void staging_doc_name(char *buf, size_t size, uint64_t sid);
/* The sids of the complete documents in dir, sorted.  *sids is malloc'd.
 * Returns 0, or -1 after printing why. */
int staging_list(int dirfd, const char *path, uint64_t **sids, size_t *n);
/* 1 if staged document sid is complete (ends as every document does). */
int staging_doc_complete(int dirfd, uint64_t sid);
/* Removes what a crashed converter left half-written: hidden temporary
 * files, NNNNNN.meta files without their document, and documents a power
 * loss cut short (with their meta).  Returns how many complete documents
 * remain, or -1 after printing why. */
long staging_clean(int dirfd, const char *path);
/* Parses "NNNNNN<suffix>" (6 or more digits); returns 1 and sets *num. */
int parse_numbered(const char *name, const char *prefix, const char *suffix,
    uint64_t *num);

#endif
