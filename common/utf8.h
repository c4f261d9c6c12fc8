/*
 * utf8.h - the one UTF-8 decoder: what a valid character is, and which
 * code point it stands for.
 *
 * Valid is RFC 3629: the shortest form only (no overlongs: C0 and C1
 * never lead, E0 needs A0..BF after it, F0 needs 90..BF), no surrogates
 * (U+D800..DFFF: ED needs 80..9F), nothing past U+10FFFF (F4 needs
 * 80..8F, F5..FF never lead), every continuation byte 80..BF, none cut
 * off by the end.  The CSV reader checks rows with utf8_valid; the XML
 * writer cleans input names with utf8_char_len; element names decode
 * header cells with utf8_decode.
 */
#ifndef CSVPACK_UTF8_H
#define CSVPACK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length (1 to 4) of the valid character at p, with n bytes left, and
 * its code point in *cp; 0 if p[0..n) does not start with one (n == 0
 * included), *cp then unchanged. */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);
/* The same without the code point. */
size_t utf8_char_len(const unsigned char *p, size_t n);
/* 1 if p[0..n) is valid UTF-8, else 0.  ASCII goes eight bytes at a
 * time: it is most of most CSV files. */
int utf8_valid(const unsigned char *p, size_t n);

#endif
