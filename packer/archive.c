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

#include "gz_stream.h"
#include "msg.h"
#include "staging.h"
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

/* Appends one document, header and padding included. */
static int
add_document(struct gz_stream *g, const struct archive_dirs *dirs,
    const char *tmp, uint64_t sid, int64_t mtime, unsigned char *copy)
{
	unsigned char block[TAR_BLOCK];
	char name[32];
	struct stat st;
	uint64_t done = 0;
	ssize_t n;
	int fd;

	staging_doc_name(name, sizeof(name), sid);
	fd = openat(dirs->staging_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		msg_warn_errno("%s/%s", dirs->staging_path, name);
		goto fail;
	}
	if (tar_write_header(block, name, (uint64_t)st.st_size, mtime) < 0 ||
	    gz_write(g, block, TAR_BLOCK) < 0)
		goto write_failed;
	while (done < (uint64_t)st.st_size) {
		n = read(fd, copy, COPY_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* shrank under us */
			msg_warn_errno("%s/%s: read", dirs->staging_path, name);
			goto fail;
		}
		if ((uint64_t)n > (uint64_t)st.st_size - done)
			n = (ssize_t)((uint64_t)st.st_size - done);
		if (gz_write(g, copy, (size_t)n) < 0)
			goto write_failed;
		done += (uint64_t)n;
	}
	memset(block, 0, TAR_BLOCK);
	if (gz_write(g, block, tar_padding(done)) < 0)
		goto write_failed;
	close(fd);
	return 0;
write_failed:
	msg_warn_errno("%s/%s", dirs->out_path, tmp);
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
write_archive(int fd, const struct archive_dirs *dirs, const char *tmp,
    const uint64_t *sids, size_t n, int level, int jobs, int64_t mtime,
    uint64_t *bytes)
{
	static const unsigned char end[2 * TAR_BLOCK];
	struct gz_stream g;
	unsigned char *copy = malloc(COPY_SIZE);
	size_t i;
	int rc = -1;

	if (!copy || gz_open(&g, fd, level, jobs) < 0) {
		msg_warn("out of memory");
		free(copy);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (add_document(&g, dirs, tmp, sids[i], mtime, copy) < 0)
			goto out;
	if (gz_write(&g, end, sizeof(end)) < 0 || gz_finish(&g) < 0) {
		msg_warn_errno("%s/%s", dirs->out_path, tmp);
		goto out;
	}
	*bytes = g.bytes_out;
	rc = 0;
out:
	gz_free(&g);
	free(copy);
	return rc;
}

/* Gives the complete temporary archive its final name, never replacing
 * an archive already there: link, then unlink the temporary name (a crash
 * between the two leaves a temporary file the next start removes).
 * Where hard links are not supported, rename after a check. */
static int
commit_name(const struct archive_dirs *dirs, const char *tmp, const char *name)
{
	struct stat st;

	if (linkat(dirs->out_fd, tmp, dirs->out_fd, name, 0) == 0) {
		if (unlinkat(dirs->out_fd, tmp, 0) < 0)
			msg_warn_errno("%s/%s", dirs->out_path, tmp);
		return 0;
	}
	if (errno == EEXIST || fstatat(dirs->out_fd, name, &st, 0) == 0) {
		errno = EEXIST;
		msg_warn_errno("%s/%s: not replaced", dirs->out_path, name);
		return -1;
	}
	if (renameat(dirs->out_fd, tmp, dirs->out_fd, name) == 0)
		return 0;
	msg_warn_errno("%s/%s: rename", dirs->out_path, name);
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
	fd = openat(dirs->out_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	if (fd < 0) {
		msg_warn_errno("%s/%s", dirs->out_path, tmp);
		return -1;
	}
	if (write_archive(fd, dirs, tmp, sids, n, level, jobs, mtime, bytes) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		msg_warn_errno("%s/%s: fsync", dirs->out_path, tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		msg_warn_errno("%s/%s: close", dirs->out_path, tmp);
		goto fail;
	}
	fd = -1;
	if (before_rename && before_rename(arg) != 0)
		goto fail;
	if (commit_name(dirs, tmp, name) < 0)
		goto fail;
	if (fsync(dirs->out_fd) < 0) {
		msg_warn_errno("%s: fsync", dirs->out_path);
		return -1; /* the archive stands; its documents stay too */
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirs->out_fd, tmp, 0);
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

	*highest = 0;
	if (!(d = dir_stream(out_fd, out_path)))
		return -1;
	while ((errno = 0, e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 &&
		    len > strlen(TMP_SUFFIX) &&
		    strcmp(e->d_name + len - strlen(TMP_SUFFIX), TMP_SUFFIX) == 0) {
			if (unlinkat(out_fd, e->d_name, 0) < 0)
				msg_warn_errno("%s/%s", out_path, e->d_name);
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
	if (errno) {
		msg_warn_errno("readdir %s", out_path);
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}
