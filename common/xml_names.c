/*
 * xml_names.c - see xml_names.h.  The character classes are the productions
 * NameStartChar and NameChar of XML 1.0, fifth edition, section 2.3.
 */
#include "xml_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* ':' is a NameStartChar in XML 1.0, but the spec maps it to '_' (a name
 * with ':' means namespaces to every XML tool), so it is left out here. */
static int
is_name_start(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (c >= 'a' && c <= 'z') ||
	    (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) ||
	    (c >= 0xF8 && c <= 0x2FF) || (c >= 0x370 && c <= 0x37D) ||
	    (c >= 0x37F && c <= 0x1FFF) || (c >= 0x200C && c <= 0x200D) ||
	    (c >= 0x2070 && c <= 0x218F) || (c >= 0x2C00 && c <= 0x2FEF) ||
	    (c >= 0x3001 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFDCF) ||
	    (c >= 0xFDF0 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0xEFFFF);
}

static int
is_name_char(uint32_t c)
{
	return is_name_start(c) || c == '-' || c == '.' ||
	    (c >= '0' && c <= '9') || c == 0xB7 ||
	    (c >= 0x300 && c <= 0x36F) || (c >= 0x203F && c <= 0x2040);
}

/* One character of a cell (valid UTF-8, xml_names.h); its length, and
 * its code point in *cp.  A bad byte reads as U+FFFD. */
static size_t
next_char(const unsigned char *s, size_t left, uint32_t *cp)
{
	size_t n = utf8_decode(s, left, cp);

	if (n == 0) {
		*cp = 0xFFFD;
		return 1;
	}
	return n;
}

int
xml_name_sanitize(struct buf *out, const char *s, size_t len, uint32_t column)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t c;
	char field[24];

	if (len == 0) {
		snprintf(field, sizeof(field), "field%u", column);
		return buf_append(out, field, strlen(field) + 1);
	}
	/* Replacing comes first: "@x" becomes "_x", which needs no prefix;
	 * "1x" and "-x" keep their first character and get one. */
	next_char(p, len, &c);
	if (is_name_char(c) && !is_name_start(c) && buf_append(out, "_", 1) < 0)
		return -1;
	while (i < len) {
		n = next_char(p + i, len - i, &c);
		if (is_name_char(c)) {
			if (buf_append(out, p + i, n) < 0)
				return -1;
		} else if (buf_append(out, "_", 1) < 0) {
			return -1;
		}
		i += n;
	}
	return buf_append(out, "", 1);
}

void
xml_names_init(struct xml_names *n)
{
	memset(n, 0, sizeof(*n));
	buf_init(&n->bytes, 0);
	buf_init(&n->key, 0);
}

void
xml_names_free(struct xml_names *n)
{
	buf_free(&n->bytes);
	buf_free(&n->key);
	free(n->offset);
	free(n->name);
	memset(n, 0, sizeof(*n));
}

/* The header as one byte string, to tell whether it changed. */
int
xml_names_key(struct buf *key, const struct field *header, uint32_t ncols,
    uint32_t total)
{
	uint32_t i;

	buf_reset(key);
	if (buf_append_u32(key, total) < 0)
		return -1;
	for (i = 0; i < ncols; i++)
		if (buf_append_u32(key, header[i].len) < 0 ||
		    buf_append(key, header[i].s, header[i].len) < 0)
			return -1;
	return 0;
}

/* Names given so far, for de-duplication in linear time: an open-address
 * table of columns keyed by their final name; next_k is the next suffix
 * to try when another column wants that same name. */
struct name_slot {
	int64_t col;     /* -1: empty */
	uint32_t next_k;
};

struct name_set {
	struct name_slot *slot;
	size_t mask;
};

static uint64_t
hash_name(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

static const char *
name_of(const struct xml_names *n, int64_t col)
{
	return (const char *)n->bytes.data + n->offset[col];
}

/* The slot holding s, or the empty slot where it would go. */
static struct name_slot *
find_slot(const struct xml_names *n, const struct name_set *set,
    const char *s)
{
	size_t i = (size_t)hash_name(s) & set->mask;

	while (set->slot[i].col >= 0 && strcmp(name_of(n, set->slot[i].col), s))
		i = (i + 1) & set->mask;
	return &set->slot[i];
}

/* Makes column i's name unique among columns 0..i-1 with the first free
 * _K suffix, and records it. */
static int
dedupe(struct xml_names *n, struct name_set *set, uint32_t i)
{
	size_t start = n->offset[i], base_len = n->bytes.len - start - 1;
	struct name_slot *base = find_slot(n, set, name_of(n, i)), *s;
	char suffix[16];
	uint32_t k;

	if (base->col < 0) {
		base->col = i;
		base->next_k = 2;
		return 0;
	}
	for (k = base->next_k;; k++) {
		n->bytes.len = start + base_len;
		snprintf(suffix, sizeof(suffix), "_%u", k);
		if (buf_append(&n->bytes, suffix, strlen(suffix) + 1) < 0)
			return -1;
		s = find_slot(n, set, name_of(n, i));
		if (s->col < 0)
			break;
	}
	base->next_k = k + 1;
	s->col = i;
	s->next_k = 2;
	return 0;
}

static int
grow(struct xml_names *n, uint32_t total)
{
	size_t *o;
	const char **p;

	if (total <= n->cap)
		return 0;
	o = realloc(n->offset, total * sizeof(*o));
	if (o)
		n->offset = o;
	p = realloc(n->name, total * sizeof(*p));
	if (p)
		n->name = p;
	if (!o || !p)
		return -1;
	n->cap = total;
	return 0;
}

int
xml_names_build(struct xml_names *n, const struct field *header,
    uint32_t ncols, uint32_t total)
{
	struct name_set set = { NULL, 0 };
	struct buf key;
	size_t i;

	buf_init(&key, 0);
	if (xml_names_key(&key, header, ncols, total) < 0)
		goto nomem;
	if (n->key.len == key.len && n->count == total &&
	    memcmp(n->key.data, key.data, key.len) == 0) {
		buf_free(&key);
		return 0;
	}
	buf_free(&n->key);
	n->key = key;
	if (grow(n, total) < 0)
		goto fail;
	for (set.mask = 15; set.mask < 2 * (size_t)total; set.mask = set.mask * 2 + 1)
		;
	set.slot = malloc((set.mask + 1) * sizeof(*set.slot));
	if (!set.slot)
		goto fail;
	for (i = 0; i <= set.mask; i++)
		set.slot[i].col = -1;
	buf_reset(&n->bytes);
	for (i = 0; i < total; i++) {
		n->offset[i] = n->bytes.len;
		if (xml_name_sanitize(&n->bytes, i < ncols ? header[i].s : "",
		    i < ncols ? header[i].len : 0, i + 1) < 0 ||
		    dedupe(n, &set, i) < 0)
			goto fail;
	}
	free(set.slot);
	set.slot = NULL;
	for (i = 0; i < total; i++)
		n->name[i] = (const char *)n->bytes.data + n->offset[i];
	n->count = total;
	return 0;
nomem:
	buf_free(&key);
	return -1;
fail:
	free(set.slot);
	buf_reset(&n->key);
	n->count = 0;
	return -1;
}
