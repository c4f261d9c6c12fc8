/*
 * xml_shape.h - the shape of the documents (SPEC "Shape of the
 * documents"): root and row names, the namespace, provenance, null
 * strings, layout, and which columns are attributes of the row.
 *
 * xml_shape_set takes the options once per run; xml_shape_resolve
 * matches --attr against one input's header, once per distinct header:
 * a COL is a header cell exactly as in the input (the first such column
 * when headers repeat) or, failing that, a 1-based column number.  The
 * attributes come in column order, after line, named by the element-name
 * rules (xml_names.h) without the de-duplication, which is what makes a
 * clash visible; a name that would be "xmlns" gets the leading '_'.
 */
#ifndef CSVPACK_XML_SHAPE_H
#define CSVPACK_XML_SHAPE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "options.h"
#include "record.h"

#define XML_SHAPE_XSI "http://www.w3.org/2001/XMLSchema-instance"

struct xml_shape {
	int custom;               /* 0: the default shape, nothing to check */
	const char *root, *row;   /* as written: "P:name" under a prefix */
	const char *prefix;       /* NULL: none */
	const char *xmlns;        /* the URI, cleaned; NULL: none */
	const char *xmlns_attr;   /* "xmlns" or "xmlns:P" */
	enum provenance provenance;
	enum null_as null_as;
	enum layout layout;
	char *const *nulls;
	uint32_t *null_len;
	uint32_t nnulls;
	char *const *attr_cols;
	uint32_t nattr_cols;
	struct buf owned;         /* the strings above that are ours */
	size_t root_off, row_off, xmlns_off, xmlns_attr_off;
	/* Per header, from xml_shape_resolve. */
	struct buf key;           /* the header resolved last */
	int resolved;
	uint32_t ncols;           /* is_attr covers columns [0, ncols) */
	unsigned char *is_attr;   /* 1 if column i is an attribute */
	uint32_t nattr;
	uint32_t *attr_col;       /* the attributes' columns, ascending */
	const char **attr_name;
	struct buf attr_bytes;
	uint32_t cap;
};

/* The default shape (today's documents). */
void xml_shape_init(struct xml_shape *s);
void xml_shape_free(struct xml_shape *s);
/* Takes the shape options of o (which must outlive s).  Returns 0, or -1
 * with errno EINVAL (a root, row or prefix that is not a name without a
 * colon, a prefix xml, xmlns, or xsi under --null-as nil, an empty
 * --xmlns) or ENOMEM.  The option parser refuses those first. */
int xml_shape_set(struct xml_shape *s, const struct options *o);
/* Resolves --attr against the header cells of an input named source.
 * Returns 0, or -1 after saying why (fail.h): FAIL_DATA for a COL that
 * matches no column or attributes that clash, naming the input and the
 * COLs; FAIL_SYS when out of memory. */
int xml_shape_resolve(struct xml_shape *s, const char *source,
    const struct field *header, uint32_t ncols);

/* 1 if f is null: unquoted and equal to one of the --null strings. */
static inline int
xml_shape_is_null(const struct xml_shape *s, const struct field *f)
{
	uint32_t i;

	if (f->quoted)
		return 0;
	for (i = 0; i < s->nnulls; i++)
		if (s->null_len[i] == f->len &&
		    memcmp(s->nulls[i], f->s, f->len) == 0)
			return 1;
	return 0;
}

static inline int
xml_shape_is_attr(const struct xml_shape *s, uint32_t col)
{
	return col < s->ncols && s->is_attr[col];
}

#endif
