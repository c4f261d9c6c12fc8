/*
 * archive_read.c - see archive_read.h.
 *
 * Two layers.  The gzip layer (fill and what it calls) keeps the window:
 * out[pos, len) is tar stream inflated and not yet taken; fill(need)
 * inflates until need bytes stand there in one piece, or says that the
 * gzip member ended well (nothing after it in the file) before that.
 * The tar layer takes bytes from the window and knows where it is in the
 * tar stream: T_HEADER (a header or the end blocks come next), T_DATA
 * (left bytes of the current member's data, then pad bytes of padding),
 * T_END (ended well) or T_BROKEN (a problem was found: every call fails).
 *
 * The tar layer always reads up to the end of the gzip stream (the zero
 * tail after the end blocks is checked too), so every byte is inflated
 * and zlib gets to check the CRC-32 and length in the trailer.
 */
#include "archive_read.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fail.h"
#include "msg.h"
#include "sysio.h"

#define BLOCK 512                 /* a tar block (packer/tar.h) */
#define OUT_SIZE (256 * 1024)     /* the window: inflate's output */
#define IN_SIZE (128 * 1024)      /* compressed input, per read(2) */
#define QUOTED_SIZE (2 + 4 * 100 + 1) /* a name field, quoted and escaped */
#define PROBLEM_SIZE (256 + QUOTED_SIZE)

enum tar_state { T_HEADER, T_DATA, T_END, T_BROKEN };

struct archive_reader {
	z_stream z;
	gz_header head;        /* only to know when the header was read */
	unsigned char *in, *out;
	size_t pos, len;       /* out[pos, len): inflated, not yet taken */
	int fd;
	char *path;            /* a copy: the caller's buffer may change */
	size_t path_cap;
	uint64_t file_bytes;   /* read(2) from fd so far */
	uint64_t bytes_in, bytes_out;
	int eof;               /* read(2) returned 0 */
	int gz_end;            /* inflate returned Z_STREAM_END */
	int tail_checked;      /* ... and the file ends right after it */
	enum tar_state state;
	unsigned index;        /* of the current member; 0 before the first */
	uint64_t size, left;   /* its size, data bytes not yet taken */
	unsigned pad;          /* padding bytes after them, not yet taken */
	char qname[QUOTED_SIZE]; /* its name as messages show it */
	int failed_sys;
	char problem[PROBLEM_SIZE];
};

static const unsigned char zero_block[BLOCK];

/* --- problems ------------------------------------------------------------ */

static int
problem(struct archive_reader *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Damage: kept for archive_problem(); every later call fails. */
static int
problem(struct archive_reader *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->problem, sizeof(a->problem), fmt, ap);
	va_end(ap);
	a->state = T_BROKEN;
	return -1;
}

/* A failure of ours, already said (fail.h): the caller exits 1. */
static int
ours(struct archive_reader *a)
{
	a->failed_sys = 1;
	return problem(a, "reading failed (said on stderr)");
}

/* s[0, n) as "...", with '"', '\\' and every byte outside printable
 * ASCII escaped, so that a damaged name cannot break the caller's line. */
static void
quote(char *dst, size_t size, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (size < 4 * n + 3)
		n = (size - 3) / 4;
	dst[o++] = '"';
	for (i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\') {
			dst[o++] = (char)s[i];
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[s[i] >> 4];
		dst[o++] = hex[s[i] & 15];
	}
	dst[o++] = '"';
	dst[o] = '\0';
}

/* Where out[pos] is in the tar stream. */
static uint64_t
tar_offset(const struct archive_reader *a)
{
	return a->bytes_out - (a->len - a->pos);
}

/* --- the gzip layer ------------------------------------------------------- */

static int
read_input(struct archive_reader *a)
{
	ssize_t n = sys_read(a->fd, a->in, IN_SIZE);

	if (n < 0) {
		fail_sys("%s: read", a->path);
		return ours(a);
	}
	if (n == 0)
		a->eof = 1;
	a->file_bytes += (uint64_t)n;
	a->z.next_in = a->in;
	a->z.avail_in = (uInt)n;
	return 0;
}

/* zlib found the data wrong: in the header, in the trailer (the CRC-32 or
 * ISIZE does not match what was inflated) or in the deflate data. */
static int
data_error(struct archive_reader *a)
{
	const char *msg = a->z.msg ? a->z.msg : "invalid data";

	/* zlib sets done to 1 at the header's end, to -1 when the stream
	 * does not start like a gzip header at all. */
	if (a->head.done != 1)
		return problem(a, "gzip: not a gzip header (%s)", msg);
	/* zlib's words for the two trailer checks (inflate.c). */
	if (strcmp(msg, "incorrect data check") == 0)
		return problem(a, "gzip: the CRC-32 in the trailer does not "
		    "match the data (%s)", msg);
	if (strcmp(msg, "incorrect length check") == 0)
		return problem(a, "gzip: the length (ISIZE) in the trailer does "
		    "not match the data (%s)", msg);
	return problem(a, "gzip: %s (near compressed byte %" PRIu64
	    ", tar byte %" PRIu64 ")", msg, a->bytes_in, a->bytes_out);
}

/* One inflate() into the free part of the window, reading input first if
 * none is left.  0 (progress, or the end of the gzip member), or -1. */
static int
inflate_some(struct archive_reader *a)
{
	uInt in, out;
	int zr;

	if (a->z.avail_in == 0 && !a->eof && read_input(a) < 0)
		return -1;
	a->z.next_out = a->out + a->len;
	a->z.avail_out = out = (uInt)(OUT_SIZE - a->len);
	in = a->z.avail_in;
	zr = inflate(&a->z, Z_NO_FLUSH);
	a->bytes_in += in - a->z.avail_in;
	a->len += out - a->z.avail_out;
	a->bytes_out += out - a->z.avail_out;
	switch (zr) {
	case Z_OK:
		return 0;
	case Z_STREAM_END:
		a->gz_end = 1;
		return 0;
	case Z_BUF_ERROR:
		/* No progress with room in the window: there is no more
		 * input, since read_input refills it whenever it runs out. */
		if (a->eof)
			return problem(a, "gzip: the stream is cut short (%"
			    PRIu64 " byte%s)", a->file_bytes,
			    a->file_bytes == 1 ? "" : "s");
		return problem(a, "gzip: inflate made no progress");
	case Z_MEM_ERROR:
		fail_nomem(a->path);
		return ours(a);
	case Z_DATA_ERROR:
		return data_error(a);
	default:
		return problem(a, "gzip: zlib error %d (%s)", zr,
		    a->z.msg ? a->z.msg : "no message");
	}
}

/* The gzip member ended: the file must end with it.  What follows is
 * counted (read to the end of the file, in the input buffer). */
static int
check_tail(struct archive_reader *a)
{
	unsigned char magic[2] = { 0, 0 };
	uint64_t extra = 0;
	size_t i;

	if (a->tail_checked)
		return 0;
	for (;;) {
		for (i = 0; i < a->z.avail_in && extra + i < 2; i++)
			magic[extra + i] = a->z.next_in[i];
		extra += a->z.avail_in;
		a->z.avail_in = 0;
		if (a->eof)
			break;
		if (read_input(a) < 0)
			return -1;
	}
	if (extra > 0)
		return problem(a, "gzip: %" PRIu64 " byte%s after the end of "
		    "the gzip stream%s", extra, extra == 1 ? "" : "s",
		    extra >= 2 && magic[0] == 0x1f && magic[1] == 0x8b ?
		    " (another gzip member)" : "");
	a->tail_checked = 1;
	return 0;
}

/* Room for need bytes in one piece from pos: the window starts over when
 * all of it was taken, or what is left (less than need) moves to its
 * start when the end is too near. */
static void
make_room(struct archive_reader *a, size_t need)
{
	if (a->pos == a->len) {
		a->pos = a->len = 0;
	} else if (OUT_SIZE - a->pos < need) {
		memmove(a->out, a->out + a->pos, a->len - a->pos);
		a->len -= a->pos;
		a->pos = 0;
	}
}

/* Makes need bytes (1 to BLOCK) stand at out[pos, len).  1 if they do, 0
 * if the gzip stream ended well before that (what there is stays), -1. */
static int
fill(struct archive_reader *a, size_t need)
{
	while (a->len - a->pos < need) {
		if (a->gz_end)
			return check_tail(a);
		make_room(a, need);
		if (inflate_some(a) < 0)
			return -1;
	}
	return 1;
}

/* Up to max bytes of the tar stream, taken from the window: their count
 * with *p at them, 0 if the gzip stream ended well, or -1. */
static ssize_t
take(struct archive_reader *a, uint64_t max, const unsigned char **p)
{
	size_t n;
	int rc;

	if ((rc = fill(a, 1)) <= 0)
		return rc;
	n = a->len - a->pos;
	if (n > max)
		n = (size_t)max;
	*p = a->out + a->pos;
	a->pos += n;
	return (ssize_t)n;
}

/* --- the tar layer -------------------------------------------------------- */

/* The index of the first non-zero byte of p[0, n), or n. */
static ssize_t
nonzero(const unsigned char *p, ssize_t n)
{
	ssize_t i = 0;

	while (i < n && p[i] == 0)
		i++;
	return i;
}

/* A numeric header field: octal digits (after optional spaces) ended by
 * NUL or space, or the base-256 form (0x80, then big-endian bytes) GNU
 * tar and packer/tar.c use for sizes that do not fit.  0, or -1 if it is
 * neither, or negative, or does not fit 64 bits. */
static int
parse_number(const unsigned char *f, size_t width, uint64_t *v)
{
	size_t i = 0, digits = 0;

	*v = 0;
	if (f[0] == 0x80) {
		for (i = 1; i < width; i++) {
			if (*v >> 56)
				return -1;
			*v = *v << 8 | f[i];
		}
		return 0;
	}
	while (i < width && f[i] == ' ')
		i++;
	for (; i < width && f[i] >= '0' && f[i] <= '7'; i++, digits++)
		*v = *v << 3 | (uint64_t)(f[i] - '0');
	for (; i < width; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return -1;
	return digits > 0 ? 0 : -1;
}

/* The unsigned sum of the header's bytes, its checksum field read as
 * spaces, against the field. */
static int
checksum_ok(const unsigned char *b)
{
	uint64_t stored;
	unsigned sum = 0;
	size_t i;

	if (parse_number(b + 148, 8, &stored) < 0)
		return 0;
	for (i = 0; i < BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	return stored == sum;
}

static int
bad_header(struct archive_reader *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "tar: header of member N ("NAME"): what" */
static int
bad_header(struct archive_reader *a, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (strcmp(a->qname, "\"\"") == 0)
		return problem(a, "tar: header of member %u: %s", a->index,
		    what);
	return problem(a, "tar: header of member %u (%s): %s", a->index,
	    a->qname, what);
}

/* A name as csvpack writes them: a plain file name at the top level. */
static int
check_name(struct archive_reader *a, const unsigned char *b, size_t n)
{
	size_t i;

	if (n == 0)
		return bad_header(a, "the name is empty");
	if (memchr(b, '/', n))
		return bad_header(a, "the name has a '/' (not at the top "
		    "level)");
	for (i = 0; i < n; i++)
		if (b[i] < 0x20 || b[i] == 0x7f)
			return bad_header(a, "the name has a control character");
	if ((n == 1 && b[0] == '.') || (n == 2 && b[0] == '.' && b[1] == '.'))
		return bad_header(a, "the name is not a file name");
	/* The ustar prefix would put the member below a directory. */
	if (b[345] != '\0')
		return bad_header(a, "the prefix field is not empty");
	return 0;
}

/* Mode 0644, owner 0/0 and no owner names, as packer/tar.c writes. */
static int
check_owner(struct archive_reader *a, const unsigned char *b, uint64_t *mode)
{
	uint64_t uid, gid;

	if (parse_number(b + 100, 8, mode) < 0)
		return bad_header(a, "the mode field is not a number");
	if (*mode != 0644)
		return bad_header(a, "mode 0%" PRIo64 ", not 0644", *mode);
	if (parse_number(b + 108, 8, &uid) < 0 ||
	    parse_number(b + 116, 8, &gid) < 0)
		return bad_header(a, "the uid or gid field is not a number");
	if (uid != 0 || gid != 0)
		return bad_header(a, "owner %" PRIu64 "/%" PRIu64 ", not 0/0",
		    uid, gid);
	if (b[265] != '\0' || b[297] != '\0')
		return bad_header(a, "owner names are set");
	return 0;
}

/* Checks the header at b, member a->index, and fills m from it. */
static int
parse_header(struct archive_reader *a, const unsigned char *b,
    struct archive_member *m)
{
	const unsigned char *nul = memchr(b, '\0', 100);
	size_t n = nul ? (size_t)(nul - b) : 100;
	uint64_t mode, size, mtime;
	char type[8];

	a->qname[0] = '\0';
	if (!checksum_ok(b))
		return problem(a, "tar: header of member %u: checksum does not "
		    "match", a->index);
	quote(a->qname, sizeof(a->qname), b, n);
	if (memcmp(b + 257, "ustar\0" "00", 8) != 0)
		return bad_header(a, "no ustar magic (\"ustar\\0\" \"00\")");
	if (b[156] != '0') {
		quote(type, sizeof(type), b + 156, 1);
		return bad_header(a, "type %s, not a regular file ('0')", type);
	}
	if (check_name(a, b, n) < 0 || check_owner(a, b, &mode) < 0)
		return -1;
	if (parse_number(b + 124, 12, &size) < 0)
		return bad_header(a, "the size field is not a number");
	if (parse_number(b + 136, 12, &mtime) < 0 || mtime > (uint64_t)INT64_MAX)
		return bad_header(a, "the mtime field is not a number");
	memcpy(m->name, b, n);
	m->name[n] = '\0';
	m->size = size;
	m->mode = (unsigned)mode;
	m->mtime = (int64_t)mtime;
	m->index = a->index;
	a->size = a->left = size;
	a->pad = (unsigned)((BLOCK - size % BLOCK) % BLOCK);
	return 0;
}

static int
ends_in_data(struct archive_reader *a)
{
	return problem(a, "tar: the stream ends inside the data of member %u "
	    "(%s): %" PRIu64 " of %" PRIu64 " bytes", a->index, a->qname,
	    a->size - a->left, a->size);
}

/* Takes the rest of the current member: its data, then its padding,
 * which must be zeros. */
static int
finish_member(struct archive_reader *a)
{
	const unsigned char *p;
	ssize_t n, i;

	while (a->left > 0) {
		if ((n = take(a, a->left, &p)) <= 0)
			return n < 0 ? -1 : ends_in_data(a);
		a->left -= (uint64_t)n;
	}
	while (a->pad > 0) {
		if ((n = take(a, a->pad, &p)) <= 0)
			return n < 0 ? -1 : problem(a, "tar: the stream ends "
			    "inside the padding of member %u (%s)", a->index,
			    a->qname);
		if ((i = nonzero(p, n)) < n)
			return problem(a, "tar: member %u (%s): non-zero bytes "
			    "in the padding after its data (tar byte %" PRIu64
			    ")", a->index, a->qname, tar_offset(a) -
			    (uint64_t)(n - i));
		a->pad -= (unsigned)n;
	}
	a->state = T_HEADER;
	return 0;
}

/* After the two end blocks, only zeros up to the end of the stream. */
static int
zero_tail(struct archive_reader *a)
{
	const unsigned char *p;
	ssize_t n, i;

	while ((n = take(a, UINT64_MAX, &p)) > 0)
		if ((i = nonzero(p, n)) < n)
			return problem(a, "tar: non-zero bytes after the end "
			    "blocks (tar byte %" PRIu64 ")", tar_offset(a) -
			    (uint64_t)(n - i));
	if (n < 0)
		return -1;
	a->state = T_END;
	return 0;
}

/* A zero block where a header may stand: the first of the two that end
 * the archive. */
static int
end_blocks(struct archive_reader *a)
{
	uint64_t at = tar_offset(a);
	int rc;

	a->pos += BLOCK;
	if ((rc = fill(a, BLOCK)) < 0)
		return -1;
	if (rc == 0)
		return problem(a, "tar: the stream ends after one zero block "
		    "(tar byte %" PRIu64 "), without the second that ends an "
		    "archive", at);
	if (memcmp(a->out + a->pos, zero_block, BLOCK) != 0)
		return problem(a, "tar: a lone zero block at tar byte %" PRIu64
		    " where the header of member %u should be", at,
		    a->index + 1);
	a->pos += BLOCK;
	return zero_tail(a);
}

/* The stream ended (well, as gzip goes) where a header should start. */
static int
ends_in_header(struct archive_reader *a)
{
	size_t have = a->len - a->pos;

	if (have == 0)
		return problem(a, "tar: the stream ends without the two zero "
		    "blocks that end an archive (after %u members, tar byte %"
		    PRIu64 ")", a->index, tar_offset(a));
	return problem(a, "tar: the stream ends inside the header of member "
	    "%u (tar byte %" PRIu64 ", %zu of %d bytes)", a->index + 1,
	    tar_offset(a), have, BLOCK);
}

int
archive_next(struct archive_reader *a, struct archive_member *m)
{
	int rc;

	if (a->state == T_BROKEN)
		return -1;
	if (a->state == T_END)
		return 0;
	if (a->state == T_DATA && finish_member(a) < 0)
		return -1;
	if ((rc = fill(a, BLOCK)) <= 0)
		return rc < 0 ? -1 : ends_in_header(a);
	if (memcmp(a->out + a->pos, zero_block, BLOCK) == 0)
		return end_blocks(a);
	a->index++;
	if (parse_header(a, a->out + a->pos, m) < 0)
		return -1;
	a->pos += BLOCK;
	a->state = T_DATA;
	return 1;
}

ssize_t
archive_read(struct archive_reader *a, const void **data)
{
	const unsigned char *p;
	ssize_t n;

	if (a->state == T_BROKEN)
		return -1;
	if (a->state != T_DATA || a->left == 0)
		return 0;
	if ((n = take(a, a->left, &p)) <= 0)
		return n < 0 ? -1 : ends_in_data(a);
	a->left -= (uint64_t)n;
	*data = p;
	return n;
}

/* --- the reader ----------------------------------------------------------- */

struct archive_reader *
archive_reader_new(void)
{
	struct archive_reader *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->in = malloc(IN_SIZE);
	a->out = malloc(OUT_SIZE);
	if (!a->in || !a->out)
		goto fail;
	/* 16 + MAX_WBITS: a gzip wrapper and nothing else (no zlib one). */
	if (inflateInit2(&a->z, 16 + MAX_WBITS) != Z_OK)
		goto fail;
	a->state = T_BROKEN;
	snprintf(a->problem, sizeof(a->problem), "no archive open");
	return a;
fail:
	free(a->in);
	free(a->out);
	free(a);
	return NULL;
}

void
archive_reader_free(struct archive_reader *a)
{
	if (!a)
		return;
	inflateEnd(&a->z);
	free(a->path);
	free(a->in);
	free(a->out);
	free(a);
}

/* Keeps a copy of path, in a buffer that grows only for a longer one. */
static int
keep_path(struct archive_reader *a, const char *path)
{
	size_t n = strlen(path) + 1;
	char *p;

	if (n > a->path_cap) {
		if (!(p = realloc(a->path, n)))
			return -1;
		a->path = p;
		a->path_cap = n;
	}
	memcpy(a->path, path, n);
	return 0;
}

int
archive_open(struct archive_reader *a, int fd, const char *path)
{
	a->fd = fd;
	a->pos = a->len = 0;
	a->file_bytes = a->bytes_in = a->bytes_out = 0;
	a->eof = a->gz_end = a->tail_checked = 0;
	a->state = T_HEADER;
	a->index = 0;
	a->size = a->left = 0;
	a->pad = 0;
	a->qname[0] = '\0';
	a->failed_sys = 0;
	a->problem[0] = '\0';
	if (keep_path(a, path) < 0) {
		fail_nomem(path);
		return ours(a);
	}
	/* The reset forgets the gz_header: it is given again each time. */
	memset(&a->head, 0, sizeof(a->head));
	if (inflateReset(&a->z) != Z_OK ||
	    inflateGetHeader(&a->z, &a->head) != Z_OK) {
		msg_warn("%s: zlib: inflateReset failed", path);
		fail_note(FAIL_SYS);
		return ours(a);
	}
	a->z.next_in = a->in;
	a->z.avail_in = 0;
	return 0;
}

const char *
archive_problem(const struct archive_reader *a)
{
	return a->problem;
}

int
archive_failed_sys(const struct archive_reader *a)
{
	return a->failed_sys;
}

uint64_t
archive_bytes_in(const struct archive_reader *a)
{
	return a->bytes_in;
}

uint64_t
archive_bytes_out(const struct archive_reader *a)
{
	return a->bytes_out;
}
