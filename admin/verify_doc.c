/*
 * verify_doc.c - see verify_doc.h.
 */
#include "verify_doc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"
#include "problems.h"
#include "xml_chars.h"

static const char *
where(const struct verifier *v)
{
	return (const char *)v->where.data;
}

int
verify_doc_begin(struct verifier *v, uint64_t sid, const struct doc_meta *m)
{
	struct buf names = v->doc.names;

	memset(&v->doc, 0, sizeof(v->doc));
	buf_reset(&names);
	v->doc.names = names;
	v->doc.m = m;
	v->doc.sid = sid;
	if (v->comparing && m)
		return compare_doc_begin(&v->cmp, m, where(v));
	return 0;
}

/* A positive decimal number, all of s; 0 if it is not one. */
static uint64_t
number(const char *s)
{
	uint64_t x = 0;

	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
			return 0;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	return x;
}

static int
same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The root as the run's shape options make it: its name, its namespace
 * (--xmlns, --xmlns-prefix) and its provenance attributes. */
static int
check_root_shape(struct verifier *v, const struct doc_root *root)
{
	const struct options *o = v->o;
	int prov = o->provenance != PROVENANCE_NONE;

	if (strcmp(root->name, o->root_name) != 0 && problem("%s: the root "
	    "element is <%s>, not <%s>", where(v), root->name,
	    o->root_name) < 0)
		return -1;
	if (!same(root->uri, o->xmlns) && problem("%s: the root's namespace "
	    "is %s%s%s, not %s%s%s", where(v), root->uri ? "\"" : "",
	    root->uri ? root->uri : "none", root->uri ? "\"" : "",
	    o->xmlns ? "\"" : "", o->xmlns ? o->xmlns : "none",
	    o->xmlns ? "\"" : "") < 0)
		return -1;
	if (!same(root->prefix, o->xmlns_prefix) && problem("%s: the root's "
	    "prefix is %s, not %s", where(v), root->prefix ? root->prefix :
	    "none", o->xmlns_prefix ? o->xmlns_prefix : "none") < 0)
		return -1;
	if (prov && (!root->source || !root->sid))
		return problem("%s: the root has no %s (--provenance %s writes "
		    "it)", where(v), root->source ? "sid" : "source",
		    o->provenance == PROVENANCE_ALL ? "all" : "doc");
	if (!prov && (root->source || root->sid))
		return problem("%s: the root has a %s (--provenance none writes "
		    "none)", where(v), root->source ? "source" : "sid");
	return 0;
}

static int
on_root(const struct doc_root *root, void *arg)
{
	struct verifier *v = arg;
	const struct doc_meta *m = v->doc.m;
	const char *want;

	if (check_root_shape(v, root) < 0)
		return -1;
	if (root->sid && number(root->sid) != v->doc.sid &&
	    problem("%s: sid is \"%s\", the member's name says %" PRIu64,
	    where(v), root->sid, v->doc.sid) < 0)
		return -1;
	if (!m || !root->source || m->first_row == 0)
		return 0;
	if (!(want = xml_clean_name(m->source, &v->clean)))
		return fail_nomem("verify");
	if (strcmp(root->source, want) != 0)
		return problem("%s: source is \"%s\", the journal says \"%s\"",
		    where(v), root->source, want);
	return 0;
}

/* The row's line: ascending, and inside the journal's lines. */
static int
check_line(struct verifier *v, const struct doc_row *r)
{
	const struct doc_meta *m = v->doc.m;
	uint64_t line = number(r->line);

	if (!r->line != (v->o->provenance != PROVENANCE_ALL)) {
		if (v->doc.line_said++)
			return 0;
		return problem("%s: row %" PRIu64 " %s a line attribute "
		    "(--provenance %s)", where(v), r->index, r->line ? "has" :
		    "lacks", v->o->provenance == PROVENANCE_ALL ? "all" :
		    v->o->provenance == PROVENANCE_DOC ? "doc" : "none");
	}
	if (!r->line)
		return 0;
	if (!line)
		return problem("%s: row %" PRIu64 ": line \"%s\" is not a line "
		    "number", where(v), r->index, r->line);
	if (line <= v->doc.prev_line && !v->doc.order_said++ &&
	    problem("%s: row %" PRIu64 " is on line %" PRIu64 ", not after "
	    "row %" PRIu64 "'s line %" PRIu64 ": rows out of order", where(v),
	    r->index, line, r->index - 1, v->doc.prev_line) < 0)
		return -1;
	v->doc.prev_line = line;
	if (!m || !m->first_line || v->doc.range_said)
		return 0;
	if (r->index == 1 && line != m->first_line) {
		v->doc.range_said = 1;
		return problem("%s: row 1 is on line %" PRIu64 ", the journal "
		    "says the document starts on line %" PRIu64, where(v),
		    line, m->first_line);
	}
	if (line > m->last_line) {
		v->doc.range_said = 1;
		return problem("%s: row %" PRIu64 " is on line %" PRIu64 ", the "
		    "journal says the document ends on line %" PRIu64, where(v),
		    r->index, line, m->last_line);
	}
	return 0;
}

/* Every row of a document has the same columns: its field names are the
 * first row's, position by position (a wider row under --ragged adds
 * fieldN names after them). */
static int
check_names(struct verifier *v, const struct doc_row *r)
{
	const char *want = (const char *)v->doc.names.data;
	size_t i;

	if (!v->doc.names_said && strcmp(r->name, v->o->row_name) != 0) {
		v->doc.names_said = 1;
		return problem("%s: row %" PRIu64 " is <%s>, not <%s>", where(v),
		    r->index, r->name, v->o->row_name);
	}
	/* Under --null-as omit a row lacks its null columns: positions
	 * differ, rightly (with inputs, row_match.h checks every name). */
	if (v->o->nnulls && v->o->null_as == NULL_AS_OMIT)
		return 0;
	if (r->index == 1) {
		for (i = 0; i < r->nfields; i++)
			if (buf_append(&v->doc.names, r->field_name[i],
			    strlen(r->field_name[i]) + 1) < 0)
				return fail_nomem("verify");
		v->doc.nnames = r->nfields;
		return 0;
	}
	for (i = 0; i < r->nfields && i < v->doc.nnames; i++) {
		if (strcmp(r->field_name[i], want) != 0 && !v->doc.names_said++)
			return problem("%s: row %" PRIu64 ", field %zu is <%s>, "
			    "row 1's is <%s>", where(v), r->index, i + 1,
			    r->field_name[i], want);
		want += strlen(want) + 1;
	}
	return 0;
}

static int
on_row(const struct doc_row *r, void *arg)
{
	struct verifier *v = arg;

	v->doc.rows++;
	v->rows++;
	if (check_line(v, r) < 0 || check_names(v, r) < 0)
		return -1;
	if (v->comparing && v->doc.m)
		return compare_row(&v->cmp, r);
	return 0;
}

void
verify_doc_callbacks(struct verifier *v, struct doc_callbacks *cb)
{
	cb->on_root = on_root;
	cb->on_row = on_row;
	cb->arg = v;
}

int
verify_rows_lost(struct verifier *v, const struct doc_meta *m,
    const char *why)
{
	if (m->first_row == 0)
		return 0; /* a document of unknown origin */
	if (v->comparing && compare_find(&v->cmp, m->source))
		return ranges_note(&v->ranges, m->source);
	return ranges_lost(&v->ranges, m, why);
}

int
verify_doc_end(struct verifier *v, int read_through, int well_formed)
{
	const struct doc_meta *m = v->doc.m;
	uint64_t want;

	if (v->comparing && m && compare_doc_end(&v->cmp) < 0)
		return -1;
	if (!m || m->first_row == 0)
		return 0;
	want = m->last_row - m->first_row + 1;
	if (well_formed && v->doc.rows != want &&
	    problem("%s: holds %" PRIu64 " row%s, the journal says %" PRIu64
	    " (rows %" PRIu64 "-%" PRIu64 " of %s)", where(v), v->doc.rows,
	    v->doc.rows == 1 ? "" : "s", want, m->first_row, m->last_row,
	    m->source) < 0)
		return -1;
	if (!read_through)
		return 0;
	return ranges_add(&v->ranges, m, where(v));
}
