/*
 * bom.c - see bom.h.
 */
#include "bom.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

enum bom_kind
bom_detect(const unsigned char *p, size_t n, size_t *len)
{
	*len = 0;
	if (n >= 4 && memcmp(p, "\xff\xfe\0\0", 4) == 0)
		return *len = 4, BOM_UTF32LE;
	if (n >= 4 && memcmp(p, "\0\0\xfe\xff", 4) == 0)
		return *len = 4, BOM_UTF32BE;
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		return *len = 3, BOM_UTF8;
	if (n >= 2 && memcmp(p, "\xff\xfe", 2) == 0)
		return *len = 2, BOM_UTF16LE;
	if (n >= 2 && memcmp(p, "\xfe\xff", 2) == 0)
		return *len = 2, BOM_UTF16BE;
	return BOM_NONE;
}

const char *
bom_name(enum bom_kind k)
{
	switch (k) {
	case BOM_UTF8:
		return "UTF-8";
	case BOM_UTF16LE:
		return "UTF-16LE";
	case BOM_UTF16BE:
		return "UTF-16BE";
	case BOM_UTF32LE:
		return "UTF-32LE";
	case BOM_UTF32BE:
		return "UTF-32BE";
	default:
		return "";
	}
}

/* What an encoding name says of the marks it may start with. */
enum family {
	F_OTHER,   /* no Unicode encoding: every mark contradicts it */
	F_UTF8,
	F_UTF16,   /* either order: the mark decides */
	F_UTF16LE,
	F_UTF16BE,
	F_UTF32,
	F_UTF32LE,
	F_UTF32BE,
};

static enum family
family_of(const char *encoding)
{
	static const struct {
		const char *name;
		enum family f;
	} names[] = {
		{ "UTF8", F_UTF8 }, { "CP65001", F_UTF8 },
		{ "UTF16", F_UTF16 }, { "UCS2", F_UTF16 },
		{ "UNICODE", F_UTF16 },
		{ "UTF16LE", F_UTF16LE }, { "UCS2LE", F_UTF16LE },
		{ "UNICODELITTLE", F_UTF16LE }, { "CP1200", F_UTF16LE },
		{ "UTF16BE", F_UTF16BE }, { "UCS2BE", F_UTF16BE },
		{ "UNICODEBIG", F_UTF16BE }, { "CP1201", F_UTF16BE },
		{ "UTF32", F_UTF32 }, { "UCS4", F_UTF32 },
		{ "UTF32LE", F_UTF32LE }, { "UCS4LE", F_UTF32LE },
		{ "CP12000", F_UTF32LE },
		{ "UTF32BE", F_UTF32BE }, { "UCS4BE", F_UTF32BE },
		{ "CP12001", F_UTF32BE },
	};
	char norm[32];
	size_t i, j = 0;

	/* Case, '-' and '_' do not matter to iconv; nor what follows '/'
	 * ("//TRANSLIT"). */
	for (i = 0; encoding[i] && encoding[i] != '/'; i++) {
		if (encoding[i] == '-' || encoding[i] == '_')
			continue;
		if (j + 1 >= sizeof(norm))
			return F_OTHER;
		norm[j++] = (char)toupper((unsigned char)encoding[i]);
	}
	norm[j] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(norm, names[i].name) == 0)
			return names[i].f;
	return F_OTHER;
}

int
bom_resolve(enum bom_kind k, const char *encoding)
{
	enum family f = family_of(encoding);

	if (k == BOM_NONE)
		return BOM_NONE;
	/* FF FE 00 00 under a UTF-16 name: its mark, then U+0000. */
	if (k == BOM_UTF32LE && (f == F_UTF16 || f == F_UTF16LE))
		return BOM_UTF16LE;
	switch (f) {
	case F_UTF8:
		return k == BOM_UTF8 ? (int)k : -1;
	case F_UTF16:
		return k == BOM_UTF16LE || k == BOM_UTF16BE ? (int)k : -1;
	case F_UTF16LE:
		return k == BOM_UTF16LE ? (int)k : -1;
	case F_UTF16BE:
		return k == BOM_UTF16BE ? (int)k : -1;
	case F_UTF32:
		return k == BOM_UTF32LE || k == BOM_UTF32BE ? (int)k : -1;
	case F_UTF32LE:
		return k == BOM_UTF32LE ? (int)k : -1;
	case F_UTF32BE:
		return k == BOM_UTF32BE ? (int)k : -1;
	default:
		return -1;
	}
}

int
bom_open(struct bom_reader *b, struct csv_source inner)
{
	ssize_t n;

	memset(b, 0, sizeof(*b));
	b->inner = inner;
	/* A pipe may give the first bytes one at a time. */
	while (b->head_len < BOM_MAX) {
		n = inner.read(inner.ctx, b->head + b->head_len,
		    BOM_MAX - b->head_len);
		if (n < 0)
			return -1;
		if (n == 0) {
			b->eof = 1;
			break;
		}
		b->head_len += (size_t)n;
	}
	b->kind = bom_detect(b->head, b->head_len, &b->mark_len);
	return 0;
}

void
bom_skip(struct bom_reader *b, size_t len)
{
	if (len > b->head_len)
		len = b->head_len;
	b->head_pos = len;
}

ssize_t
bom_read(void *ctx, void *buf, size_t n)
{
	struct bom_reader *b = ctx;
	size_t take;

	ssize_t r;

	if (b->head_pos < b->head_len) {
		/* With as much after it as asked: the reader above sees
		 * reads of the sizes it asks for, as without us. */
		take = b->head_len - b->head_pos;
		if (take > n)
			take = n;
		memcpy(buf, b->head + b->head_pos, take);
		b->head_pos += take;
		if (take == n || b->eof)
			return (ssize_t)take;
		r = b->inner.read(b->inner.ctx, (char *)buf + take, n - take);
		if (r == 0)
			b->eof = 1;
		if (r < 0)
			b->err_errno = errno; /* for the next call */
		return (ssize_t)take + (r > 0 ? r : 0);
	}
	if (b->err_errno) {
		errno = b->err_errno;
		b->err_errno = 0;
		return -1;
	}
	if (b->eof)
		return 0;
	return b->inner.read(b->inner.ctx, buf, n);
}
