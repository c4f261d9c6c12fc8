/*
 * archive.c - see archive.h.
 */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.h"
#include "gz_stream.h"
#include "manifest.h"
#include "msg.h"
#include "outdir.h"
#include "staging.h"
#include "sysio.h"
#include "tar.h"

#define COPY_SIZE (256 * 1024)
#define TMP_PREFIX ".csvpack-"
#define TMP_SUFFIX ".tmp"

void
archive_name(char *buf, size_t size, const char *prefix, uint64_t num)
{
	if (prefix)
		snprintf(buf, size, "%s-%06" PRIu64 ".tgz", prefix, num);
	else
		snprintf(buf, size, "%06" PRIu64 ".tgz", num);
}

/* Appends one member, the file name in staging, header and padding
 * included; under --manifest (m not NULL) its bytes are hashed as they
 * are packed, and its line added to m.  missing: what to add to the
 * message when the file is not there. */
static int
add_member(struct gz_stream *g, const struct archive_dirs *dirs,
    const char *tmp, const char *name, int64_t mtime, unsigned char *copy,
    struct manifest *m, const char *missing)
{
	unsigned char block[TAR_BLOCK];
	struct sha256 h;
	struct stat st;
	uint64_t done = 0;
	ssize_t n;
	int fd, rc;

	/* No symlink, nothing but a regular file: staging is ours, but a
	 * member is never read from somewhere else. */
	rc = outdir_open_read(dirs->staging_fd, dirs->staging_path, name, &fd);
	if (rc == 0) {
		errno = ENOENT;
		return fail_sys("%s/%s%s", dirs->staging_path, name, missing);
	}
	if (rc < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		fail_sys("%s/%s: fstat", dirs->staging_path, name);
		goto fail;
	}
	if (tar_write_header(block, name, (uint64_t)st.st_size, mtime) < 0 ||
	    gz_write(g, block, TAR_BLOCK) < 0)
		goto write_failed;
	sha256_init(&h);
	while (done < (uint64_t)st.st_size) {
		n = sys_read(fd, copy, COPY_SIZE);
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* shrank under us */
			fail_sys("%s/%s: read", dirs->staging_path, name);
			goto fail;
		}
		if ((uint64_t)n > (uint64_t)st.st_size - done)
			n = (ssize_t)((uint64_t)st.st_size - done);
		if (m)
			sha256_update(&h, copy, (size_t)n);
		if (gz_write(g, copy, (size_t)n) < 0)
			goto write_failed;
		done += (uint64_t)n;
	}
	memset(block, 0, TAR_BLOCK);
	if (gz_write(g, block, tar_padding(done)) < 0)
		goto write_failed;
	if (m && manifest_add(m, &h, name) < 0)
		goto fail;
	sys_close(fd);
	return 0;
write_failed:
	fail_sys("%s/%s", dirs->out_path, tmp);
fail:
	rc = errno;
	sys_close(fd);
	errno = rc;
	return -1;
}

/* The last member under --manifest: SHA256SUMS, with the same header
 * as every member's. */
static int
add_manifest(struct gz_stream *g, const struct manifest *m, int64_t mtime)
{
	unsigned char block[TAR_BLOCK];
	size_t size = manifest_size(m);

	if (tar_write_header(block, MANIFEST_NAME, size, mtime) < 0 ||
	    gz_write(g, block, TAR_BLOCK) < 0 ||
	    gz_write(g, manifest_data(m), size) < 0)
		return -1;
	memset(block, 0, TAR_BLOCK);
	return gz_write(g, block, tar_padding(size));
}

static int
write_archive(int fd, const struct archive_dirs *dirs, const char *tmp,
    const uint64_t *sids, size_t n, int level, int jobs, int64_t mtime,
    uint64_t *bytes)
{
	static const unsigned char end[2 * TAR_BLOCK];
	struct gz_stream g;
	struct manifest m;
	struct manifest *sums = dirs->manifest ? &m : NULL;
	unsigned char *copy = malloc(COPY_SIZE);
	char name[32];
	size_t i;
	int rc = -1;

	if (!copy || gz_open(&g, fd, level, jobs) < 0) {
		free(copy);
		return fail_nomem(tmp);
	}
	manifest_init(&m);
	/* --xsd: the schema first, hashed like any member. */
	if (dirs->xsd && add_member(&g, dirs, tmp, ARCHIVE_SCHEMA, mtime,
	    copy, sums, dirs->xsd_missing ? dirs->xsd_missing : "") < 0)
		goto out;
	for (i = 0; i < n; i++) {
		staging_doc_name(name, sizeof(name), sids[i]);
		if (add_member(&g, dirs, tmp, name, mtime, copy, sums, "") < 0)
			goto out;
	}
	if ((sums && add_manifest(&g, sums, mtime) < 0) ||
	    gz_write(&g, end, sizeof(end)) < 0 || gz_finish(&g) < 0) {
		fail_sys("%s/%s", dirs->out_path, tmp);
		goto out;
	}
	*bytes = g.bytes_out;
	rc = 0;
out:
	i = (size_t)errno;
	gz_free(&g);
	manifest_free(&m);
	free(copy);
	errno = (int)i;
	return rc;
}

/* The archive's name stands but is not known durable (the directory's
 * fsync failed): the name is taken back, so that its documents, which
 * stay, are not in an archive as well.  Returns -1. */
static int
withdraw(const struct archive_dirs *dirs, const char *name, int fd)
{
	int saved = errno;

	if (outdir_unlink_same(dirs->out_fd, name, fd, 0) < 0)
		msg_warn_errno("%s/%s: not removed; its documents are in it "
		    "and stay too", dirs->out_path, name);
	sys_close(fd);
	errno = saved;
	return -1;
}

int
archive_build(const struct archive_dirs *dirs, const char *name,
    const uint64_t *sids, size_t n, int level, int jobs, int64_t mtime,
    archive_commit_fn before_rename, void *arg, uint64_t *bytes)
{
	char tmp[300];
	int fd, saved;

	snprintf(tmp, sizeof(tmp), "%s%s%s", TMP_PREFIX, name, TMP_SUFFIX);
	/* A new file of ours: whatever stands under the name (a crash's
	 * leftover, a planted symlink) is unlinked, never written through. */
	fd = outdir_create_tmp(dirs->out_fd, dirs->out_path, tmp, 0644);
	if (fd < 0)
		return -1;
	if (write_archive(fd, dirs, tmp, sids, n, level, jobs, mtime, bytes) < 0)
		goto fail;
	if (sys_fsync(fd) < 0) {
		fail_sys("%s/%s: fsync", dirs->out_path, tmp);
		goto fail;
	}
	if (before_rename && before_rename(arg) != 0)
		goto fail;
	/* The final name comes from the descriptor still held, never from
	 * what the temporary name points at by now; never replacing one. */
	if (outdir_link_fd(fd, dirs->out_fd, dirs->out_path, tmp, name) < 0)
		goto fail;
	if (outdir_unlink_same(dirs->out_fd, tmp, fd, 0) < 0)
		/* The archive stands whole: go on, but the run did not
		 * leave the directory as it says, and ends with exit 1. */
		fail_sys("%s/%s: unlink (a copy of %s, left behind)",
		    dirs->out_path, tmp, name);
	if (sys_fsync(dirs->out_fd) < 0) {
		fail_sys("%s: fsync", dirs->out_path);
		return withdraw(dirs, name, fd);
	}
	/* Its data were fsync'd and its name is durable: a close that
	 * fails now loses nothing.  Said, and the run ends with exit 1,
	 * but the archive counts (its documents may go). */
	if (sys_close(fd) < 0)
		fail_sys("%s/%s: close (the archive was fsync'd: it stands)",
		    dirs->out_path, name);
	return 0;
fail:
	saved = errno;
	/* Best effort: the next start removes it anyway. */
	if (outdir_unlink_same(dirs->out_fd, tmp, fd, 0) < 0)
		msg_warn_errno("%s/%s: not removed", dirs->out_path, tmp);
	sys_close(fd);
	errno = saved;
	return -1;
}

int
archive_scan(int out_fd, const char *out_path, const char *prefix,
    uint64_t *highest)
{
	struct dirent *e;
	uint64_t num;
	DIR *d;
	int more;

	*highest = 0;
	if (!(d = dir_stream(out_fd, out_path)))
		return -1;
	while ((more = dir_next(d, out_path, &e)) > 0) {
		size_t len = strlen(e->d_name);

		if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 &&
		    len > strlen(TMP_SUFFIX) &&
		    strcmp(e->d_name + len - strlen(TMP_SUFFIX), TMP_SUFFIX) == 0) {
			/* unlinkat never follows: a planted symlink goes,
			 * what it points at stays. */
			if (unlinkat(out_fd, e->d_name, 0) < 0 && errno != ENOENT) {
				fail_sys("%s/%s: unlink", out_path, e->d_name);
				more = -1;
				break;
			}
			continue;
		}
		if (prefix) {
			char p[300];

			snprintf(p, sizeof(p), "%s-", prefix);
			if (!parse_numbered(e->d_name, p, ".tgz", &num))
				continue;
		} else if (!parse_numbered(e->d_name, NULL, ".tgz", &num)) {
			continue;
		}
		if (num > *highest)
			*highest = num;
	}
	closedir(d);
	return more < 0 ? -1 : 0;
}
