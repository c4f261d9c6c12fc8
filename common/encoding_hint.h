/*
 * encoding_hint.h - UTF-8 checked as it streams, and when it is not UTF-8,
 * advice on what it may be.
 *
 * struct utf8_check is a csv_source that hands out another source's bytes
 * as long as they are valid UTF-8 (utf8.h's rules), a character split
 * between two reads included.  At the first invalid byte it hands out
 * every byte before the character it begins (or cuts short), then read()
 * fails with EILSEQ; utf8_check_what() then says which byte and at which
 * column of its line (columns count characters, from 1), and keeps a
 * window of the bytes around it.  A character cut short by the end of the
 * input is invalid too.
 *
 * The advice is only advice: encoding_hint() tries a few encodings (CP1252
 * and GB18030, and UTF-16LE/BE when every other byte is zero) with iconv
 * on that window and keeps those whose text reads sensibly: no control
 * characters, no private-use or replacement characters, and for CP1252
 * non-ASCII letters alone or in pairs between ASCII ones, for GB18030
 * Chinese characters mostly made of two high bytes.  Nothing is decoded
 * by a guess: the user chooses.  When the input before the bad byte had
 * non-ASCII UTF-8 in it, it is UTF-8 damaged rather than another encoding,
 * and nothing is suggested.
 */
#ifndef CSVPACK_ENCODING_HINT_H
#define CSVPACK_ENCODING_HINT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "csv.h"

#define HINT_BEFORE 64  /* bytes kept before the bad one */
#define HINT_AFTER 96   /* and from it on */

struct utf8_check {
	struct csv_source inner;
	/* A character begun at the end of the last read. */
	unsigned char part[4];
	size_t part_len;
	uint64_t part_col;     /* its column */
	uint64_t handed;       /* bytes handed out */
	uint64_t col;          /* characters handed out since the last line end */
	unsigned char head[3]; /* the first bytes handed out */
	size_t head_len;
	unsigned char tail[HINT_BEFORE]; /* the last bytes handed out */
	size_t tail_len;
	int saw_multibyte;     /* valid non-ASCII UTF-8 was handed out */
	int eof;
	int failed;            /* 1: invalid UTF-8 found; -1: inner failed */
	int err_errno;
	/* The bad character, once failed == 1. */
	unsigned char bad_byte;
	uint64_t bad_col;
	uint64_t bad_offset;   /* in the input */
	unsigned char win[HINT_BEFORE + HINT_AFTER];
	size_t win_len, win_bad; /* the bad byte is win[win_bad] */
};

void utf8_check_init(struct utf8_check *c, struct csv_source inner);
ssize_t utf8_check_read(void *ctx, void *buf, size_t n); /* ctx: utf8_check */
/* "not valid UTF-8 (byte 0x93 at column 14)", once read() failed with
 * EILSEQ. */
void utf8_check_what(const struct utf8_check *c, char *out, size_t n);
/* The line of the bad byte when the reader above could not have counted
 * it (it failed before taking the first three bytes: csv.c looks for a
 * BOM first), else 0. */
uint64_t utf8_check_early_line(const struct utf8_check *c);

#define HINT_MAX 4

struct hint {
	const char *enc[HINT_MAX];
	size_t n;
};

/* 1 if p[0..n), read as encoding (cut anywhere at its end), is text that
 * reads sensibly; 0 if not or iconv cannot read it. */
int encoding_sensible(const char *encoding, const unsigned char *p,
    size_t n);
/* The encodings that read win[0..len) sensibly, the bad byte at win[bad],
 * win[0] at offset abs of the input (for UTF-16's byte order). */
void encoding_hint(const unsigned char *win, size_t len, size_t bad,
    uint64_t abs, struct hint *h);
/* The advice for c's failure, one line without the file's name: "try
 * --encoding CP1252", or why none is given. */
void utf8_check_advice(const struct utf8_check *c, char *out, size_t n);

#endif
