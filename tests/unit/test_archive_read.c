/*
 * test_archive_read.c - unit tests of admin/archive_read.h, the one-pass
 * reader `csvpack verify` reads archives with.
 *
 * Archives are made here, in memory: headers by packer/tar.h's
 * tar_write_header, data of pseudo-random text (which deflate compresses)
 * or bytes (which it stores), gzip'd by zlib's deflate with the gzip
 * wrapper; the reader gets a descriptor of an unlinked temporary file
 * holding them, or of a SOCK_SEQPACKET socket, whose every read(2) returns
 * one small packet, so that inflate works on pieces of 1 to 700 bytes.
 *
 * Good archives read back exactly (names, sizes, mode, mtime, index and
 * every byte), for gzip levels 0, 1, 6 and 9, in three ways: every
 * member's data read through (in several pieces when a member is larger
 * than the reader's window), none read (archive_next skips it), only the
 * first piece of some; bytes in and out are the file's and the tar
 * stream's lengths.  So do 300 members of sizes around the block size
 * from a file, 120 from small packets, empty members, an archive of no
 * member, a 100-byte name, a base-256 size, a mode with leading spaces,
 * GNU tar's padding to 10240 bytes, a gzip header with a name, and a
 * header across the end of the reader's window (a pipe written in two
 * goes puts it there; member 1's size is chosen from where the first
 * part ends).
 *
 * Damage must give -1, in all three ways of reading, with a problem that
 * says what (checked by its key words, or whole), holds no newline, is
 * not a failure of ours, and stays: every later call gives -1.  The file
 * cut short every 997 bytes and at every offset in the gzip header and
 * trailer ("cut short (N bytes)"); a byte flipped every 211 bytes of the
 * deflate data; a flipped byte of stored data (the CRC-32 then), of the
 * trailer's CRC-32 and of its ISIZE; trailing garbage and a second gzip
 * member; a zlib stream and a bare tar; every header field csvpack fixes
 * (magic, version, mode, typeflag, name, prefix, uid, gid, owner names,
 * size, mtime) changed with the checksum recomputed, and a header changed
 * without; a tar stream that ends inside a header, data or padding, or
 * without the two end blocks, or after one; a lone zero block; non-zero
 * padding and non-zero bytes after the end blocks.
 *
 * A descriptor open only for writing makes read(2) fail (EBADF): that is
 * a failure of ours (archive_failed_sys, FAIL_SYS, said on stderr).  One
 * reader reads good and bad archives in turn: nothing carries over.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

/* REQUIRE and REQUIRE_EQ name where a loop is (where, below). */
#define REQUIRE_WHERE where
#include "suites.h"
#include "archive_read.h"
#include "buf.h"
#include "capture.h"
#include "check_helpers.h"
#include "fail.h"
#include "tar.h"
#include "tmpdir.h"

#define MTIME INT64_C(1700000000)
#define MAX_MEMBERS 320
#define WINDOW (256 * 1024)   /* archive_read.c's, to know pieces come */

#define REQUIRE_HAS(text, part)						\
	REQUIRE_MSG(strstr((text), (part)) != NULL,			\
	    "%s%sexpected \"%s\" in: %s", where, *where ? ": " : "",	\
	    (part), (text))

static char where[256];
static char tmp_tag[TMPDIR_TAG_LEN];

/* An archive made here: its tar stream, the offset of each member's
 * header in it, and the gzip file. */
struct arch {
	struct buf tar, gz;
	unsigned n;
	char name[MAX_MEMBERS][101];
	size_t hdr[MAX_MEMBERS];
	size_t size[MAX_MEMBERS];
};

enum how { READ_ALL, SKIP_ALL, READ_SOME };

static const char *how_name[] = { "read all", "skip all", "read some" };

/* --- making archives ---------------------------------------------------- */

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

enum kind { TEXT, NOISE, ROWS };

/* TEXT deflate halves (16 letters, drawn at random), NOISE it stores,
 * ROWS (numbered lines) it shrinks ten times. */
static void
make_bytes(unsigned char *p, size_t n, uint64_t seed, enum kind kind)
{
	uint64_t s = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
	char line[64];
	size_t i, len = 0, at = 0;
	unsigned row = 0;

	for (i = 0; i < n; i++) {
		if (kind == NOISE) {
			p[i] = (unsigned char)xorshift(&s);
		} else if (kind == TEXT) {
			p[i] = (unsigned char)"<>/abcdefxyz 01\n"[xorshift(&s) % 16];
		} else {
			if (at == len) {
				len = (size_t)snprintf(line, sizeof(line),
				    "<row line=\"%u\"><x>ab</x></row>\n", ++row);
				at = 0;
			}
			p[i] = (unsigned char)line[at++];
		}
	}
}

static void
arch_init(struct arch *a)
{
	memset(a, 0, sizeof(*a));
	buf_init(&a->tar, 0);
	buf_init(&a->gz, 0);
}

static void
arch_free(struct arch *a)
{
	buf_free(&a->tar);
	buf_free(&a->gz);
}

static void
append(struct buf *b, const void *p, size_t n)
{
	REQUIRE_EQ(buf_append(b, p, n), 0);
}

static void
append_zeros(struct buf *b, size_t n)
{
	REQUIRE_EQ(buf_reserve(b, n), 0);
	memset(b->data + b->len, 0, n);
	b->len += n;
}

/* A member: its header, size bytes made from seed, zero padding. */
static void
add_member(struct arch *a, const char *name, size_t size, uint64_t seed,
    enum kind kind)
{
	unsigned char block[TAR_BLOCK];

	REQUIRE(a->n < MAX_MEMBERS);
	REQUIRE_EQ(tar_write_header(block, name, size, MTIME), 0);
	snprintf(a->name[a->n], sizeof(a->name[0]), "%s", name);
	a->hdr[a->n] = a->tar.len;
	a->size[a->n] = size;
	a->n++;
	append(&a->tar, block, TAR_BLOCK);
	REQUIRE_EQ(buf_reserve(&a->tar, size), 0);
	make_bytes(a->tar.data + a->tar.len, size, seed, kind);
	a->tar.len += size;
	append_zeros(&a->tar, tar_padding(size));
}

/* The two zero blocks that end an archive. */
static void
add_end(struct arch *a)
{
	append_zeros(&a->tar, 2 * TAR_BLOCK);
}

/* p[0, n) gzip'd at level into out; head (or NULL) for the header. */
static void
gzip_into(const void *p, size_t n, int level, gz_header *head,
    struct buf *out)
{
	z_stream z;
	uLong bound;

	memset(&z, 0, sizeof(z));
	REQUIRE_EQ(deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	if (head)
		REQUIRE_EQ(deflateSetHeader(&z, head), Z_OK);
	bound = deflateBound(&z, (uLong)n) + 64;
	buf_reset(out);
	REQUIRE_EQ(buf_reserve(out, bound), 0);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = out->data;
	z.avail_out = (uInt)bound;
	REQUIRE_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
	out->len = z.total_out;
	deflateEnd(&z);
}

static void
gzip_tar(struct arch *a, int level)
{
	gzip_into(a->tar.data, a->tar.len, level, NULL, &a->gz);
}

/* Three members: text of text_size, 511 bytes, noise of noise_size. */
static void
three_members(struct arch *a, size_t text_size, size_t noise_size,
    int level)
{
	arch_init(a);
	add_member(a, "000001.xml", text_size, 1, TEXT);
	add_member(a, "000002.xml", 511, 2, TEXT);
	add_member(a, "000003.xml", noise_size, 3, NOISE);
	add_end(a);
	gzip_tar(a, level);
}

/* Members of sizes around the block size and a few larger, some empty. */
static void
many_members(struct arch *a, unsigned n)
{
	static const size_t fixed[] = { 0, 1, 511, 512, 513, 1024, 0, 5000 };
	uint64_t s = 77;
	char name[32];
	size_t size;
	unsigned i;

	arch_init(a);
	for (i = 0; i < n; i++) {
		size = i < 8 ? fixed[i] : (size_t)(xorshift(&s) % 3000);
		if (i % 37 == 36)
			size = 70000;
		snprintf(name, sizeof(name), "%06u.xml", i + 1);
		add_member(a, name, size, i, i % 5 == 0 ? NOISE : TEXT);
	}
	add_end(a);
	gzip_tar(a, 6);
}

/* Writes the header checksum anew, as packer/tar.c does. */
static void
rechecksum(unsigned char *b)
{
	char digits[8];
	unsigned sum = 0;
	size_t i;

	memset(b + 148, ' ', 8);
	for (i = 0; i < TAR_BLOCK; i++)
		sum += b[i];
	snprintf(digits, sizeof(digits), "%06o", sum);
	memcpy(b + 148, digits, 7);
	b[155] = ' ';
}

/* --- reading ------------------------------------------------------------ */

/* A descriptor reading p[0, n): an unlinked temporary file. */
static int
mem_fd(const void *p, size_t n)
{
	char path[128];
	int fd = tmpdir_file(path, sizeof(path), tmp_tag);

	REQUIRE_MSG(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	REQUIRE_MSG(n == 0 || write(fd, p, n) == (ssize_t)n, "write: %s",
	    strerror(errno));
	REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

static struct archive_reader *
reader(void)
{
	struct archive_reader *r = archive_reader_new();

	REQUIRE(r != NULL);
	return r;
}

/* Reads from fd to the archive's end or its first problem, each member's
 * data as how says.  Returns the last result: 0 or -1. */
static int
drain(struct archive_reader *r, int fd, enum how how)
{
	struct archive_member m;
	const void *p;
	ssize_t n = 0;
	int rc;

	REQUIRE_EQ(archive_open(r, fd, "t.tgz"), 0);
	while ((rc = archive_next(r, &m)) == 1) {
		if (how == SKIP_ALL)
			continue;
		while ((n = archive_read(r, &p)) > 0)
			if (how == READ_SOME)
				break;
		if (n < 0)
			return -1;
	}
	return rc;
}

/* p[0, n) is damaged: read in every way, it gives -1 and a problem that
 * has want in it (NULL: that starts with "gzip: " or "tar: "), holds no
 * newline, is no failure of ours, and stays. */
static void
expect_problem(const void *p, size_t n, const char *want)
{
	struct archive_reader *r = reader();
	char ctx[160];
	struct archive_member m;
	const char *text;
	const void *d;
	int fd = mem_fd(p, n);
	int how;

	snprintf(ctx, sizeof(ctx), "%.150s", where);
	for (how = READ_ALL; how <= READ_SOME; how++) {
		snprintf(where, sizeof(where), "%s%s%s", ctx, *ctx ? ", " : "",
		    how_name[how]);
		REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
		REQUIRE_EQ(drain(r, fd, (enum how)how), -1);
		REQUIRE_EQ(archive_failed_sys(r), 0);
		text = archive_problem(r);
		if (want)
			REQUIRE_HAS(text, want);
		else
			REQUIRE_MSG(strncmp(text, "gzip: ", 6) == 0 ||
			    strncmp(text, "tar: ", 5) == 0, "%s: problem: %s",
			    where, text);
		REQUIRE_MSG(strchr(text, '\n') == NULL, "%s: a newline in: %s",
		    where, text);
		REQUIRE_EQ(archive_next(r, &m), -1);
		REQUIRE_EQ(archive_read(r, &d), -1);
		REQUIRE_EQ(archive_failed_sys(r), 0);
	}
	snprintf(where, sizeof(where), "%s", ctx);
	close(fd);
	archive_reader_free(r);
}

static void
expect_problem_in(const struct buf *b, const char *want)
{
	expect_problem(b->data, b->len, want);
}

/* The archive a, from fd, reads back exactly, its data read as how says.
 * Returns how many pieces the data came in. */
static unsigned
expect_members(struct archive_reader *r, int fd, const struct arch *a,
    enum how how)
{
	struct archive_member m;
	const unsigned char *want;
	const void *p;
	unsigned i, pieces = 0;
	size_t got;
	ssize_t n = 0;

	REQUIRE_EQ(archive_open(r, fd, "t.tgz"), 0);
	for (i = 0; i < a->n; i++) {
		REQUIRE_EQ(archive_next(r, &m), 1);
		REQUIRE_MSG(strcmp(m.name, a->name[i]) == 0, "%s: member %u is "
		    "%s, not %s", where, i + 1, m.name, a->name[i]);
		REQUIRE_EQ(m.size, a->size[i]);
		REQUIRE_EQ(m.mode, 0644);
		REQUIRE_EQ(m.mtime, MTIME);
		REQUIRE_EQ(m.index, i + 1);
		if (how == SKIP_ALL)
			continue;
		want = a->tar.data + a->hdr[i] + TAR_BLOCK;
		for (got = 0; (n = archive_read(r, &p)) > 0; got += (size_t)n) {
			REQUIRE((size_t)n <= a->size[i] - got);
			REQUIRE(memcmp(p, want + got, (size_t)n) == 0);
			pieces++;
			if (how == READ_SOME && i % 2 == 0)
				break;
		}
		if (how == READ_SOME && i % 2 == 0 && a->size[i] > 0)
			continue;
		REQUIRE_EQ(n, 0);
		REQUIRE_EQ(got, a->size[i]);
		REQUIRE_EQ(archive_read(r, &p), 0);
	}
	REQUIRE_EQ(archive_next(r, &m), 0);
	REQUIRE_EQ(archive_next(r, &m), 0);
	REQUIRE_EQ(archive_read(r, &p), 0);
	REQUIRE_EQ(archive_bytes_in(r), a->gz.len);
	REQUIRE_EQ(archive_bytes_out(r), a->tar.len);
	return pieces;
}

/* a reads back well in all three ways, from a file. */
static void
expect_clean(struct archive_reader *r, const struct arch *a)
{
	int fd = mem_fd(a->gz.data, a->gz.len);
	int how;

	for (how = READ_ALL; how <= READ_SOME; how++) {
		snprintf(where, sizeof(where), "%s", how_name[how]);
		REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
		expect_members(r, fd, a, (enum how)how);
	}
	where[0] = '\0';
	close(fd);
}

/* --- good archives -------------------------------------------------------- */

START_TEST(clean_read_back)
{
	static const int levels[] = { 0, 1, 6, 9 };
	struct archive_reader *r = reader();
	struct arch a;
	unsigned pieces;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		three_members(&a, 700000, 300000, levels[i]);
		expect_clean(r, &a);
		/* Members larger than the window come in pieces. */
		snprintf(where, sizeof(where), "level %d", levels[i]);
		fd = mem_fd(a.gz.data, a.gz.len);
		pieces = expect_members(r, fd, &a, READ_ALL);
		REQUIRE_MSG(pieces >= 3 + 700000 / WINDOW, "%s: %u pieces",
		    where, pieces);
		close(fd);
		arch_free(&a);
	}
	archive_reader_free(r);
}
END_TEST

START_TEST(clean_many_members)
{
	struct archive_reader *r = reader();
	struct arch a;

	many_members(&a, 300);
	expect_clean(r, &a);
	arch_free(&a);
	archive_reader_free(r);
}
END_TEST

/* The gzip file from a SOCK_SEQPACKET socket: one packet of 1 to 700
 * bytes per read(2), sent by a child. */
START_TEST(clean_small_reads)
{
	struct archive_reader *r = reader();
	struct arch a;
	uint64_t s = 5;
	size_t off, n;
	int sv[2], st;
	pid_t pid;

	many_members(&a, 120);
	REQUIRE_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL); /* not Check's handler */
		alarm(30);
		close(sv[0]);
		for (off = 0; off < a.gz.len; off += n) {
			n = 1 + (size_t)(xorshift(&s) % 700);
			if (n > a.gz.len - off)
				n = a.gz.len - off;
			if (write(sv[1], a.gz.data + off, n) != (ssize_t)n)
				_exit(1);
		}
		_exit(0);
	}
	close(sv[1]);
	snprintf(where, sizeof(where), "small reads");
	expect_members(r, sv[0], &a, READ_ALL);
	close(sv[0]);
	REQUIRE_EQ(waitpid(pid, &st, 0), pid);
	REQUIRE_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer: %d", st);
	arch_free(&a);
	archive_reader_free(r);
}
END_TEST

/* Member 1: size1 bytes of rows; member 2: 100 bytes; the end. */
static void
straddle_arch(struct arch *a, size_t size1)
{
	arch_init(a);
	add_member(a, "000001.xml", size1, 1, ROWS);
	add_member(a, "000002.xml", 100, 2, TEXT);
	add_end(a);
	gzip_tar(a, 6);
}

static void
write_all(int fd, const void *p, size_t n)
{
	REQUIRE_MSG(write(fd, p, n) == (ssize_t)n, "write %zu bytes: %s", n,
	    strerror(errno));
}

/* Reads a from a pipe written in two goes: the first STRADDLE_PREFIX
 * bytes, then (once member 1's first piece was taken) the rest, at once.
 * Returns the length of that first piece. */
#define STRADDLE_PREFIX 1500
static size_t
read_in_two_goes(struct archive_reader *r, const struct arch *a)
{
	struct archive_member m;
	const unsigned char *want = a->tar.data + TAR_BLOCK;
	const void *d;
	size_t first, got;
	ssize_t n;
	int p[2];

	REQUIRE_EQ(pipe(p), 0);
	/* Never blocks: a write that does not fit fails the test instead. */
	REQUIRE_EQ(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	write_all(p[1], a->gz.data, STRADDLE_PREFIX);
	REQUIRE_EQ(archive_open(r, p[0], "p.tgz"), 0);
	REQUIRE_EQ(archive_next(r, &m), 1);
	REQUIRE((n = archive_read(r, &d)) > 0);
	REQUIRE((size_t)n < a->size[0]);
	REQUIRE(memcmp(d, want, (size_t)n) == 0);
	first = got = (size_t)n;
	write_all(p[1], a->gz.data + STRADDLE_PREFIX,
	    a->gz.len - STRADDLE_PREFIX);
	close(p[1]);
	for (; (n = archive_read(r, &d)) > 0; got += (size_t)n)
		REQUIRE(memcmp(d, want + got, (size_t)n) == 0);
	REQUIRE_EQ(n, 0);
	REQUIRE_EQ(got, a->size[0]);
	REQUIRE_EQ(archive_next(r, &m), 1);
	REQUIRE(strcmp(m.name, "000002.xml") == 0);
	REQUIRE_EQ(m.size, 100);
	REQUIRE_EQ(archive_read(r, &d), 100);
	REQUIRE(memcmp(d, a->tar.data + a->hdr[1] + TAR_BLOCK, 100) == 0);
	REQUIRE_EQ(archive_next(r, &m), 0);
	REQUIRE_EQ(archive_bytes_out(r), a->tar.len);
	close(p[0]);
	return first;
}

/* A header across the window's end.  The first bytes of the file alone
 * inflate to x bytes, all taken, so the window starts over at tar byte
 * x; the rest fills it to x + WINDOW.  Member 1's size puts member 2's
 * header across that point: the part of it in the window must move to
 * the window's start before the rest is inflated after it. */
START_TEST(header_across_window_end)
{
	struct archive_reader *r = reader();
	struct arch a;
	size_t x, hdr2;

	straddle_arch(&a, 400 * 1024);
	x = TAR_BLOCK + read_in_two_goes(r, &a);
	REQUIRE_MSG(x % TAR_BLOCK != 0, "x = %zu: choose another prefix", x);
	hdr2 = (x + WINDOW) / TAR_BLOCK * TAR_BLOCK;
	arch_free(&a);
	straddle_arch(&a, hdr2 - TAR_BLOCK);
	REQUIRE_EQ(a.hdr[1], hdr2);
	/* The same first piece: member 1's start compresses the same. */
	REQUIRE_EQ(TAR_BLOCK + read_in_two_goes(r, &a), x);
	arch_free(&a);
	archive_reader_free(r);
}
END_TEST

START_TEST(clean_empty_members)
{
	struct archive_reader *r = reader();
	struct arch a;

	arch_init(&a);
	add_member(&a, "000001.xml", 0, 1, TEXT);
	add_member(&a, "000002.xml", 100, 2, TEXT);
	add_member(&a, "000003.xml", 0, 3, TEXT);
	add_end(&a);
	gzip_tar(&a, 6);
	expect_clean(r, &a);
	arch_free(&a);

	/* No member at all: the end blocks alone. */
	arch_init(&a);
	add_end(&a);
	gzip_tar(&a, 6);
	expect_clean(r, &a);
	arch_free(&a);
	archive_reader_free(r);
}
END_TEST

/* What packer/tar.c may write and other tools do: a 100-byte name (no
 * NUL), a size in base-256, a mode with leading spaces (old tars), GNU
 * tar's padding to a 10240-byte record, a gzip header with a name and an
 * mtime. */
START_TEST(clean_other_forms)
{
	struct archive_reader *r = reader();
	unsigned char *b;
	gz_header head;
	struct arch a;
	char name[101];
	int i;

	memset(name, 'n', 100);
	name[100] = '\0';
	arch_init(&a);
	add_member(&a, name, 10, 1, TEXT);
	add_member(&a, "000002.xml", 700, 2, TEXT);
	add_end(&a);
	/* 700 as base-256: 0x80, then big-endian. */
	b = a.tar.data + a.hdr[1];
	memset(b + 124, 0, 12);
	b[124] = 0x80;
	b[134] = 700 >> 8;
	b[135] = 700 & 0xFF;
	/* The mode as old tars write it: leading spaces. */
	memcpy(b + 100, "   644 ", 8);
	rechecksum(b);
	append_zeros(&a.tar, 10240 - a.tar.len % 10240);
	gzip_tar(&a, 6);
	expect_clean(r, &a);

	memset(&head, 0, sizeof(head));
	head.name = (Bytef *)"x.tar";
	head.time = 1700000000;
	head.os = 3;
	gzip_into(a.tar.data, a.tar.len, 6, &head, &a.gz);
	i = a.gz.data[3];
	REQUIRE_EQ(i & 0x08, 0x08); /* FNAME: the header is not plain */
	expect_clean(r, &a);
	arch_free(&a);
	archive_reader_free(r);
}
END_TEST

/* --- the gzip layer ----------------------------------------------------- */

/* The next offset to cut at: every one in the header and trailer, every
 * 997th between. */
static size_t
next_cut(size_t cut, size_t len)
{
	if (cut < 20 || cut + 20 >= len)
		return cut + 1;
	return cut + 997 < len - 20 ? cut + 997 : len - 20;
}

START_TEST(cut_short_everywhere)
{
	struct arch a;
	char want[96];
	size_t cut;

	three_members(&a, 120000, 40000, 6);
	for (cut = 0; cut < a.gz.len; cut = next_cut(cut, a.gz.len)) {
		snprintf(where, sizeof(where), "cut at %zu of %zu", cut,
		    a.gz.len);
		snprintf(want, sizeof(want), "gzip: the stream is cut short "
		    "(%zu byte%s)", cut, cut == 1 ? "" : "s");
		expect_problem(a.gz.data, cut, want);
	}
	arch_free(&a);
}
END_TEST

START_TEST(empty_file)
{
	expect_problem("", 0, "gzip: the stream is cut short (0 bytes)");
}
END_TEST

START_TEST(flip_deflate_data)
{
	struct arch a;
	size_t i;

	three_members(&a, 120000, 40000, 6);
	for (i = 10; i < a.gz.len - 8; i += 211) {
		snprintf(where, sizeof(where), "byte %zu of %zu flipped", i,
		    a.gz.len);
		a.gz.data[i] ^= 0xFF;
		expect_problem_in(&a.gz, NULL);
		a.gz.data[i] ^= 0xFF;
	}
	arch_free(&a);
}
END_TEST

/* Level 0 stores the data as it is: a byte flipped in it is seen by
 * nothing but the CRC-32 at the end. */
START_TEST(flip_stored_data)
{
	static const char mark[] = "MARK-a1b2c3d4e5";
	struct arch a;
	unsigned char *p;
	size_t i;

	arch_init(&a);
	add_member(&a, "000001.xml", 5000, 1, NOISE);
	memcpy(a.tar.data + a.hdr[0] + TAR_BLOCK + 3000, mark, strlen(mark));
	add_member(&a, "000002.xml", 3000, 2, TEXT);
	add_end(&a);
	gzip_tar(&a, 0);
	for (p = NULL, i = 0; i + strlen(mark) <= a.gz.len; i++)
		if (memcmp(a.gz.data + i, mark, strlen(mark)) == 0)
			p = a.gz.data + i;
	REQUIRE(p != NULL);
	p[7] ^= 0x01;
	expect_problem_in(&a.gz, "gzip: the CRC-32 in the trailer does not "
	    "match the data (incorrect data check)");
	arch_free(&a);
}
END_TEST

START_TEST(flip_trailer)
{
	struct arch a;
	size_t i;

	three_members(&a, 20000, 5000, 6);
	for (i = 1; i <= 8; i++) {
		snprintf(where, sizeof(where), "trailer byte %zu flipped",
		    8 - i);
		a.gz.data[a.gz.len - i] ^= 0x10;
		expect_problem_in(&a.gz, i > 4 ?
		    "gzip: the CRC-32 in the trailer does not match the data "
		    "(incorrect data check)" :
		    "gzip: the length (ISIZE) in the trailer does not match "
		    "the data (incorrect length check)");
		a.gz.data[a.gz.len - i] ^= 0x10;
	}
	arch_free(&a);
}
END_TEST

START_TEST(trailing_garbage)
{
	struct arch a;

	three_members(&a, 20000, 5000, 6);
	append(&a.gz, "junk\n", 5);
	expect_problem_in(&a.gz,
	    "gzip: 5 bytes after the end of the gzip stream");
	a.gz.len -= 5;
	append(&a.gz, "", 1); /* a lone zero byte counts too */
	expect_problem_in(&a.gz,
	    "gzip: 1 byte after the end of the gzip stream");
	arch_free(&a);
}
END_TEST

/* Two gzip members laid end to end: gunzip reads both; an archive is
 * one. */
START_TEST(second_gzip_member)
{
	struct arch a, b;
	char want[128];

	three_members(&a, 20000, 5000, 6);
	three_members(&b, 300000, 200000, 6);
	append(&a.gz, b.gz.data, b.gz.len);
	snprintf(want, sizeof(want), "gzip: %zu bytes after the end of the "
	    "gzip stream (another gzip member)", b.gz.len);
	expect_problem_in(&a.gz, want);
	arch_free(&a);
	arch_free(&b);
}
END_TEST

START_TEST(not_gzip)
{
	struct arch a;
	uLongf n;

	three_members(&a, 20000, 5000, 6);
	/* A bare tar. */
	expect_problem_in(&a.tar,
	    "gzip: not a gzip header (incorrect header check)");
	/* A zlib stream of it. */
	n = compressBound(a.tar.len);
	buf_reset(&a.gz);
	REQUIRE_EQ(buf_reserve(&a.gz, n), 0);
	REQUIRE_EQ(compress2(a.gz.data, &n, a.tar.data, a.tar.len, 6), Z_OK);
	a.gz.len = n;
	expect_problem_in(&a.gz, "gzip: not a gzip header");
	/* A gzip header of another method. */
	gzip_tar(&a, 6);
	a.gz.data[2] = 7;
	expect_problem_in(&a.gz, "gzip: not a gzip header (unknown "
	    "compression method)");
	arch_free(&a);
}
END_TEST

/* --- the tar layer ------------------------------------------------------ */

struct header_case {
	const char *what;
	size_t off;          /* where in the header of member 2 */
	const char *bytes;   /* written there */
	size_t n;
	const char *want;    /* in the problem */
};

static const struct header_case header_cases[] = {
	{ "GNU magic", 257, "ustar  ", 8, "): no ustar magic" },
	{ "version", 263, "0\0", 2, "): no ustar magic" },
	{ "no magic", 257, "\0\0\0\0\0\0", 6, "): no ustar magic" },
	{ "mode 0755", 100, "0000755", 7, "): mode 0755, not 0644" },
	{ "mode 0100644", 100, "0100644", 7, "): mode 0100644, not 0644" },
	{ "mode garbage", 100, "00006x4", 7,
	    "): the mode field is not a number" },
	{ "directory", 156, "5", 1, "): type \"5\", not a regular file" },
	{ "symlink", 156, "2", 1, "): type \"2\", not a regular file" },
	{ "old regular file", 156, "\0", 1,
	    "): type \"\\x00\", not a regular file" },
	{ "slash", 0, "dir/x.xml", 10,
	    " (\"dir/x.xml\"): the name has a '/'" },
	{ "control", 3, "\n", 1,
	    " (\"000\\x0a02.xml\"): the name has a control character" },
	{ "empty name", 0, "\0", 1,
	    "tar: header of member 2: the name is empty" },
	{ "dot dot", 0, "..", 3, " (\"..\"): the name is not a file name" },
	{ "prefix", 345, "dir", 3, "): the prefix field is not empty" },
	{ "uid", 108, "0001750", 7, "): owner 1000/0, not 0/0" },
	{ "gid", 116, "0000001", 7, "): owner 0/1, not 0/0" },
	{ "uid garbage", 108, "x", 1,
	    "): the uid or gid field is not a number" },
	{ "uname", 265, "root", 4, "): owner names are set" },
	{ "gname", 297, "wheel", 5, "): owner names are set" },
	{ "size garbage", 124, "000000007x7", 11,
	    "): the size field is not a number" },
	{ "size empty", 124, "\0\0\0\0\0\0\0\0\0\0\0", 11,
	    "): the size field is not a number" },
	{ "size negative", 124, "\xff", 1,
	    "): the size field is not a number" },
	{ "size over 64 bits", 124, "\x80\x01", 2,
	    "): the size field is not a number" },
	{ "mtime garbage", 136, "abc", 3,
	    "): the mtime field is not a number" },
};

/* Every field csvpack fixes, changed in member 2's header, the checksum
 * recomputed: the problem names member 2 and the field. */
START_TEST(header_fields_checked)
{
	const struct header_case *c;
	unsigned char *b;
	struct arch a;
	size_t i;

	three_members(&a, 3000, 2000, 6);
	for (i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		c = &header_cases[i];
		snprintf(where, sizeof(where), "header case \"%s\"", c->what);
		b = a.tar.data + a.hdr[1];
		REQUIRE_EQ(tar_write_header(b, "000002.xml", 511, MTIME), 0);
		memcpy(b + c->off, c->bytes, c->n);
		rechecksum(b);
		gzip_tar(&a, 6);
		expect_problem_in(&a.gz, "tar: header of member 2");
		expect_problem_in(&a.gz, c->want);
	}
	arch_free(&a);
}
END_TEST

/* A header changed and the checksum left as it was. */
START_TEST(header_checksum)
{
	static const size_t offsets[] = { 0, 99, 100, 130, 140, 148, 156, 263,
	    345, 511 };
	struct arch a;
	size_t i;

	three_members(&a, 3000, 2000, 6);
	for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		snprintf(where, sizeof(where), "header byte %zu changed",
		    offsets[i]);
		a.tar.data[a.hdr[1] + offsets[i]] ^= 0x01;
		gzip_tar(&a, 6);
		expect_problem_in(&a.gz,
		    "tar: header of member 2: checksum does not match");
		a.tar.data[a.hdr[1] + offsets[i]] ^= 0x01;
	}
	/* A checksum field that is not a number. */
	memcpy(a.tar.data + a.hdr[1] + 148, "x12345", 6);
	gzip_tar(&a, 6);
	expect_problem_in(&a.gz,
	    "tar: header of member 2: checksum does not match");
	REQUIRE_EQ(tar_write_header(a.tar.data + a.hdr[1], "000002.xml", 511,
	    MTIME), 0);
	/* Member 1, at the very start. */
	where[0] = '\0';
	a.tar.data[a.hdr[0] + 137] ^= 0x02;
	gzip_tar(&a, 6);
	expect_problem_in(&a.gz,
	    "tar: header of member 1: checksum does not match");
	arch_free(&a);
}
END_TEST

/* The tar stream cut, and gzip'd well: the tar layer sees it. */
START_TEST(tar_cut_short)
{
	struct arch a;
	size_t len;
	char want[160];

	three_members(&a, 3000, 2000, 6);
	len = a.tar.len;

	a.tar.len = a.hdr[1] + 100;
	gzip_tar(&a, 6);
	snprintf(want, sizeof(want), "tar: the stream ends inside the header "
	    "of member 2 (tar byte %zu, 100 of 512 bytes)", a.hdr[1]);
	expect_problem_in(&a.gz, want);

	a.tar.len = a.hdr[2] + TAR_BLOCK + 1000;
	gzip_tar(&a, 6);
	expect_problem_in(&a.gz, "tar: the stream ends inside the data of "
	    "member 3 (\"000003.xml\"): 1000 of 2000 bytes");

	a.tar.len = a.hdr[2] + TAR_BLOCK + 2000 + 5;
	gzip_tar(&a, 6);
	expect_problem_in(&a.gz, "tar: the stream ends inside the padding of "
	    "member 3 (\"000003.xml\")");

	/* No end blocks, one, and half of the second. */
	a.tar.len = len - 2 * TAR_BLOCK;
	gzip_tar(&a, 6);
	snprintf(want, sizeof(want), "tar: the stream ends without the two "
	    "zero blocks that end an archive (after 3 members, tar byte %zu)",
	    a.tar.len);
	expect_problem_in(&a.gz, want);
	a.tar.len = len - TAR_BLOCK;
	gzip_tar(&a, 6);
	snprintf(want, sizeof(want), "tar: the stream ends after one zero "
	    "block (tar byte %zu), without the second", len - 2 * TAR_BLOCK);
	expect_problem_in(&a.gz, want);
	a.tar.len = len - TAR_BLOCK / 2;
	gzip_tar(&a, 6);
	expect_problem_in(&a.gz, want);
	arch_free(&a);
}
END_TEST

START_TEST(tar_lone_zero_block)
{
	struct arch a;
	char want[160];
	size_t at;

	arch_init(&a);
	add_member(&a, "000001.xml", 700, 1, TEXT);
	at = a.tar.len;
	append_zeros(&a.tar, TAR_BLOCK);
	add_member(&a, "000002.xml", 700, 2, TEXT);
	add_end(&a);
	gzip_tar(&a, 6);
	snprintf(want, sizeof(want), "tar: a lone zero block at tar byte %zu "
	    "where the header of member 2 should be", at);
	expect_problem_in(&a.gz, want);
	arch_free(&a);
}
END_TEST

START_TEST(tar_nonzero_padding)
{
	struct arch a;
	char want[160];
	size_t at;

	three_members(&a, 3000, 2000, 6);
	/* Member 2 holds 511 bytes: one byte of padding. */
	at = a.hdr[1] + TAR_BLOCK + 511;
	a.tar.data[at] = 'x';
	gzip_tar(&a, 6);
	snprintf(want, sizeof(want), "tar: member 2 (\"000002.xml\"): non-zero "
	    "bytes in the padding after its data (tar byte %zu)", at);
	expect_problem_in(&a.gz, want);
	arch_free(&a);
}
END_TEST

START_TEST(tar_nonzero_after_end)
{
	struct arch a;
	char want[160];
	size_t at;

	three_members(&a, 3000, 2000, 6);
	append_zeros(&a.tar, 10 * TAR_BLOCK);
	at = a.tar.len - 3 * TAR_BLOCK + 100;
	a.tar.data[at] = 1;
	gzip_tar(&a, 6);
	snprintf(want, sizeof(want), "tar: non-zero bytes after the end "
	    "blocks (tar byte %zu)", at);
	expect_problem_in(&a.gz, want);
	/* Right after the end blocks. */
	a.tar.data[at] = 0;
	at = a.hdr[2] + TAR_BLOCK + 2048 + 2 * TAR_BLOCK;
	a.tar.data[at] = 0x80;
	gzip_tar(&a, 6);
	snprintf(want, sizeof(want), "tar: non-zero bytes after the end "
	    "blocks (tar byte %zu)", at);
	expect_problem_in(&a.gz, want);
	arch_free(&a);
}
END_TEST

/* --- failures of ours, and reuse ---------------------------------------- */

/* read(2) fails (EBADF, the descriptor is open for writing only): said
 * on stderr with the path as it was given, FAIL_SYS, archive_failed_sys. */
START_TEST(read_fails)
{
	struct archive_reader *r = reader();
	struct archive_member m;
	const void *d;
	char path[] = "w.tgz", *text;
	struct cap c;
	int fd = open("/dev/null", O_WRONLY);

	REQUIRE(fd >= 0);
	fail_reset();
	REQUIRE_EQ(archive_open(r, fd, path), 0);
	memcpy(path, "zzzzz", 5); /* the reader keeps its own copy */
	cap_begin(&c, STDERR_FILENO);
	REQUIRE_EQ(archive_next(r, &m), -1);
	text = cap_end(&c);
	REQUIRE_EQ(archive_failed_sys(r), 1);
	REQUIRE_EQ(fail_kind(), FAIL_SYS);
	assert_has(text, "w.tgz: read: ");
	assert_has(text, strerror(EBADF));
	REQUIRE_EQ(archive_next(r, &m), -1);
	REQUIRE_EQ(archive_read(r, &d), -1);
	REQUIRE_EQ(archive_failed_sys(r), 1);
	free(text);
	close(fd);
	fail_reset();
	archive_reader_free(r);
}
END_TEST

/* One reader, good and bad archives in turn; and none opened yet. */
START_TEST(reader_reused)
{
	struct archive_reader *r = reader();
	struct archive_member m;
	struct arch a;
	int fd, i;

	REQUIRE_EQ(archive_next(r, &m), -1);
	three_members(&a, 300000, 100000, 6);
	for (i = 0; i < 3; i++) {
		snprintf(where, sizeof(where), "round %d", i);
		fd = mem_fd(a.gz.data, a.gz.len - 100);
		REQUIRE_EQ(drain(r, fd, READ_SOME), -1);
		REQUIRE_HAS(archive_problem(r), "cut short");
		close(fd);
		fd = mem_fd(a.gz.data, a.gz.len);
		expect_members(r, fd, &a, READ_ALL);
		REQUIRE_EQ(archive_problem(r)[0], '\0');
		close(fd);
	}
	where[0] = '\0';
	arch_free(&a);
	archive_reader_free(r);
	archive_reader_free(NULL);
}
END_TEST

/* Unchecked fixtures: these run in the runner, once per test case. */
static void
sweep_setup(void)
{
	tmpdir_tag(tmp_tag, "archive-read");
}

static void
sweep_teardown(void)
{
	tmpdir_sweep(tmp_tag);
}

Suite *
archive_read_suite(void)
{
	Suite *s = suite_create("archive_read");
	TCase *good = tcase_create("good");
	TCase *gz = tcase_create("gzip");
	TCase *tar = tcase_create("tar");
	TCase *other = tcase_create("other");

	tcase_add_unchecked_fixture(good, sweep_setup, sweep_teardown);
	tcase_add_unchecked_fixture(gz, sweep_setup, sweep_teardown);
	tcase_add_unchecked_fixture(tar, sweep_setup, sweep_teardown);
	tcase_add_unchecked_fixture(other, sweep_setup, sweep_teardown);
	tcase_set_timeout(good, 60);
	tcase_set_timeout(gz, 60);
	tcase_set_timeout(tar, 60);
	tcase_set_timeout(other, 60);

	tcase_add_test(good, clean_read_back);
	tcase_add_test(good, clean_many_members);
	tcase_add_test(good, clean_small_reads);
	tcase_add_test(good, header_across_window_end);
	tcase_add_test(good, clean_empty_members);
	tcase_add_test(good, clean_other_forms);
	suite_add_tcase(s, good);

	tcase_add_test(gz, cut_short_everywhere);
	tcase_add_test(gz, empty_file);
	tcase_add_test(gz, flip_deflate_data);
	tcase_add_test(gz, flip_stored_data);
	tcase_add_test(gz, flip_trailer);
	tcase_add_test(gz, trailing_garbage);
	tcase_add_test(gz, second_gzip_member);
	tcase_add_test(gz, not_gzip);
	suite_add_tcase(s, gz);

	tcase_add_test(tar, header_fields_checked);
	tcase_add_test(tar, header_checksum);
	tcase_add_test(tar, tar_cut_short);
	tcase_add_test(tar, tar_lone_zero_block);
	tcase_add_test(tar, tar_nonzero_padding);
	tcase_add_test(tar, tar_nonzero_after_end);
	suite_add_tcase(s, tar);

	tcase_add_test(other, read_fails);
	tcase_add_test(other, reader_reused);
	suite_add_tcase(s, other);
	return s;
}
