/*
 * test_tar.c - unit tests of the archive writer: packer/tar.h (ustar
 * headers), packer/gz_stream.h and packer/archive.h (archive_build,
 * archive_name, archive_scan).
 *
 * Headers are checked byte by byte against POSIX ustar (checksum
 * recomputed, magic, octal fields, the 100-byte name limit, base-256 sizes
 * from 8 GiB up), then parsed by Python's tarfile.TarInfo.frombuf and, for
 * the base-256 case, listed by GNU tar.
 *
 * Archives are real: each test makes a temporary directory holding an
 * output dir and a staging dir of NNNNNN.xml documents (empty, 511, 512 and
 * 513 bytes, 1 MiB of pseudo-random bytes from a fixed seed), calls
 * archive_build and reads the result with the tools the spec names: `tar
 * -tzvf` (names, sizes, mode, 0/0 owner, mtime, order), `tar -xzOf` (every
 * member byte-exact), Python's tarfile (regular, 0644, uid/gid 0, no owner
 * names, mtime as given) and `gzip -t`; the gzip header itself is read
 * (mtime 0, no FNAME) and its trailer's ISIZE checked against the exact tar
 * length.  Two builds of the same input are compared byte for byte.
 *
 * The commit callback (archive_commit_fn) must run once, with the
 * temporary archive complete (gzip -t passes) and the final name still
 * free; a non-zero return aborts the build and leaves nothing behind; a
 * failed build never calls it.
 *
 * Failures: a missing document, a directory where a document should be, a
 * directory in the way of the temporary or the final name, an output
 * directory that was removed, and a file size limit (RLIMIT_FSIZE with
 * SIGXFSZ ignored, in a forked child so the runner keeps its limits) that
 * must give -1 with EFBIG.  Every failure must leave neither a final-name
 * archive nor a temporary file behind.
 *
 * Every external tool runs under `timeout 30`; the forked child carries an
 * alarm(); Check's timeouts bound the rest.  Temporary directories carry
 * the runner's pid in their names and an unchecked teardown removes them,
 * so a failing test leaves nothing in /tmp.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "suites.h"
#include "archive.h"
#include "buf.h"
#include "gz_stream.h"
#include "tar.h"
#include "tmpdir.h"

#define MTIME INT64_C(1700000000) /* 2023-11-14 22:13:20 UTC */
#define MTIME_TEXT "2023-11-14 22:13"
#define BIG_DOC (1024 * 1024)
#define NDOCS 5

/* Compression threads for archive_build; the archives must not depend on
 * it (gz_stream.h), which tar_jobs_invariant checks. */
static int build_jobs = 1;

static const size_t doc_sizes[NDOCS] = { 0, 511, 512, 513, BIG_DOC };

/* Temporary directories are /tmp/<tmp_tag>XXXXXX (tmpdir.h); the tag
 * holds the runner's pid, so the runner's teardown can sweep what a
 * failed test (which exits at once) left. */
static char tmp_tag[TMPDIR_TAG_LEN];

struct fixture {
	char root[96];
	char out[128];
	char staging[160];
	struct archive_dirs dirs;
	unsigned char *doc[NDOCS + 1]; /* doc[sid], sid 1..NDOCS */
};

/* --- helpers ------------------------------------------------------------ */

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Reads a whole file into b (reset first). */
static int
read_file(const char *path, struct buf *b)
{
	unsigned char tmp[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	buf_reset(b);
	if (fd < 0)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (buf_append(b, tmp, (size_t)n) < 0)
			break;
	close(fd);
	return n == 0 ? 0 : -1;
}

/* Runs a shell command line; its stdout goes into out (if not NULL).
 * Returns its exit status, or -1 if it did not exit. */
static int
run(const char *cmd, struct buf *out)
{
	char tmp[65536];
	size_t n;
	FILE *p;
	int st;

	if (out)
		buf_reset(out);
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "popen %s: %s", cmd, strerror(errno));
	while ((n = fread(tmp, 1, sizeof(tmp), p)) > 0)
		if (out)
			ck_assert_int_eq(buf_append(out, tmp, n), 0);
	st = pclose(p);
	if (st < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The names in dir, sorted, joined by '\n' into b (NUL-terminated). */
static void
list_dir(const char *dir, struct buf *b)
{
	struct dirent **list;
	int n, i;

	buf_reset(b);
	n = scandir(dir, &list, NULL, alphasort);
	ck_assert_msg(n >= 0, "scandir %s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
			buf_append(b, list[i]->d_name, strlen(list[i]->d_name));
			buf_append(b, "\n", 1);
		}
		free(list[i]);
	}
	free(list);
	buf_append(b, "", 1);
}

static void
fixture_open(struct fixture *f, int with_docs)
{
	uint64_t seed = UINT64_C(0x2545F4914F6CDD1D);
	char name[32];
	size_t i, j;

	memset(f, 0, sizeof(*f));
	tmpdir_make(f->root, sizeof(f->root), tmp_tag);
	snprintf(f->out, sizeof(f->out), "%s/out", f->root);
	snprintf(f->staging, sizeof(f->staging), "%s/out/.csvpack-staging",
	    f->root);
	ck_assert_int_eq(mkdir(f->out, 0755), 0);
	ck_assert_int_eq(mkdir(f->staging, 0755), 0);
	f->dirs.out_fd = open(f->out, O_RDONLY | O_DIRECTORY);
	f->dirs.staging_fd = open(f->staging, O_RDONLY | O_DIRECTORY);
	ck_assert(f->dirs.out_fd >= 0 && f->dirs.staging_fd >= 0);
	f->dirs.out_path = f->out;
	f->dirs.staging_path = f->staging;
	if (!with_docs)
		return;
	for (i = 0; i < NDOCS; i++) {
		f->doc[i + 1] = malloc(doc_sizes[i] + 1);
		ck_assert_ptr_nonnull(f->doc[i + 1]);
		for (j = 0; j < doc_sizes[i]; j++) {
			/* Small docs: readable text; the big one: random. */
			if (doc_sizes[i] < BIG_DOC)
				f->doc[i + 1][j] = (unsigned char)"<x>ab</x>\n"[j % 10];
			else
				f->doc[i + 1][j] = (unsigned char)xorshift(&seed);
		}
		snprintf(name, sizeof(name), "%06zu.xml", i + 1);
		write_file_at(f->dirs.staging_fd, name, f->doc[i + 1],
		    doc_sizes[i], 0644);
	}
}

static void
fixture_close(struct fixture *f)
{
	size_t i;

	if (f->dirs.out_fd > 0)
		close(f->dirs.out_fd);
	if (f->dirs.staging_fd > 0)
		close(f->dirs.staging_fd);
	for (i = 0; i <= NDOCS; i++)
		free(f->doc[i]);
	if (f->root[0])
		tmpdir_remove(f->root);
}

/* Builds sids 1..NDOCS into out/name; checks rc and *bytes. */
static void
build_all(struct fixture *f, const char *name, int level)
{
	static const uint64_t sids[NDOCS] = { 1, 2, 3, 4, 5 };
	char path[256];
	uint64_t bytes = 0;
	struct stat st;

	ck_assert_int_eq(archive_build(&f->dirs, name, sids, NDOCS, level,
	    build_jobs, MTIME, NULL, NULL, &bytes), 0);
	snprintf(path, sizeof(path), "%s/%s", f->out, name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(bytes, (uint64_t)st.st_size);
	ck_assert_int_eq(st.st_mode & S_IFMT, S_IFREG);
}

/* The tar stream's exact length for sids 1..NDOCS. */
static uint64_t
tar_length(void)
{
	uint64_t n = 2 * TAR_BLOCK;
	size_t i;

	for (i = 0; i < NDOCS; i++)
		n += TAR_BLOCK + doc_sizes[i] + tar_padding(doc_sizes[i]);
	return n;
}

/* The value of an octal header field (NUL or space terminated). */
static uint64_t
octal_field(const unsigned char *p, size_t width)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < width && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (uint64_t)(p[i] - '0');
	return v;
}

static int
all_zero(const unsigned char *p, size_t n)
{
	while (n-- > 0)
		if (*p++)
			return 0;
	return 1;
}

/* --- tar_write_header ---------------------------------------------------- */

START_TEST(header_fields)
{
	unsigned char b[TAR_BLOCK];
	unsigned sum = 0;
	size_t i;

	memset(b, 0xAA, sizeof(b));
	ck_assert_int_eq(tar_write_header(b, "000001.xml", 511, MTIME), 0);
	ck_assert_mem_eq(b, "000001.xml", 11);            /* name, NUL */
	ck_assert(all_zero(b + 11, 100 - 11));
	ck_assert_mem_eq(b + 100, "0000644", 8);          /* mode */
	ck_assert_mem_eq(b + 108, "0000000", 8);          /* uid */
	ck_assert_mem_eq(b + 116, "0000000", 8);          /* gid */
	ck_assert_mem_eq(b + 124, "00000000777", 12);     /* size */
	ck_assert_uint_eq(octal_field(b + 136, 12), (uint64_t)MTIME);
	ck_assert_int_eq(b[147], '\0');
	ck_assert_int_eq(b[156], '0');                     /* typeflag */
	ck_assert(all_zero(b + 157, 100));                 /* linkname */
	ck_assert_mem_eq(b + 257, "ustar", 6);             /* magic, NUL */
	ck_assert_mem_eq(b + 263, "00", 2);                /* version */
	ck_assert(all_zero(b + 265, 32));                  /* uname */
	ck_assert(all_zero(b + 297, 32));                  /* gname */
	ck_assert(all_zero(b + 345, 155));                 /* prefix */
	ck_assert(all_zero(b + 500, 12));
	/* Checksum: the sum of all bytes with the field read as spaces,
	 * written as six octal digits, NUL, space. */
	for (i = 0; i < TAR_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	ck_assert_uint_eq(octal_field(b + 148, 8), sum);
	for (i = 148; i < 154; i++)
		ck_assert(b[i] >= '0' && b[i] <= '7');
	ck_assert_int_eq(b[154], '\0');
	ck_assert_int_eq(b[155], ' ');
}
END_TEST

START_TEST(header_checksum_many)
{
	static const char *names[] = { "a", "000001.xml", "999999.xml",
	    "z-\x7f\xff.xml" };
	static const uint64_t sizes[] = { 0, 1, 511, 512, 513, 077777777777,
	    UINT64_C(1) << 33, UINT64_C(0xFFFFFFFFFFFFFFFF) };
	static const int64_t mtimes[] = { 0, 1, MTIME, 077777777777 };
	unsigned char b[TAR_BLOCK];
	unsigned sum;
	size_t i, j, k, x;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			for (k = 0; k < sizeof(mtimes) / sizeof(mtimes[0]); k++) {
				ck_assert_int_eq(tar_write_header(b, names[i],
				    sizes[j], mtimes[k]), 0);
				sum = 0;
				for (x = 0; x < TAR_BLOCK; x++)
					sum += (x >= 148 && x < 156) ? ' ' : b[x];
				ck_assert_msg(octal_field(b + 148, 8) == sum,
				    "checksum of %s/%" PRIu64 "/%" PRId64,
				    names[i], sizes[j], mtimes[k]);
				ck_assert_uint_eq(octal_field(b + 136, 12),
				    (uint64_t)mtimes[k]);
			}
}
END_TEST

START_TEST(header_name_limits)
{
	unsigned char b[TAR_BLOCK];
	char name[128];

	memset(name, 'n', sizeof(name));
	name[100] = '\0';
	ck_assert_int_eq(tar_write_header(b, name, 1, MTIME), 0);
	ck_assert_mem_eq(b, name, 100); /* fills the field, no NUL */
	ck_assert_int_eq(b[100], '0');  /* mode starts right after */
	name[100] = 'n';
	name[101] = '\0';
	ck_assert_int_eq(tar_write_header(b, name, 1, MTIME), -1);
	ck_assert_int_eq(tar_write_header(b, "", 1, MTIME), -1);
}
END_TEST

START_TEST(header_size_forms)
{
	unsigned char b[TAR_BLOCK];
	uint64_t v, big[] = { UINT64_C(1) << 33, (UINT64_C(1) << 40) + 5,
	    UINT64_C(0x0123456789ABCDEF) };
	size_t i, j;

	/* 8 GiB - 1 is the largest size in 11 octal digits. */
	ck_assert_int_eq(tar_write_header(b, "x", (UINT64_C(1) << 33) - 1, 0),
	    0);
	ck_assert_mem_eq(b + 124, "77777777777", 12);
	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		ck_assert_int_eq(tar_write_header(b, "x", big[i], 0), 0);
		ck_assert_int_eq(b[124], 0x80);
		for (v = 0, j = 125; j < 136; j++)
			v = (v << 8) | b[j];
		ck_assert_uint_eq(v, big[i]);
	}
}
END_TEST

START_TEST(header_padding)
{
	ck_assert_uint_eq(tar_padding(0), 0);
	ck_assert_uint_eq(tar_padding(1), 511);
	ck_assert_uint_eq(tar_padding(511), 1);
	ck_assert_uint_eq(tar_padding(512), 0);
	ck_assert_uint_eq(tar_padding(513), 511);
	ck_assert_uint_eq(tar_padding(BIG_DOC), 0);
	ck_assert_uint_eq(tar_padding((UINT64_C(1) << 33) + 1), 511);
}
END_TEST

/* Headers as other readers see them: Python's TarInfo.frombuf (which
 * verifies the checksum) for a 100-byte name and an 8 GiB + 1 size, and
 * GNU tar's listing of the base-256 size. */
START_TEST(header_read_by_tools)
{
	static const char *py =
	    "import sys, tarfile\n"
	    "data = open(sys.argv[1], 'rb').read()\n"
	    "for i in range(0, len(data), 512):\n"
	    "    t = tarfile.TarInfo.frombuf(data[i:i+512], 'utf-8', 'strict')\n"
	    "    print(len(t.name), t.name[:3], t.size, oct(t.mode), t.uid,"
	    " t.gid, repr(t.uname), repr(t.gname), t.mtime, t.isreg())\n";
	unsigned char b[3 * TAR_BLOCK];
	char dir[96], path[128], cmd[4096];
	char name[101];
	struct buf out;
	int dfd;

	buf_init(&out, 0);
	memset(name, 'n', 100);
	name[100] = '\0';
	tmpdir_make(dir, sizeof(dir), tmp_tag);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(tar_write_header(b, name, 5, MTIME), 0);
	ck_assert_int_eq(tar_write_header(b + TAR_BLOCK, "big.xml",
	    (UINT64_C(1) << 33) + 1, MTIME), 0);
	write_file_at(dfd, "h", b, 2 * TAR_BLOCK, 0644);
	snprintf(path, sizeof(path), "%s/h", dir);
	write_file_at(dfd, "h.py", py, strlen(py), 0644);
	snprintf(cmd, sizeof(cmd), "timeout 30 python3 %s/h.py %s", dir, path);
	ck_assert_int_eq(run(cmd, &out), 0);
	buf_append(&out, "", 1);
	ck_assert_str_eq((char *)out.data,
	    "100 nnn 5 0o644 0 0 '' '' 1700000000 True\n"
	    "7 big 8589934593 0o644 0 0 '' '' 1700000000 True\n");

	/* GNU tar lists the big member before it finds the data missing. */
	memset(b, 0, sizeof(b));
	ck_assert_int_eq(tar_write_header(b, "big.xml",
	    (UINT64_C(1) << 33) + 1, MTIME), 0);
	write_file_at(dfd, "big.tar", b, sizeof(b), 0644);
	snprintf(cmd, sizeof(cmd), "TZ=UTC0 LC_ALL=C timeout 30 tar -tvf "
	    "%s/big.tar 2>/dev/null", dir);
	run(cmd, &out);
	buf_append(&out, "", 1);
	ck_assert_msg(strstr((char *)out.data, " 8589934593 ") != NULL,
	    "tar -tvf: %s", (char *)out.data);
	ck_assert_msg(strstr((char *)out.data, "-rw-r--r-- 0/0") == (char *)
	    out.data, "tar -tvf: %s", (char *)out.data);
	close(dfd);
	tmpdir_remove(dir);
	buf_free(&out);
}
END_TEST

/* --- archive_name ------------------------------------------------------- */

START_TEST(name_forms)
{
	char b[64];

	archive_name(b, sizeof(b), NULL, 1);
	ck_assert_str_eq(b, "000001.tgz");
	archive_name(b, sizeof(b), NULL, 999999);
	ck_assert_str_eq(b, "999999.tgz");
	archive_name(b, sizeof(b), NULL, 1000000);
	ck_assert_str_eq(b, "1000000.tgz");
	archive_name(b, sizeof(b), "host-a", 42);
	ck_assert_str_eq(b, "host-a-000042.tgz");
}
END_TEST

/* --- archive_build: reading the result ---------------------------------- */

START_TEST(build_tar_listing)
{
	struct fixture f;
	struct buf out;
	char cmd[512], *line, *save = NULL;
	char mode[16], owner[32], date[16], tm[16], name[64];
	unsigned long long size;
	int i = 0;

	buf_init(&out, 0);
	fixture_open(&f, 1);
	build_all(&f, "000001.tgz", 6);
	snprintf(cmd, sizeof(cmd), "TZ=UTC0 LC_ALL=C timeout 30 tar -tzvf "
	    "'%s/000001.tgz'", f.out);
	ck_assert_int_eq(run(cmd, &out), 0);
	buf_append(&out, "", 1);
	for (line = strtok_r((char *)out.data, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save), i++) {
		ck_assert_msg(i < NDOCS, "extra member: %s", line);
		ck_assert_msg(sscanf(line, "%15s %31s %llu %15s %15s %63s", mode,
		    owner, &size, date, tm, name) == 6, "line: %s", line);
		ck_assert_str_eq(mode, "-rw-r--r--");
		ck_assert_str_eq(owner, "0/0");
		ck_assert_uint_eq(size, doc_sizes[i]);
		snprintf(cmd, sizeof(cmd), "%s %s", date, tm);
		ck_assert_str_eq(cmd, MTIME_TEXT);
		snprintf(cmd, sizeof(cmd), "%06d.xml", i + 1);
		ck_assert_str_eq(name, cmd); /* top level, in sid order */
	}
	ck_assert_int_eq(i, NDOCS);
	buf_free(&out);
	fixture_close(&f);
}
END_TEST

START_TEST(build_content_exact)
{
	struct fixture f;
	struct buf out;
	char cmd[512];
	int i;

	buf_init(&out, 0);
	fixture_open(&f, 1);
	build_all(&f, "000001.tgz", 6);
	for (i = 1; i <= NDOCS; i++) {
		snprintf(cmd, sizeof(cmd), "timeout 30 tar -xzOf '%s/000001.tgz'"
		    " %06d.xml", f.out, i);
		ck_assert_int_eq(run(cmd, &out), 0);
		ck_assert_uint_eq(out.len, doc_sizes[i - 1]);
		if (out.len)
			ck_assert_msg(memcmp(out.data, f.doc[i], out.len) == 0,
			    "member %d differs", i);
	}
	/* The documents are left where they were. */
	for (i = 1; i <= NDOCS; i++) {
		char name[32];
		struct stat st;

		snprintf(name, sizeof(name), "%06d.xml", i);
		ck_assert_int_eq(fstatat(f.dirs.staging_fd, name, &st, 0), 0);
		ck_assert_uint_eq((uint64_t)st.st_size, doc_sizes[i - 1]);
	}
	buf_free(&out);
	fixture_close(&f);
}
END_TEST

START_TEST(build_python_tarfile)
{
	static const char *py =
	    "import sys, tarfile, hashlib\n"
	    "with tarfile.open(sys.argv[1], 'r:gz') as t:\n"
	    "    for m in t.getmembers():\n"
	    "        data = t.extractfile(m).read()\n"
	    "        print(m.name, m.size, len(data), oct(m.mode), m.uid, m.gid,"
	    " repr(m.uname), repr(m.gname), m.mtime, m.isreg(), m.type == b'0')\n";
	struct fixture f;
	struct buf out, want;
	char cmd[512], line[256];
	int i;

	buf_init(&out, 0);
	buf_init(&want, 0);
	fixture_open(&f, 1);
	build_all(&f, "000001.tgz", 9);
	write_file_at(f.dirs.out_fd, "check.py", py, strlen(py), 0644);
	snprintf(cmd, sizeof(cmd), "timeout 30 python3 '%s/check.py' "
	    "'%s/000001.tgz'", f.out, f.out);
	ck_assert_int_eq(run(cmd, &out), 0);
	buf_append(&out, "", 1);
	for (i = 0; i < NDOCS; i++) {
		snprintf(line, sizeof(line), "%06d.xml %zu %zu 0o644 0 0 '' '' "
		    "%" PRId64 " True True\n", i + 1, doc_sizes[i], doc_sizes[i],
		    MTIME);
		buf_append(&want, line, strlen(line));
	}
	buf_append(&want, "", 1);
	ck_assert_str_eq((char *)out.data, (char *)want.data);
	buf_free(&out);
	buf_free(&want);
	fixture_close(&f);
}
END_TEST

START_TEST(build_gzip_container)
{
	struct fixture f;
	struct buf a;
	char path[256], cmd[512];
	uint32_t isize;
	int level;

	buf_init(&a, 0);
	fixture_open(&f, 1);
	for (level = 0; level <= 9; level += 3) {
		/* archive_build never replaces an archive: make room. */
		snprintf(path, sizeof(path), "%s/000001.tgz", f.out);
		unlink(path);
		build_all(&f, "000001.tgz", level);
		snprintf(cmd, sizeof(cmd), "timeout 30 gzip -t '%s'", path);
		ck_assert_int_eq(run(cmd, NULL), 0);
		ck_assert_int_eq(read_file(path, &a), 0);
		ck_assert_uint_ge(a.len, 18);
		ck_assert_int_eq(a.data[0], 0x1f);
		ck_assert_int_eq(a.data[1], 0x8b);
		ck_assert_int_eq(a.data[2], 8);        /* deflate */
		ck_assert_int_eq(a.data[3] & 0x08, 0); /* no FNAME */
		ck_assert_int_eq(a.data[3] & 0x10, 0); /* no FCOMMENT */
		ck_assert_int_eq(a.data[3] & 0x04, 0); /* no FEXTRA */
		ck_assert(all_zero(a.data + 4, 4));    /* MTIME 0 */
		/* The trailer's ISIZE: the exact tar length, two zero blocks
		 * at the end included. */
		isize = (uint32_t)a.data[a.len - 4] |
		    (uint32_t)a.data[a.len - 3] << 8 |
		    (uint32_t)a.data[a.len - 2] << 16 |
		    (uint32_t)a.data[a.len - 1] << 24;
		ck_assert_uint_eq(isize, (uint32_t)tar_length());
	}
	buf_free(&a);
	fixture_close(&f);
}
END_TEST

START_TEST(build_reproducible)
{
	struct fixture f;
	struct buf a, b, names;
	char path[256];

	buf_init(&a, 0);
	buf_init(&b, 0);
	buf_init(&names, 0);
	fixture_open(&f, 1);
	build_all(&f, "000001.tgz", 6);
	build_all(&f, "000002.tgz", 6);
	snprintf(path, sizeof(path), "%s/000001.tgz", f.out);
	ck_assert_int_eq(read_file(path, &a), 0);
	snprintf(path, sizeof(path), "%s/000002.tgz", f.out);
	ck_assert_int_eq(read_file(path, &b), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_msg(memcmp(a.data, b.data, a.len) == 0,
	    "two builds of the same input differ");
	/* No temporary file stands next to the archives. */
	list_dir(f.out, &names);
	ck_assert_str_eq((char *)names.data,
	    ".csvpack-staging\n000001.tgz\n000002.tgz\n");
	buf_free(&a);
	buf_free(&b);
	buf_free(&names);
	fixture_close(&f);
}
END_TEST

/* The archive is the same whatever the thread count (gz_stream.h), and
 * block-parallel compression costs under 1% against one-shot deflate. */
START_TEST(build_jobs_invariant)
{
	static const int jobs[] = { 2, 3, 8 };
	struct fixture f;
	struct buf one, other, tar;
	char path[256], name[32];
	z_stream z;
	uLong oneshot;
	unsigned char *packed;
	size_t i;

	buf_init(&one, 0);
	buf_init(&other, 0);
	buf_init(&tar, 0);
	fixture_open(&f, 1);
	build_jobs = 1;
	build_all(&f, "000001.tgz", 6);
	snprintf(path, sizeof(path), "%s/000001.tgz", f.out);
	ck_assert_int_eq(read_file(path, &one), 0);
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		build_jobs = jobs[i];
		snprintf(name, sizeof(name), "%06zu.tgz", i + 2);
		build_all(&f, name, 6);
		snprintf(path, sizeof(path), "%s/%s", f.out, name);
		buf_reset(&other);
		ck_assert_int_eq(read_file(path, &other), 0);
		ck_assert_uint_eq(one.len, other.len);
		ck_assert_msg(memcmp(one.data, other.data, one.len) == 0,
		    "-j %d gives another archive than -j 1", jobs[i]);
	}
	build_jobs = 1;
	/* Inflate ours, deflate it in one go, compare the sizes. */
	ck_assert_int_eq(buf_reserve(&tar, tar_length()), 0);
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = one.data;
	z.avail_in = (uInt)one.len;
	z.next_out = tar.data;
	z.avail_out = (uInt)tar_length();
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	ck_assert_uint_eq(z.total_out, tar_length());
	inflateEnd(&z);
	oneshot = compressBound(tar_length());
	packed = malloc(oneshot);
	ck_assert_ptr_nonnull(packed);
	ck_assert_int_eq(compress2(packed, &oneshot, tar.data, tar_length(), 6),
	    Z_OK);
	ck_assert_msg(one.len <= oneshot + oneshot / 100 + 18,
	    "block-parallel archive %zu bytes, one-shot deflate %lu",
	    one.len, (unsigned long)oneshot);
	free(packed);
	buf_free(&one);
	buf_free(&other);
	buf_free(&tar);
	fixture_close(&f);
}
END_TEST

START_TEST(build_empty_batch_list)
{
	/* No documents: a valid, empty archive (the packer itself skips
	 * empty batches; archive_build must still not produce garbage). */
	struct fixture f;
	char cmd[512];
	struct buf out;
	uint64_t bytes;

	buf_init(&out, 0);
	fixture_open(&f, 0);
	ck_assert_int_eq(archive_build(&f.dirs, "000001.tgz", NULL, 0, 6,
	    build_jobs, MTIME, NULL, NULL, &bytes), 0);
	snprintf(cmd, sizeof(cmd), "timeout 30 tar -tzf '%s/000001.tgz'",
	    f.out);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
	fixture_close(&f);
}
END_TEST

/* --- archive_build: failures -------------------------------------------- */

/* After a failed build: out holds exactly what it held before. */
static void
assert_out_is(struct fixture *f, const char *want)
{
	struct buf names;

	buf_init(&names, 0);
	list_dir(f->out, &names);
	ck_assert_str_eq((char *)names.data, want);
	buf_free(&names);
}

START_TEST(fail_missing_doc)
{
	static const uint64_t sids[] = { 1, 2, 77, 3 };
	struct fixture f;
	uint64_t bytes;

	fixture_open(&f, 1);
	errno = 0;
	ck_assert_int_eq(archive_build(&f.dirs, "000001.tgz", sids, 4, 6,
	    build_jobs, MTIME, NULL, NULL, &bytes), -1);
	ck_assert_int_eq(errno, ENOENT);
	assert_out_is(&f, ".csvpack-staging\n");
	fixture_close(&f);
}
END_TEST

START_TEST(fail_doc_is_directory)
{
	static const uint64_t sids[] = { 1, 6 };
	struct fixture f;
	uint64_t bytes;

	fixture_open(&f, 1);
	ck_assert_int_eq(mkdirat(f.dirs.staging_fd, "000006.xml", 0755), 0);
	ck_assert_int_eq(archive_build(&f.dirs, "000001.tgz", sids, 2, 6,
	    build_jobs, MTIME, NULL, NULL, &bytes), -1);
	assert_out_is(&f, ".csvpack-staging\n");
	fixture_close(&f);
}
END_TEST

START_TEST(fail_final_name_taken)
{
	static const uint64_t sids[] = { 1, 2 };
	struct fixture f;
	uint64_t bytes;

	fixture_open(&f, 1);
	/* A directory where the archive goes: rename(2) fails. */
	ck_assert_int_eq(mkdirat(f.dirs.out_fd, "000001.tgz", 0755), 0);
	ck_assert_int_eq(archive_build(&f.dirs, "000001.tgz", sids, 2, 6,
	    build_jobs, MTIME, NULL, NULL, &bytes), -1);
	assert_out_is(&f, ".csvpack-staging\n000001.tgz\n");
	fixture_close(&f);
}
END_TEST

START_TEST(fail_temp_name_taken)
{
	static const uint64_t sids[] = { 1, 2 };
	struct fixture f;
	uint64_t bytes;

	fixture_open(&f, 1);
	ck_assert_int_eq(mkdirat(f.dirs.out_fd, ".csvpack-000001.tgz.tmp",
	    0755), 0);
	ck_assert_int_eq(archive_build(&f.dirs, "000001.tgz", sids, 2, 6,
	    build_jobs, MTIME, NULL, NULL, &bytes), -1);
	assert_out_is(&f, ".csvpack-000001.tgz.tmp\n.csvpack-staging\n");
	fixture_close(&f);
}
END_TEST

START_TEST(fail_out_dir_removed)
{
	static const uint64_t sids[] = { 1, 2 };
	struct fixture f;
	char gone[128];
	struct archive_dirs dirs;
	uint64_t bytes;

	fixture_open(&f, 1);
	snprintf(gone, sizeof(gone), "%s/gone", f.root);
	ck_assert_int_eq(mkdir(gone, 0755), 0);
	dirs = f.dirs;
	dirs.out_path = gone;
	dirs.out_fd = open(gone, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dirs.out_fd, 0);
	ck_assert_int_eq(rmdir(gone), 0);
	ck_assert_int_eq(archive_build(&dirs, "000001.tgz", sids, 2, 6,
	    build_jobs, MTIME, NULL, NULL, &bytes), -1);
	close(dirs.out_fd);
	fixture_close(&f);
}
END_TEST

/* A file size limit below the archive's size: the write fails with EFBIG
 * (SIGXFSZ ignored), archive_build returns -1 with errno EFBIG, and
 * neither the archive nor its temporary file is left.  The limit is set
 * in a child, which reports errno as its exit status (100: success). */
START_TEST(fail_file_size_limit)
{
	static const uint64_t sids[] = { 1, 2, 3, 4, 5 };
	struct fixture f;
	struct rlimit rl = { 64 * 1024, 64 * 1024 };
	uint64_t bytes;
	pid_t pid;
	int st, rc;

	fixture_open(&f, 1);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL); /* not Check's handler */
		alarm(30);
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(101);
		/* Level 0: the 1 MiB document is stored, far past 64 KiB. */
		rc = archive_build(&f.dirs, "000001.tgz", sids, 5, 0, build_jobs, MTIME,
		    NULL, NULL, &bytes);
		_exit(rc == 0 ? 100 : errno & 0x7f);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "child died (status %d)", st);
	ck_assert_msg(WEXITSTATUS(st) == EFBIG,
	    "want errno EFBIG (%d), got %d%s", EFBIG, WEXITSTATUS(st),
	    WEXITSTATUS(st) == 100 ? " (the build succeeded)" : "");
	assert_out_is(&f, ".csvpack-staging\n");
	fixture_close(&f);
}
END_TEST

/* The commit callback: called once, when the temporary archive is
 * complete and the final name not yet taken; non-zero aborts the build. */
struct commit_probe {
	struct fixture *f;
	int calls;
	int result;
	int tmp_complete; /* the temporary archive passed gzip -t */
	int final_absent;
};

static int
commit_probe(void *arg)
{
	struct commit_probe *p = arg;
	char cmd[512];
	struct stat st;

	p->calls++;
	snprintf(cmd, sizeof(cmd), "timeout 30 gzip -t "
	    "'%s/.csvpack-000001.tgz.tmp' 2>/dev/null", p->f->out);
	p->tmp_complete = run(cmd, NULL) == 0;
	p->final_absent = fstatat(p->f->dirs.out_fd, "000001.tgz", &st, 0) < 0
	    && errno == ENOENT;
	return p->result;
}

START_TEST(commit_called_before_rename)
{
	static const uint64_t sids[] = { 1, 2, 3 };
	struct commit_probe p = { NULL, 0, 0, 0, 0 };
	struct fixture f;
	uint64_t bytes;

	fixture_open(&f, 1);
	p.f = &f;
	ck_assert_int_eq(archive_build(&f.dirs, "000001.tgz", sids, 3, 6,
	    build_jobs, MTIME, commit_probe, &p, &bytes), 0);
	ck_assert_int_eq(p.calls, 1);
	ck_assert_msg(p.tmp_complete, "the temporary archive was not complete "
	    "when the callback ran");
	ck_assert_msg(p.final_absent, "the final name stood before the "
	    "callback ran");
	assert_out_is(&f, ".csvpack-staging\n000001.tgz\n");
	fixture_close(&f);
}
END_TEST

START_TEST(commit_refused_aborts)
{
	static const uint64_t sids[] = { 1, 2, 3 };
	struct commit_probe p = { NULL, 0, -1, 0, 0 };
	struct fixture f;
	uint64_t bytes;

	fixture_open(&f, 1);
	p.f = &f;
	ck_assert_int_eq(archive_build(&f.dirs, "000001.tgz", sids, 3, 6,
	    build_jobs, MTIME, commit_probe, &p, &bytes), -1);
	ck_assert_int_eq(p.calls, 1);
	assert_out_is(&f, ".csvpack-staging\n");
	fixture_close(&f);
}
END_TEST

START_TEST(commit_not_called_on_failure)
{
	static const uint64_t sids[] = { 1, 77 };
	struct commit_probe p = { NULL, 0, 0, 0, 0 };
	struct fixture f;
	uint64_t bytes;

	fixture_open(&f, 1);
	p.f = &f;
	ck_assert_int_eq(archive_build(&f.dirs, "000001.tgz", sids, 2, 6,
	    build_jobs, MTIME, commit_probe, &p, &bytes), -1);
	ck_assert_int_eq(p.calls, 0);
	assert_out_is(&f, ".csvpack-staging\n");
	fixture_close(&f);
}
END_TEST

/* gz_stream on a descriptor that fails: the errno is kept and every
 * later call fails with it. */
START_TEST(gz_error_sticky)
{
	unsigned char data[4096];
	struct gz_stream g;
	int fd = open("/dev/full", O_WRONLY);
	size_t i;

	if (fd < 0)
		return; /* no /dev/full here: nothing to test */
	memset(data, 'x', sizeof(data));
	ck_assert_int_eq(gz_open(&g, fd, 0, 1), 0);
	/* Level 0 makes output as fast as input; 1 MiB overflows the
	 * internal buffer, so a write(2) happens and fails. */
	for (i = 0; i < 256; i++)
		if (gz_write(&g, data, sizeof(data)) < 0)
			break;
	if (i == 256)
		ck_assert_int_eq(gz_finish(&g), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_int_eq(g.error, ENOSPC);
	errno = 0;
	ck_assert_int_eq(gz_write(&g, data, 1), -1);
	ck_assert_int_eq(errno, ENOSPC);
	errno = 0;
	ck_assert_int_eq(gz_finish(&g), -1);
	ck_assert_int_eq(errno, ENOSPC);
	gz_free(&g);
	gz_free(&g); /* twice is safe */
	close(fd);
}
END_TEST

/* --- archive_scan ------------------------------------------------------- */

START_TEST(scan_highest)
{
	static const char *files[] = { "000003.tgz", "000010.tgz", "12.tgz",
	    "0000100.tgz", "p-000050.tgz", "00000x.tgz", "000200.tgz.bak",
	    ".csvpack-000011.tgz.tmp", ".csvpack-p-000051.tgz.tmp" };
	struct fixture f;
	uint64_t highest = 99;
	size_t i;

	fixture_open(&f, 0);
	ck_assert_int_eq(archive_scan(f.dirs.out_fd, f.out, NULL, &highest),
	    0);
	ck_assert_uint_eq(highest, 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		write_file_at(f.dirs.out_fd, files[i], "x", 1, 0644);
	ck_assert_int_eq(archive_scan(f.dirs.out_fd, f.out, NULL, &highest),
	    0);
	ck_assert_uint_eq(highest, 100);
	/* Temporary archives an interrupted run left are gone. */
	assert_out_is(&f, ".csvpack-staging\n000003.tgz\n00000x.tgz\n"
	    "000010.tgz\n0000100.tgz\n000200.tgz.bak\n12.tgz\np-000050.tgz\n");
	ck_assert_int_eq(archive_scan(f.dirs.out_fd, f.out, "p", &highest), 0);
	ck_assert_uint_eq(highest, 50);
	ck_assert_int_eq(archive_scan(f.dirs.out_fd, f.out, "q", &highest), 0);
	ck_assert_uint_eq(highest, 0);
	fixture_close(&f);
}
END_TEST

/* Unchecked fixtures: these run in the runner, once per test case. */
static void
sweep_setup(void)
{
	tmpdir_tag(tmp_tag, "tar");
}

static void
sweep_teardown(void)
{
	tmpdir_sweep(tmp_tag);
}

Suite *
tar_suite(void)
{
	Suite *s = suite_create("tar");
	TCase *h = tcase_create("header");
	TCase *b = tcase_create("build");
	TCase *e = tcase_create("failure");

	tcase_add_unchecked_fixture(h, sweep_setup, sweep_teardown);
	tcase_add_unchecked_fixture(b, sweep_setup, sweep_teardown);
	tcase_add_unchecked_fixture(e, sweep_setup, sweep_teardown);
	tcase_set_timeout(b, 60);
	tcase_set_timeout(e, 60);

	tcase_add_test(h, header_fields);
	tcase_add_test(h, header_checksum_many);
	tcase_add_test(h, header_name_limits);
	tcase_add_test(h, header_size_forms);
	tcase_add_test(h, header_padding);
	tcase_add_test(h, header_read_by_tools);
	tcase_add_test(h, name_forms);
	suite_add_tcase(s, h);

	tcase_add_test(b, build_tar_listing);
	tcase_add_test(b, build_content_exact);
	tcase_add_test(b, build_python_tarfile);
	tcase_add_test(b, build_gzip_container);
	tcase_add_test(b, build_reproducible);
	tcase_add_test(b, build_jobs_invariant);
	tcase_add_test(b, build_empty_batch_list);
	tcase_add_test(b, scan_highest);
	suite_add_tcase(s, b);

	tcase_add_test(e, fail_missing_doc);
	tcase_add_test(e, fail_doc_is_directory);
	tcase_add_test(e, fail_final_name_taken);
	tcase_add_test(e, fail_temp_name_taken);
	tcase_add_test(e, fail_out_dir_removed);
	tcase_add_test(e, fail_file_size_limit);
	tcase_add_test(e, commit_called_before_rename);
	tcase_add_test(e, commit_refused_aborts);
	tcase_add_test(e, commit_not_called_on_failure);
	tcase_add_test(e, gz_error_sticky);
	suite_add_tcase(s, e);
	return s;
}
