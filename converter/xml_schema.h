/*
 * xml_schema.h - the XML Schema of a run's documents (SPEC "Shape of the
 * documents", --xsd), and staging/schema.xsd, the copy the packer puts
 * first in every archive.
 *
 * The schema describes a document of the run's shape: the root (its
 * source and sid unless --provenance none), any number of rows (line
 * under --provenance all, the --attr attributes, optional since a null
 * one is left out) and in each row one element per column that is not
 * an attribute, in column order, xs:string: nillable under --null-as nil,
 * minOccurs="0" under omit (both only when --null is given).  Under
 * --xmlns the elements are qualified in that target namespace, the
 * attributes unqualified; the prefix is the documents' business, not
 * the schema's.  Under --ragged a row may hold more columns than its
 * header (fieldN): a wildcard after the header's columns takes them.
 *
 * The column names are what the converter writes (xml_names.h, then
 * without the --attr columns): the caller gives them as two arrays, so
 * this file does not care how --attr was resolved.  Names are local
 * (no "P:"), as written without a prefix.
 *
 * One schema per run: the first input's columns decide it, and a later
 * input with other columns is refused (exit 65), before any of its rows
 * is converted: a choice among per-input sequences that start alike is
 * not a deterministic content model.
 */
#ifndef CSVPACK_XML_SCHEMA_H
#define CSVPACK_XML_SCHEMA_H

#include <stddef.h>

#include "buf.h"
#include "options.h"

#define XML_SCHEMA_FILE "schema.xsd"
#define XML_SCHEMA_NS "http://www.w3.org/2001/XMLSchema"

/* Appends to out the schema of o's shape for these columns: elements[0..
 * nel) the row's child elements, attrs[0..nattr) its --attr attributes,
 * both in column order, both for the input's header columns only (under
 * --ragged the extra ones are the wildcard's).  Returns 0, or -1 with
 * errno ENOMEM; EINVAL when no deterministic schema exists: --ragged
 * with --null-as omit (an extra column cannot be told from an omitted
 * one); EILSEQ when a name cannot be declared (xml_schema_undeclarable).
 * Nothing is printed (xml_schema_stage and xml_schema_print say why). */
int xml_schema_build(struct buf *out, const struct options *o,
    const char *const *elements, size_t nel, const char *const *attrs,
    size_t nattr);
/* The first of the root, row, element and attribute names that a schema
 * cannot declare, or NULL: libxml2 checks a declaration's name as an
 * xs:NCName by the XML 1.0 4th-edition rules, which refuse some letters
 * (U+0140, U+10000 and up, ...) that the 5th edition, by which the
 * documents are written and parsed, allows. */
const char *xml_schema_undeclarable(const struct options *o,
    const char *const *elements, size_t nel, const char *const *attrs,
    size_t nattr);

/* What xml_schema_stage keeps between inputs. */
struct xml_schema_state {
	int staged;          /* schema.xsd stands in staging */
	char *input;         /* the input whose columns it has */
	struct buf names;    /* its elements, then attributes, each + NUL */
	size_t nel, nattr;
	struct buf text;     /* scratch: the schema, the file read back */
};

void xml_schema_state_init(struct xml_schema_state *st);
void xml_schema_state_free(struct xml_schema_state *st);

/* Under --xsd (o->xsd; otherwise it returns 0 at once), for every input's
 * header before any of its rows is converted (calling it for every
 * document is fine: a header already staged costs a comparison).  The
 * first call writes staging_path/schema.xsd (staging_fd) by way of a
 * temporary name created O_EXCL | O_NOFOLLOW, fsync'd and renamed, the
 * directory fsync'd: complete documents never stand beside a schema a
 * crash cut short.  One already there with the same text (an
 * interrupted run's, whose documents the packer packed first) is kept;
 * another is replaced.  A later call with other columns is refused:
 * "INPUT: --xsd: its columns differ from FIRST's, ...", FAIL_DATA (exit
 * 65).  Returns 0, or -1 after saying why: FAIL_DATA as above or for a
 * column name no schema can declare, FAIL_USAGE for EINVAL from
 * xml_schema_build or a --root/--row it cannot declare, FAIL_SYS for I/O
 * or memory. */
int xml_schema_stage(struct xml_schema_state *st, int staging_fd,
    const char *staging_path, const struct options *o,
    const char *const *elements, size_t nel, const char *const *attrs,
    size_t nattr, const char *input);

/* csvpack-converter --schema [FILE|-]: the schema for the header of
 * input (NULL: o->schema_input, else the one positional input, else
 * "-"), on stdout, without converting a row.  The header is read as the
 * pipeline reads it (common/input.h: --no-header, --encoding, a gzip'd
 * input), named and --attr resolved as the converter does.  Returns 0,
 * or -1 after saying why (a usage error for two inputs or a bad shape,
 * FAIL_DATA for a bad header or --attr column, FAIL_SYS for I/O). */
int xml_schema_print(const struct options *o, const char *input);

#endif
