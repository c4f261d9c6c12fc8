/*
 * escape.h - a name as one token of a line file (the journal, the metas).
 *
 * csvpack's own line files hold names of inputs and archives, which may
 * hold any byte but NUL.  So that a line splits on single spaces and never
 * holds a CR or LF of a name, a name is written with every byte <= ' ',
 * '%' and DEL as %XX (upper-case hex): "in dir/b 100%.csv" is
 * "in%20dir/b%20100%25.csv".  Reading undoes that, and refuses a byte the
 * writer would have escaped, a bad %XX and %00.
 */
#ifndef CSVPACK_ESCAPE_H
#define CSVPACK_ESCAPE_H

#include <stddef.h>

#include "buf.h"

/* Appends s, escaped.  0, or -1 with errno ENOMEM. */
int escape_append(struct buf *b, const char *s);
/* Decodes the token s into out[0..size), NUL-terminated.  -1 if s is
 * empty, holds a byte the writer escapes, a bad %XX or %00, or does not
 * fit; nothing printed. */
int unescape(const char *s, char *out, size_t size);

#endif
