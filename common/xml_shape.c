/*
 * xml_shape.c - see xml_shape.h.
 */
#include "xml_shape.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"
#include "msg.h"
#include "xml_chars.h"
#include "xml_names.h"

void
xml_shape_init(struct xml_shape *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->owned, 0);
	buf_init(&s->key, 0);
	buf_init(&s->attr_bytes, 0);
	s->root = "table";
	s->row = "row";
	s->provenance = PROVENANCE_ALL;
	s->null_as = NULL_AS_NIL;
	s->layout = LAYOUT_ROWS;
}

void
xml_shape_free(struct xml_shape *s)
{
	buf_free(&s->owned);
	buf_free(&s->key);
	buf_free(&s->attr_bytes);
	free(s->null_len);
	free(s->is_attr);
	free(s->attr_col);
	free(s->attr_name);
	memset(s, 0, sizeof(*s));
}

/* 1 if name is an XML name without a colon: what the element-name rules
 * (xml_names.h) leave as it is. */
static int
is_plain_name(const char *name)
{
	struct buf b;
	size_t len = strlen(name);
	int same;

	if (len == 0)
		return 0;
	buf_init(&b, 0);
	if (xml_name_sanitize(&b, name, len, 1) < 0) {
		buf_free(&b);
		return -1;
	}
	same = b.len == len + 1 && memcmp(b.data, name, len) == 0;
	buf_free(&b);
	return same;
}

/* Appends "prefix:name" (or name) with its NUL to owned; its offset in
 * *off. */
static int
own_qname(struct xml_shape *s, const char *prefix, const char *name,
    size_t *off)
{
	*off = s->owned.len;
	if (prefix && (buf_append(&s->owned, prefix, strlen(prefix)) < 0 ||
	    buf_append(&s->owned, ":", 1) < 0))
		return -1;
	return buf_append(&s->owned, name, strlen(name) + 1);
}

int
xml_shape_set(struct xml_shape *s, const struct options *o)
{
	const char *root = o->root_name ? o->root_name : "table";
	const char *row = o->row_name ? o->row_name : "row";
	const char *uri;
	struct buf clean;
	uint32_t i;
	int ok;

	if ((ok = is_plain_name(root)) <= 0 || (ok = is_plain_name(row)) <= 0 ||
	    (o->xmlns_prefix && (ok = is_plain_name(o->xmlns_prefix)) <= 0))
		return errno = ok < 0 ? ENOMEM : EINVAL, -1;
	if (o->xmlns_prefix && (!o->xmlns ||
	    strcmp(o->xmlns_prefix, "xml") == 0 ||
	    strcmp(o->xmlns_prefix, "xmlns") == 0 ||
	    (o->nnulls && o->null_as == NULL_AS_NIL &&
	    strcmp(o->xmlns_prefix, "xsi") == 0)))
		return errno = EINVAL, -1;
	if (o->xmlns && !o->xmlns[0])
		return errno = EINVAL, -1;
	s->prefix = o->xmlns_prefix;
	s->provenance = o->provenance;
	s->null_as = o->null_as;
	s->layout = o->layout;
	s->nulls = o->nulls;
	s->nnulls = o->nulls && o->nnulls > 0 ? (uint32_t)o->nnulls : 0;
	s->attr_cols = o->attr_cols;
	s->nattr_cols = o->attr_cols && o->nattr_cols > 0 ?
	    (uint32_t)o->nattr_cols : 0;
	free(s->null_len);
	s->null_len = NULL;
	if (s->nnulls) {
		s->null_len = calloc(s->nnulls, sizeof(*s->null_len));
		if (!s->null_len)
			return errno = ENOMEM, -1;
		for (i = 0; i < s->nnulls; i++)
			s->null_len[i] = (uint32_t)strlen(s->nulls[i]);
	}
	buf_reset(&s->owned);
	buf_init(&clean, 0);
	uri = o->xmlns ? xml_clean_name(o->xmlns, &clean) : NULL;
	if ((o->xmlns && !uri) ||
	    own_qname(s, s->prefix, root, &s->root_off) < 0 ||
	    own_qname(s, s->prefix, row, &s->row_off) < 0 ||
	    (uri && (own_qname(s, NULL, uri, &s->xmlns_off) < 0 ||
	    own_qname(s, s->prefix ? "xmlns" : NULL, s->prefix ? s->prefix :
	    "xmlns", &s->xmlns_attr_off) < 0))) {
		buf_free(&clean);
		return errno = ENOMEM, -1;
	}
	buf_free(&clean);
	s->root = (const char *)s->owned.data + s->root_off;
	s->row = (const char *)s->owned.data + s->row_off;
	s->xmlns = uri ? (const char *)s->owned.data + s->xmlns_off : NULL;
	s->xmlns_attr = uri ? (const char *)s->owned.data +
	    s->xmlns_attr_off : NULL;
	s->custom = strcmp(s->root, "table") != 0 ||
	    strcmp(s->row, "row") != 0 || s->xmlns ||
	    s->provenance != PROVENANCE_ALL || s->nnulls ||
	    s->nattr_cols || s->layout != LAYOUT_ROWS;
	buf_reset(&s->key);
	s->resolved = 0;
	return 0;
}

static int
grow(struct xml_shape *s, uint32_t n)
{
	unsigned char *a;
	uint32_t *c;
	const char **nm;

	if (n <= s->cap)
		return 0;
	a = realloc(s->is_attr, n);
	if (a)
		s->is_attr = a;
	c = realloc(s->attr_col, (size_t)n * sizeof(*c));
	if (c)
		s->attr_col = c;
	nm = realloc(s->attr_name, (size_t)n * sizeof(*nm));
	if (nm)
		s->attr_name = nm;
	if (!a || !c || !nm)
		return -1;
	s->cap = n;
	return 0;
}

/* The column COL names: a header cell equal to it (the first), else a
 * number from 1 to ncols.  -1 if none. */
static int64_t
find_column(const char *col, const struct field *header, uint32_t ncols)
{
	size_t len = strlen(col), i;
	uint64_t v = 0;

	for (i = 0; i < ncols; i++)
		if (header[i].len == len && memcmp(header[i].s, col, len) == 0)
			return (int64_t)i;
	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (col[i] < '0' || col[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(col[i] - '0');
	}
	return v >= 1 && v <= ncols ? (int64_t)v - 1 : -1;
}

static int
refuse(struct xml_shape *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
refuse(struct xml_shape *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vwarn(NULL, fmt, ap);
	va_end(ap);
	/* Not resolved: the same header is refused again, not taken. */
	buf_reset(&s->key);
	s->resolved = 0;
	return fail_note(FAIL_DATA);
}

int
xml_shape_resolve(struct xml_shape *s, const char *source,
    const struct field *header, uint32_t ncols)
{
	struct buf key;
	uint32_t i, j, *by;
	const char *a, *b;
	int64_t col;
	size_t *off;

	if (s->nattr_cols == 0) {
		s->nattr = 0;
		s->ncols = 0;
		return 0;
	}
	buf_init(&key, 0);
	if (xml_names_key(&key, header, ncols, ncols) < 0)
		goto nomem;
	if (s->resolved && key.len == s->key.len &&
	    memcmp(key.data, s->key.data, key.len) == 0) {
		buf_free(&key);
		return 0;
	}
	buf_free(&s->key);
	s->key = key;
	buf_init(&key, 0);
	s->resolved = 0;
	if (grow(s, ncols > s->nattr_cols ? ncols : s->nattr_cols) < 0)
		goto nomem;
	/* by[c]: the --attr index that first named column c, + 1. */
	by = calloc(ncols ? ncols : 1, sizeof(*by));
	off = calloc(ncols ? ncols : 1, sizeof(*off));
	if (!by || !off) {
		free(by);
		free(off);
		goto nomem;
	}
	memset(s->is_attr, 0, ncols);
	s->ncols = ncols;
	for (i = 0; i < s->nattr_cols; i++) {
		col = find_column(s->attr_cols[i], header, ncols);
		if (col < 0) {
			free(by);
			free(off);
			return refuse(s, "%s: --attr %s: no such column (the "
			    "input has %u, none with that header)", source,
			    s->attr_cols[i], ncols);
		}
		if (!by[col])
			by[col] = i + 1;
		s->is_attr[col] = 1;
	}
	buf_reset(&s->attr_bytes);
	s->nattr = 0;
	for (i = 0; i < ncols; i++) {
		if (!s->is_attr[i])
			continue;
		off[s->nattr] = s->attr_bytes.len;
		if (xml_name_sanitize(&s->attr_bytes, header[i].s,
		    header[i].len, i + 1) < 0) {
			free(by);
			free(off);
			goto nomem;
		}
		if (strcmp((const char *)s->attr_bytes.data + off[s->nattr],
		    "xmlns") == 0) {
			s->attr_bytes.len = off[s->nattr];
			if (buf_append(&s->attr_bytes, "_xmlns", 7) < 0) {
				free(by);
				free(off);
				goto nomem;
			}
		}
		s->attr_col[s->nattr++] = i;
	}
	for (i = 0; i < s->nattr; i++)
		s->attr_name[i] = (const char *)s->attr_bytes.data + off[i];
	free(off);
	for (i = 0; i < s->nattr; i++) {
		if (s->provenance == PROVENANCE_ALL &&
		    strcmp(s->attr_name[i], "line") == 0) {
			j = by[s->attr_col[i]] - 1;
			free(by);
			return refuse(s, "%s: --attr %s would be attribute "
			    "\"line\", which --provenance all gives every row "
			    "(its line number)", source, s->attr_cols[j]);
		}
		for (j = 0; j < i; j++) {
			if (strcmp(s->attr_name[i], s->attr_name[j]) != 0)
				continue;
			a = s->attr_cols[by[s->attr_col[j]] - 1];
			b = s->attr_cols[by[s->attr_col[i]] - 1];
			free(by);
			return refuse(s, "%s: --attr %s and --attr %s would both "
			    "be attribute \"%s\" (columns %u and %u)", source,
			    a, b, s->attr_name[j], s->attr_col[j] + 1,
			    s->attr_col[i] + 1);
		}
	}
	free(by);
	s->resolved = 1;
	return 0;
nomem:
	buf_free(&key);
	buf_reset(&s->key);
	s->resolved = 0;
	return fail_nomem(source);
}
