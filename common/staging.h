/*
 * staging.h - the staging directory: where XML documents wait, between the
 * converter that writes them and the packer that archives and deletes them.
 * It is a hidden directory inside the output directory, so a rename from
 * staging into an archive's place never crosses a filesystem.
 *
 *   DIR/.csvpack-staging/NNNNNN.xml       a complete document
 *   DIR/.csvpack-staging/NNNNNN.meta      its input and rows (meta.h)
 *   DIR/.csvpack-staging/.NNNNNN.xml.tmp  one being written
 */
#ifndef CSVPACK_STAGING_H
#define CSVPACK_STAGING_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

#define STAGING_DIR ".csvpack-staging"

/* Creates outdir (and its parents) and its staging directory if missing
 * and opens the latter (staging_open_at).  *path gets its malloc'd path.
 * Returns a directory descriptor, or -1 after saying why. */
int staging_open(const char *outdir, char **path);
/* The same in the output directory open on out_fd: mkdirat, then
 * openat(O_DIRECTORY | O_NOFOLLOW), then refused unless it is a
 * directory of the running user's that nobody else may write to
 * (outdir.h).  Nothing in a refused one is read, written or deleted. */
int staging_open_at(int out_fd, const char *out_path, char **path);
/* The same without creating it: 1 and *fd, *path; 0 if there is none;
 * -1 after saying why. */
int staging_find(int out_fd, const char *out_path, int *fd, char **path);
/* A directory stream on a duplicate of dirfd, from the start, or NULL
 * after saying why; closedir() it. */
DIR *dir_stream(int dirfd, const char *path);
/* Like readdir(3), with its failure told apart from the end: 1 and *e,
 * 0 at the end, -1 after "readdir PATH: why". */
int dir_next(DIR *d, const char *path, struct dirent **e);
/* mkdir -p; returns 0, or -1 after saying why. */
int make_dirs(const char *path);
/* "NNNNNN.xml" (at least 6 digits). */
void staging_doc_name(char *buf, size_t size, uint64_t sid);
/* The sids of the complete documents in dir, sorted.  *sids is malloc'd.
 * Returns 0, or -1 after saying why. */
int staging_list(int dirfd, const char *path, uint64_t **sids, size_t *n);
/* 1 if staged document sid is complete (a regular file that ends as
 * every document does), 0 if it is not or is gone, -1 after saying why
 * (a read failed, a symlink or something else stands there). */
int staging_doc_complete(int dirfd, const char *path, uint64_t sid);
/* Removes what a crashed converter left half-written: hidden temporary
 * files, NNNNNN.meta files without their document, and documents a power
 * loss cut short (with their meta).  Returns how many complete documents
 * remain, or -1 after saying why. */
long staging_clean(int dirfd, const char *path);
/* A new temporary file in staging (".NNNNNN.xml.tmp"), for writing: what
 * stands under that name is unlinked, never followed, and the file is
 * created O_EXCL | O_NOFOLLOW, mode 0644 (outdir_create_tmp).  Returns
 * the descriptor, or -1 after saying why. */
int staging_create_tmp(int dirfd, const char *path, const char *name);
/* At the end of a run: removes the staging directory (staging_fd, at
 * path) from the output directory, if that name is still it; sweep (the
 * converter is done): the temporary files in it first.  One that still
 * holds something is left, with a warning.  Returns 0, or -1 after
 * saying why (an I/O error). */
int staging_remove(int out_fd, int staging_fd, const char *path, int sweep);
/* Parses "NNNNNN<suffix>" (6 or more digits); returns 1 and sets *num. */
int parse_numbered(const char *name, const char *prefix, const char *suffix,
    uint64_t *num);

#endif
