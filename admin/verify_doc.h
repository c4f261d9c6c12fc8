/*
 * verify_doc.h - one archived document checked as it is parsed: its root
 * against the member's name and the journal, its rows against the lines
 * the journal recorded (ascending, within the document's first and last
 * line), and each row handed to the input comparison.
 */
#ifndef CSVPACK_VERIFY_DOC_H
#define CSVPACK_VERIFY_DOC_H

#include "verify_archive.h"

/* Starts the document with sid (m: its journal line, or NULL) whose
 * where-name is in v->where.  0, or -1 after saying why. */
int verify_doc_begin(struct verifier *v, uint64_t sid,
    const struct doc_meta *m);
/* Fills in the callbacks for doc_parse.h. */
void verify_doc_callbacks(struct verifier *v, struct doc_callbacks *cb);
/* The document ends: read_through, all its bytes were read (the archive
 * was not cut inside it), and its rows count as archived; well_formed,
 * it also parsed to its end, and its row count is checked.  0 or -1. */
int verify_doc_end(struct verifier *v, int read_through, int well_formed);

#endif
