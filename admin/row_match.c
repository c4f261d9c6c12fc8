/*
 * row_match.c - see row_match.h.
 */
#include "row_match.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fail.h"
#include "xml_chars.h"

int
row_match_init(struct row_match *m, const struct options *o)
{
	xml_shape_init(&m->shape);
	xml_names_init(&m->names);
	buf_init(&m->clean, 0);
	buf_init(&m->why, 0);
	buf_init(&m->shown[0], 0);
	buf_init(&m->shown[1], 0);
	if (xml_shape_set(&m->shape, o) < 0)
		return fail_nomem("verify");
	return 0;
}

void
row_match_free(struct row_match *m)
{
	xml_shape_free(&m->shape);
	xml_names_free(&m->names);
	buf_free(&m->clean);
	buf_free(&m->why);
	buf_free(&m->shown[0]);
	buf_free(&m->shown[1]);
}

int
row_match_header(struct row_match *m, const char *source,
    const struct field *header, uint32_t ncols)
{
	return xml_shape_resolve(&m->shape, source, header, ncols);
}

/* A value as a problem line shows it: quoted, with C-style escapes for
 * quotes, backslashes and control characters, cut after 60 bytes (not
 * inside a UTF-8 character). */
static const char *
shown(struct buf *b, const char *s, size_t len)
{
	size_t i, cut = len > 60 ? 60 : len;
	unsigned char ch;
	char esc[8];
	int bad = 0;

	while (cut < len && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	buf_reset(b);
	bad |= buf_append(b, "\"", 1);
	for (i = 0; i < cut; i++) {
		ch = (unsigned char)s[i];
		if (ch == '\n' || ch == '\r' || ch == '\t' || ch == '"' ||
		    ch == '\\')
			snprintf(esc, sizeof(esc), "\\%c", ch == '\n' ? 'n' :
			    ch == '\r' ? 'r' : ch == '\t' ? 't' : (char)ch);
		else if (ch < 0x20 || ch == 0x7F)
			snprintf(esc, sizeof(esc), "\\x%02x", ch);
		else
			esc[0] = (char)ch, esc[1] = '\0';
		bad |= buf_append(b, esc, strlen(esc));
	}
	bad |= buf_append(b, cut < len ? "\"...\0" : "\"\0", cut < len ? 5 : 2);
	return bad ? "(out of memory)" : (const char *)b->data;
}

static int
say(struct row_match *m, const char **why, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	buf_reset(&m->why);
	if (buf_append(&m->why, text, strlen(text) + 1) < 0)
		return fail_nomem("verify");
	*why = (const char *)m->why.data;
	return 1;
}

/* The value the converter wrote for f (cleaned), in *v, *len. */
static int
written(struct row_match *m, const struct field *f, const char **v,
    size_t *len)
{
	uint64_t replaced;

	*v = xml_clean_value(f->s, f->len, &m->clean, &replaced);
	if (!*v)
		return fail_nomem("verify");
	*len = *v == f->s ? f->len : strlen(*v);
	return 0;
}

/* what: "field 2 (price)" or "attribute id". */
static int
differs(struct row_match *m, const char **why, const char *what,
    const char *want, size_t wlen, const char *got, size_t glen)
{
	return say(m, why, "%s is %s in the input, %s in the archive", what,
	    shown(&m->shown[0], want, wlen), shown(&m->shown[1], got, glen));
}

static const char *
attr_of(const struct doc_row *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nattrs; i++)
		if (strcmp(r->attr_name[i], name) == 0)
			return r->attr_value[i];
	return NULL;
}

/* The --attr columns: present with the value, or left out when null. */
static int
match_attrs(struct row_match *m, const struct field *f, uint32_t n,
    const struct doc_row *r, const char **why)
{
	const struct xml_shape *s = &m->shape;
	const char *got, *v;
	char what[300];
	size_t len = 0;
	uint32_t k, i;
	int null;

	for (k = 0; k < s->nattr; k++) {
		if ((i = s->attr_col[k]) >= n)
			continue;
		null = s->nnulls && xml_shape_is_null(s, &f[i]);
		got = attr_of(r, s->attr_name[k]);
		if (null && s->null_as != NULL_AS_EMPTY) {
			if (got)
				return say(m, why, "attribute %s is null in the "
				    "input (left out), \"%s\" in the archive",
				    s->attr_name[k], got);
			continue;
		}
		if (!got)
			return say(m, why, "attribute %s is missing",
			    s->attr_name[k]);
		if (written(m, null ? &(struct field){ "", 0, 0 } : &f[i], &v,
		    &len) < 0)
			return -1;
		if (strlen(got) != len || memcmp(got, v, len) != 0) {
			snprintf(what, sizeof(what), "attribute %s",
			    s->attr_name[k]);
			return differs(m, why, what, v, len, got, strlen(got));
		}
	}
	return 0;
}

/* One element column i against the archived field j. */
static int
match_field(struct row_match *m, const struct field *fi, int null,
    const char *name, const struct doc_row *r, size_t j, const char **why)
{
	const char *v;
	char what[300];
	size_t len = 0;

	if (strcmp(r->field_name[j], name) != 0)
		return say(m, why, "field %zu is <%s> in the archive, the "
		    "header makes it <%s>", j + 1, r->field_name[j], name);
	if (null && m->shape.null_as == NULL_AS_NIL) {
		if (!r->nil[j] || r->len[j])
			return say(m, why, "field <%s> is null in the input, "
			    "%s in the archive", name, shown(&m->shown[1],
			    r->value[j], r->len[j]));
		return 0;
	}
	if (r->nil[j])
		return say(m, why, "field <%s> is xsi:nil in the archive, not "
		    "null in the input", name);
	if (written(m, null ? &(struct field){ "", 0, 0 } : fi, &v, &len) < 0)
		return -1;
	if (len != r->len[j] || memcmp(v, r->value[j], len) != 0) {
		snprintf(what, sizeof(what), "field %zu (%s)", j + 1, name);
		return differs(m, why, what, v, len, r->value[j], r->len[j]);
	}
	return 0;
}

uint32_t
row_match_width(const struct row_match *m, const struct field *f,
    uint32_t n)
{
	const struct xml_shape *s = &m->shape;
	uint32_t i, width = 0;

	for (i = 0; i < n; i++)
		if (!xml_shape_is_attr(s, i) && !(s->nnulls &&
		    s->null_as == NULL_AS_OMIT && xml_shape_is_null(s, &f[i])))
			width++;
	return width;
}

int
row_match(struct row_match *m, const struct field *f, uint32_t n,
    const struct field *header, uint32_t ncols, const struct doc_row *r,
    const char **why)
{
	const struct xml_shape *s = &m->shape;
	size_t j = 0;
	uint32_t i;
	int null, rc;

	if ((rc = match_attrs(m, f, n, r, why)) != 0)
		return rc;
	if (xml_names_build(&m->names, header, ncols, n > ncols ? n : ncols) < 0)
		return fail_nomem("verify");
	for (i = 0; i < n; i++) {
		if (xml_shape_is_attr(s, i))
			continue;
		null = s->nnulls && xml_shape_is_null(s, &f[i]);
		if (null && s->null_as == NULL_AS_OMIT) {
			if (j < r->nfields &&
			    strcmp(r->field_name[j], m->names.name[i]) == 0)
				return say(m, why, "field <%s> is null in the "
				    "input (left out), written in the archive",
				    m->names.name[i]);
			continue;
		}
		if (j == r->nfields)
			return say(m, why, "field <%s> is missing from the "
			    "archive", m->names.name[i]);
		if ((rc = match_field(m, &f[i], null, m->names.name[i], r, j,
		    why)) != 0)
			return rc;
		j++;
	}
	if (j < r->nfields)
		return say(m, why, "the archive has %zu more field%s (<%s>...)",
		    r->nfields - j, r->nfields - j == 1 ? "" : "s",
		    r->field_name[j]);
	return 0;
}
