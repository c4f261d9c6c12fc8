/*
 * xml_schema.c - see xml_schema.h.
 */
#include "xml_schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "fail.h"
#include "input.h"
#include "msg.h"
#include "outdir.h"
#include "sysio.h"
#include "xml_chars.h"
#include "xml_names.h"
#include "xml_shape.h"

/* Hidden and ending in .tmp: what a crash leaves, staging_clean
 * removes. */
#define TMP_NAME "." XML_SCHEMA_FILE ".tmp"

static int
put(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* s as an attribute value: the markup characters as entities, TAB, LF
 * and CR as character references (which attribute-value normalisation
 * keeps, as the writer does for the documents' own attributes). */
static int
put_value(struct buf *b, const char *s)
{
	const char *run = s, *rep;
	char ref[8];

	for (; *s; s++) {
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\t': case '\n': case '\r':
			snprintf(ref, sizeof(ref), "&#%d;", *s);
			rep = ref;
			break;
		default:
			continue;
		}
		if (buf_append(b, run, (size_t)(s - run)) < 0 || put(b, rep) < 0)
			return -1;
		run = s + 1;
	}
	return buf_append(b, run, (size_t)(s - run));
}

/* indent, then <xs:TAG name="NAME" and the rest (which closes it). */
static int
put_decl(struct buf *b, const char *indent, const char *tag,
    const char *name, const char *rest)
{
	return put(b, indent) < 0 || put(b, "<xs:") < 0 || put(b, tag) < 0 ||
	    put(b, " name=\"") < 0 || put_value(b, name) < 0 ||
	    put(b, "\"") < 0 || put(b, rest) < 0 ? -1 : 0;
}

/* 1 if name may be declared: libxml2 checks a declaration's name as an
 * xs:NCName by the XML 1.0 4th-edition rules (xmlValidateNCName), which
 * leave out letters the 5th edition, and so a document, allows. */
static int
declarable(const char *name)
{
	return xmlValidateNCName((const xmlChar *)name, 0) == 0;
}

const char *
xml_schema_undeclarable(const struct options *o,
    const char *const *elements, size_t nel, const char *const *attrs,
    size_t nattr)
{
	const char *root = o->root_name ? o->root_name : "table";
	const char *row = o->row_name ? o->row_name : "row";
	size_t i;

	if (!declarable(root))
		return root;
	if (!declarable(row))
		return row;
	for (i = 0; i < nel + nattr; i++)
		if (!declarable(i < nel ? elements[i] : attrs[i - nel]))
			return i < nel ? elements[i] : attrs[i - nel];
	return NULL;
}

int
xml_schema_build(struct buf *out, const struct options *o,
    const char *const *elements, size_t nel, const char *const *attrs,
    size_t nattr)
{
	const char *root = o->root_name ? o->root_name : "table";
	const char *row = o->row_name ? o->row_name : "row";
	int nulls = o->nulls && o->nnulls > 0;
	const char *col;
	struct buf clean;
	const char *uri = NULL;
	size_t i;
	int rc = -1;

	if (o->ragged && nulls && o->null_as == NULL_AS_OMIT)
		return errno = EINVAL, -1;
	if (xml_schema_undeclarable(o, elements, nel, attrs, nattr))
		return errno = EILSEQ, -1;
	col = !nulls ? " type=\"xs:string\"/>\n" :
	    o->null_as == NULL_AS_NIL ?
	    " type=\"xs:string\" nillable=\"true\"/>\n" :
	    o->null_as == NULL_AS_OMIT ?
	    " type=\"xs:string\" minOccurs=\"0\"/>\n" :
	    " type=\"xs:string\"/>\n";
	buf_init(&clean, 0);
	/* The namespace as the documents declare it: cleaned the same way
	 * (xml_shape.c). */
	if (o->xmlns && !(uri = xml_clean_name(o->xmlns, &clean)))
		goto nomem;
	if (put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<xs:schema xmlns:xs=\"" XML_SCHEMA_NS "\"") < 0 ||
	    (uri && (put(out, " targetNamespace=\"") < 0 ||
	    put_value(out, uri) < 0 ||
	    put(out, "\" elementFormDefault=\"qualified\"") < 0)) ||
	    put(out, ">\n") < 0 ||
	    put_decl(out, "  ", "element", root, ">\n") < 0 ||
	    put(out, "    <xs:complexType>\n"
	    "      <xs:sequence>\n") < 0 ||
	    put_decl(out, "        ", "element", row,
	    " minOccurs=\"0\" maxOccurs=\"unbounded\">\n") < 0 ||
	    put(out, "          <xs:complexType>\n") < 0)
		goto nomem;
	if (nel || o->ragged) {
		if (put(out, "            <xs:sequence>\n") < 0)
			goto nomem;
		for (i = 0; i < nel; i++)
			if (put_decl(out, "              ", "element",
			    elements[i], col) < 0)
				goto nomem;
		/* --ragged: the columns past the header (fieldN). */
		if (o->ragged && put(out, "              <xs:any "
		    "processContents=\"skip\" minOccurs=\"0\" "
		    "maxOccurs=\"unbounded\"/>\n") < 0)
			goto nomem;
		if (put(out, "            </xs:sequence>\n") < 0)
			goto nomem;
	}
	if (o->provenance == PROVENANCE_ALL && put(out,
	    "            <xs:attribute name=\"line\" "
	    "type=\"xs:positiveInteger\" use=\"required\"/>\n") < 0)
		goto nomem;
	/* Optional: a null one is left out. */
	for (i = 0; i < nattr; i++)
		if (put_decl(out, "            ", "attribute", attrs[i],
		    " type=\"xs:string\"/>\n") < 0)
			goto nomem;
	if (put(out, "          </xs:complexType>\n"
	    "        </xs:element>\n"
	    "      </xs:sequence>\n") < 0 ||
	    (o->provenance != PROVENANCE_NONE && put(out,
	    "      <xs:attribute name=\"source\" type=\"xs:string\" "
	    "use=\"required\"/>\n"
	    "      <xs:attribute name=\"sid\" type=\"xs:positiveInteger\" "
	    "use=\"required\"/>\n") < 0) ||
	    put(out, "    </xs:complexType>\n"
	    "  </xs:element>\n"
	    "</xs:schema>\n") < 0)
		goto nomem;
	rc = 0;
	if (0) {
nomem:
		errno = ENOMEM;
	}
	buf_free(&clean);
	return rc;
}

void
xml_schema_state_init(struct xml_schema_state *st)
{
	memset(st, 0, sizeof(*st));
	buf_init(&st->names, 0);
	buf_init(&st->text, 0);
}

void
xml_schema_state_free(struct xml_schema_state *st)
{
	free(st->input);
	buf_free(&st->names);
	buf_free(&st->text);
	memset(st, 0, sizeof(*st));
}

/* The n-th name kept (elements first, then attributes). */
static const char *
kept_name(const struct xml_schema_state *st, size_t n)
{
	const char *p = (const char *)st->names.data;

	while (n--)
		p += strlen(p) + 1;
	return p;
}

/* Says how these columns differ from the staged ones, and refuses. */
static int
refuse(const struct xml_schema_state *st, const char *const *elements,
    size_t nel, const char *const *attrs, size_t nattr, const char *input)
{
	const char *what = "element", *was, *is;
	size_t i, n = nel < st->nel ? nel : st->nel;

	for (i = 0; i < n; i++)
		if (strcmp(elements[i], kept_name(st, i)) != 0)
			break;
	if (i == n && nel == st->nel) {
		what = "attribute";
		n = nattr < st->nattr ? nattr : st->nattr;
		for (i = 0; i < n; i++)
			if (strcmp(attrs[i], kept_name(st, st->nel + i)) != 0)
				break;
	}
	if (i < n) {
		was = kept_name(st, (*what == 'e' ? 0 : st->nel) + i);
		is = *what == 'e' ? elements[i] : attrs[i];
		msg_warn("%s: --xsd: its columns differ from those of %s, "
		    "whose schema.xsd this run's archives hold (one schema a "
		    "run): %s %zu is \"%s\" there, \"%s\" here", input,
		    st->input, what, i + 1, was, is);
	} else {
		msg_warn("%s: --xsd: its columns differ from those of %s, "
		    "whose schema.xsd this run's archives hold (one schema a "
		    "run): %zu %s%s there, %zu here", input, st->input,
		    *what == 'e' ? st->nel : st->nattr, what,
		    (*what == 'e' ? st->nel : st->nattr) == 1 ? "" : "s",
		    *what == 'e' ? nel : nattr);
	}
	return fail_note(FAIL_DATA);
}

static int
same_columns(const struct xml_schema_state *st, const char *const *elements,
    size_t nel, const char *const *attrs, size_t nattr)
{
	const char *p = (const char *)st->names.data;
	size_t i, len;

	if (nel != st->nel || nattr != st->nattr)
		return 0;
	for (i = 0; i < nel + nattr; i++) {
		len = strlen(p);
		if (strcmp(p, i < nel ? elements[i] : attrs[i - nel]) != 0)
			return 0;
		p += len + 1;
	}
	return 1;
}

/* 1 if staging already holds exactly this schema (an interrupted run
 * left it), 0 if not or none, -1 after saying why.  The schema is
 * st->text's first want bytes; the file is read in after them. */
static int
staged_same(struct xml_schema_state *st, int dirfd, const char *path,
    size_t want)
{
	ssize_t n;
	int fd, rc;

	rc = outdir_open_read(dirfd, path, XML_SCHEMA_FILE, &fd);
	if (rc <= 0)
		return rc;
	if (buf_reserve(&st->text, want + 1) < 0) {
		sys_close(fd);
		return fail_nomem(path);
	}
	/* One byte more than the schema: a longer file is another one. */
	n = read_full(fd, st->text.data + want, want + 1);
	if (n < 0) {
		fail_sys("%s/%s: read", path, XML_SCHEMA_FILE);
		sys_close(fd);
		return -1;
	}
	sys_close(fd);
	return (size_t)n == want &&
	    memcmp(st->text.data, st->text.data + want, want) == 0;
}

/* st->text[0..len) -> staging/schema.xsd, durably, by way of TMP_NAME. */
static int
write_staged(struct xml_schema_state *st, int dirfd, const char *path,
    size_t len)
{
	int fd, saved;

	if ((fd = outdir_create_tmp(dirfd, path, TMP_NAME, 0644)) < 0)
		return -1;
	if (write_full(fd, st->text.data, len) < 0 || sys_fsync(fd) < 0) {
		saved = errno;
		sys_close(fd);
		unlinkat(dirfd, TMP_NAME, 0);
		errno = saved;
		return fail_sys("%s/%s", path, TMP_NAME);
	}
	if (sys_close(fd) < 0 || renameat(dirfd, TMP_NAME, dirfd,
	    XML_SCHEMA_FILE) < 0) {
		saved = errno;
		unlinkat(dirfd, TMP_NAME, 0);
		errno = saved;
		return fail_sys("%s/%s", path, XML_SCHEMA_FILE);
	}
	if (sys_fsync(dirfd) < 0)
		return fail_sys("%s: fsync", path);
	return 0;
}

/* xml_schema_build failed: says why, as the kind of failure it is. */
static int
build_failed(const struct options *o, const char *const *elements,
    size_t nel, const char *const *attrs, size_t nattr, const char *input)
{
	const char *bad;

	if (errno == EINVAL)
		return fail_usage("--xsd: --ragged with --null-as omit has no "
		    "deterministic schema (a column past the header cannot "
		    "be told from an omitted one); use --null-as nil or "
		    "empty");
	if (errno != EILSEQ)
		return fail_nomem(input);
	bad = xml_schema_undeclarable(o, elements, nel, attrs, nattr);
	if (bad == o->root_name || bad == o->row_name || !bad)
		return fail_usage("--xsd: \"%s\" (--root or --row) is an XML "
		    "name but not one XML Schema declares (an NCName by the "
		    "XML 1.0 4th-edition rules libxml2 applies)",
		    bad ? bad : "?");
	msg_warn("%s: --xsd: the column name \"%s\" is an XML name but not "
	    "one XML Schema declares (an NCName by the XML 1.0 4th-edition "
	    "rules libxml2 applies); rename that header", input, bad);
	return fail_note(FAIL_DATA);
}

int
xml_schema_stage(struct xml_schema_state *st, int staging_fd,
    const char *staging_path, const struct options *o,
    const char *const *elements, size_t nel, const char *const *attrs,
    size_t nattr, const char *input)
{
	size_t i, len;
	int rc;

	if (!o->xsd)
		return 0;
	if (st->staged) {
		if (same_columns(st, elements, nel, attrs, nattr))
			return 0;
		return refuse(st, elements, nel, attrs, nattr, input);
	}
	buf_reset(&st->text);
	if (xml_schema_build(&st->text, o, elements, nel, attrs, nattr) < 0)
		return build_failed(o, elements, nel, attrs, nattr, input);
	len = st->text.len;
	if ((rc = staged_same(st, staging_fd, staging_path, len)) < 0 ||
	    (rc == 0 && write_staged(st, staging_fd, staging_path, len) < 0))
		return -1;
	buf_reset(&st->names);
	for (i = 0; i < nel + nattr; i++) {
		const char *n = i < nel ? elements[i] : attrs[i - nel];

		if (buf_append(&st->names, n, strlen(n) + 1) < 0)
			return fail_nomem(input);
	}
	free(st->input);
	if (!(st->input = strdup(input)))
		return fail_nomem(input);
	st->nel = nel;
	st->nattr = nattr;
	st->staged = 1;
	return 0;
}

/* The header's columns as the converter names them: elements, then the
 * --attr attributes.  *el is malloc'd; the names stay in n and s. */
static int
header_columns(struct xml_names *n, struct xml_shape *s, const char *name,
    const struct field *header, uint32_t ncols, const char ***el,
    size_t *nel)
{
	uint32_t i;

	*el = NULL;
	*nel = 0;
	if (xml_shape_resolve(s, name, header, ncols) < 0)
		return -1;
	if (xml_names_build(n, header, ncols, ncols) < 0)
		return fail_nomem(name);
	if (!(*el = calloc(ncols ? ncols : 1, sizeof(**el))))
		return fail_nomem(name);
	for (i = 0; i < ncols; i++)
		if (!xml_shape_is_attr(s, i))
			(*el)[(*nel)++] = n->name[i];
	return 0;
}

int
xml_schema_print(const struct options *o, const char *input)
{
	struct xml_shape shape;
	struct xml_names names;
	struct input in;
	struct buf text;
	const char **el = NULL;
	size_t nel = 0;
	int rc = -1;

	if (!input) {
		if (o->ninputs + (o->schema_input != NULL) > 1)
			return fail_usage("--schema reads one input's header");
		input = o->schema_input ? o->schema_input :
		    o->ninputs ? o->inputs[0] : "-";
	}
	xml_shape_init(&shape);
	xml_names_init(&names);
	buf_init(&text, 0);
	if (xml_shape_set(&shape, o) < 0) {
		if (errno == ENOMEM)
			fail_nomem("converter");
		else
			fail_usage("the document shape is not valid: --root, "
			    "--row and --xmlns-prefix must be XML names "
			    "without a colon, the prefix neither xml nor xmlns "
			    "(nor xsi under --null-as nil) and given with a "
			    "non-empty --xmlns");
		goto out;
	}
	/* Only the header is read: input_open stops there (under
	 * --no-header, after the first row, which gives the width). */
	if (input_open(&in, input, o, 0) == 0 &&
	    header_columns(&names, &shape, input, in.header, in.ncols, &el,
	    &nel) == 0) {
		if (xml_schema_build(&text, o, el, nel,
		    (const char *const *)shape.attr_name, shape.nattr) < 0) {
			build_failed(o, el, nel,
			    (const char *const *)shape.attr_name, shape.nattr,
			    input);
		} else if (write_full(STDOUT_FILENO, text.data, text.len) < 0) {
			fail_sys("stdout");
		} else {
			rc = 0;
		}
	}
	input_close(&in);
out:
	free(el);
	buf_free(&text);
	xml_names_free(&names);
	xml_shape_free(&shape);
	return rc;
}
