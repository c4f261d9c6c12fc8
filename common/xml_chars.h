/*
 * xml_chars.h - the characters XML 1.0 cannot carry, and what csvpack
 * writes instead: U+FFFD.
 *
 * The converter cleans every value and the input's name before they go
 * into a document; `csvpack verify` cleans the input's fields and names
 * the same way before it compares them with the archived documents, so
 * one definition serves both.
 */
#ifndef CSVPACK_XML_CHARS_H
#define CSVPACK_XML_CHARS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Replaces characters XML 1.0 cannot carry (U+0000-U+0008, U+000B,
 * U+000C, U+000E-U+001F, U+FFFE, U+FFFF) by U+FFFD.  Returns s itself when
 * there are none, else the cleaned copy in out (NUL-terminated); *count
 * gets the number replaced; NULL when out of memory. */
const char *xml_clean_value(const char *s, size_t len, struct buf *out,
    uint64_t *count);

/* An input's name is bytes, not text: invalid UTF-8 and characters XML
 * cannot carry become U+FFFD.  Returns the cleaned copy in out, or NULL
 * when out of memory. */
const char *xml_clean_name(const char *s, struct buf *out);

#endif
