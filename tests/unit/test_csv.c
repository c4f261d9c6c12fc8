/*
 * test_csv.c - unit tests of the streaming CSV reader (common/csv.h).
 *
 * The core is a table: each case gives input bytes (NUL, CR, LF and BOM
 * included), the delimiter, the check_utf8 flag and max_row, and what the
 * reader must give back: the rows, each with the physical line where it
 * starts and its fields with exact bytes and lengths and whether each was
 * quoted (F: unquoted, Q: quoted; `""` is a quoted empty field, nothing
 * an unquoted one: --null tells them apart), then either CSV_EOF
 * (and csv_bytes_read() == input length) or CSV_EDATA on an exact
 * csv_error_line().  The expectations follow SPEC.md "CSV accepted" and
 * csv.h; error lines are the line where the bad row starts.
 *
 * Boundary bugs live at chunk edges (a CRLF, a doubled quote, a BOM or a
 * UTF-8 sequence split between two reads), so every case is fed through a
 * source returning at most k bytes per read, for every k from 1 to the input
 * length + 1, and through sources whose chunk sizes vary pseudo-randomly
 * (fixed seeds, so a failure is reproducible).
 *
 * Then: a source failing with EIO or EILSEQ mid-stream (CSV_EIO, errno kept);
 * a field much larger than any read buffer; many rows with mixed line ends
 * and random fields, quoted or not, at every offset of a word
 * (utf8_valid() on its own table: test_utf8.c); and the third-party
 * csv-spectrum data (tests/conformance/csv-spectrum, read via csv_fd_read
 * and via chunked sources), checked against
 * tests/conformance/expected/NAME.txt, which tests/conformance/
 * make_expected.py writes from the JSON answers.  The data directory is
 * $CSVPACK_TESTDATA, "tests" by default.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "csv.h"

#define MAXF	8		/* fields in an expected row */
#define MAXR	4		/* rows in a table case */
#define ANYLINE	UINT64_MAX	/* expected row line not checked */
#define NSEEDS	16		/* random-chunk runs per input */
#define ANYQ	(-1)		/* expected field's quoting not checked */

struct xfield {
	const char *s;		/* NULL ends the row's fields */
	size_t n;
	int q;			/* 1: quoted, 0: not, ANYQ: either */
};

struct xrow {
	uint64_t line;		/* 0 ends the case's rows */
	struct xfield f[MAXF];
};

struct tcase {
	const char *name;
	const char *in;
	size_t inlen;
	char delim;
	int utf8;
	size_t max_row;
	struct xrow row[MAXR];
	uint64_t errline;	/* 0: ends at CSV_EOF; else CSV_EDATA here */
};

/* What one run of the reader must give: a table case, or one built here. */
struct expect {
	const char *name;
	const unsigned char *in;
	size_t inlen;
	char delim;
	int utf8;
	size_t max_row;
	const struct xrow *row;
	size_t nrows;
	uint64_t errline;
};

/* IN("...") gives bytes and length (sizeof keeps embedded NULs). */
#define IN(lit)		(lit), sizeof(lit) - 1
#define F(lit)		{ (lit), sizeof(lit) - 1, 0 }
#define Q(lit)		{ (lit), sizeof(lit) - 1, 1 }
#define R(line, ...)	{ (line), { __VA_ARGS__ } }
#define ROWS(...)	{ __VA_ARGS__ }
#define NOROWS		{ { 0, { { NULL, 0, 0 } } } }
#define OK		0

/*
 * Careful with hex escapes: "\xBFa" is one (too large) escape, so a hex
 * escape followed by a hex digit is split: "\xBF" "a".
 */
static const struct tcase cases[] = {
	/* line ends */
	{ "lf", IN("a,b\nc,d\n"), ',', 1, 0,
	    ROWS(R(1, F("a"), F("b")), R(2, F("c"), F("d"))), OK },
	{ "crlf", IN("a,b\r\nc,d\r\n"), ',', 1, 0,
	    ROWS(R(1, F("a"), F("b")), R(2, F("c"), F("d"))), OK },
	{ "cr", IN("a,b\rc,d\r"), ',', 1, 0,
	    ROWS(R(1, F("a"), F("b")), R(2, F("c"), F("d"))), OK },
	{ "mixed", IN("a\nb\r\nc\rd"), ',', 1, 0,
	    ROWS(R(1, F("a")), R(2, F("b")), R(3, F("c")), R(4, F("d"))), OK },
	{ "cr-then-crlf", IN("a\r\r\nb\n"), ',', 1, 0,
	    ROWS(R(1, F("a")), R(3, F("b"))), OK },
	{ "lf-then-cr", IN("a\n\rb\n"), ',', 1, 0,
	    ROWS(R(1, F("a")), R(3, F("b"))), OK },
	{ "cr-row-then-lf-row", IN("a\rb\nc\n"), ',', 1, 0,
	    ROWS(R(1, F("a")), R(2, F("b")), R(3, F("c"))), OK },
	{ "cr-row-then-delim", IN("a\r,\nb\n"), ',', 1, 0,
	    ROWS(R(1, F("a")), R(2, F(""), F("")), R(3, F("b"))), OK },
	{ "cr-row-then-quoted-lf", IN("a\r\"\nb\"\nc\n"), ',', 1, 0,
	    ROWS(R(1, F("a")), R(2, Q("\nb")), R(4, F("c"))), OK },
	{ "no-final-newline", IN("a,b\nc,d"), ',', 1, 0,
	    ROWS(R(1, F("a"), F("b")), R(2, F("c"), F("d"))), OK },
	{ "single-line-no-newline", IN("abc"), ',', 1, 0,
	    ROWS(R(1, F("abc"))), OK },
	{ "cr-at-eof", IN("a\r"), ',', 1, 0,
	    ROWS(R(1, F("a"))), OK },
	{ "crlf-at-eof", IN("a\r\n"), ',', 1, 0,
	    ROWS(R(1, F("a"))), OK },

	/* blank lines: skipped, still counted */
	{ "blank-lf", IN("\n\na\n\nb\n\n"), ',', 1, 0,
	    ROWS(R(3, F("a")), R(5, F("b"))), OK },
	{ "blank-crlf", IN("\r\n\r\na\r\n\r\nb\r\n\r\n"), ',', 1, 0,
	    ROWS(R(3, F("a")), R(5, F("b"))), OK },
	{ "blank-cr", IN("\r\ra\r\rb\r\r"), ',', 1, 0,
	    ROWS(R(3, F("a")), R(5, F("b"))), OK },
	{ "blank-mixed", IN("\n\r\n\ra\n"), ',', 1, 0,
	    ROWS(R(4, F("a"))), OK },
	{ "only-blank-lines", IN("\n\r\n\r\r\n\n"), ',', 1, 0,
	    NOROWS, OK },
	{ "empty-input", IN(""), ',', 1, 0,
	    NOROWS, OK },
	{ "space-line-is-data", IN(" \n"), ',', 1, 0,
	    ROWS(R(1, F(" "))), OK },

	/* empty fields */
	{ "trailing-delim", IN("a,\n"), ',', 1, 0,
	    ROWS(R(1, F("a"), F(""))), OK },
	{ "trailing-delim-eof", IN("a,"), ',', 1, 0,
	    ROWS(R(1, F("a"), F(""))), OK },
	{ "only-delim", IN(",\n"), ',', 1, 0,
	    ROWS(R(1, F(""), F(""))), OK },
	{ "empty-fields", IN(",a,,b,\n"), ',', 1, 0,
	    ROWS(R(1, F(""), F("a"), F(""), F("b"), F(""))), OK },
	{ "empty-quoted", IN("\"\"\n"), ',', 1, 0,
	    ROWS(R(1, Q(""))), OK },
	{ "empty-quoted-eof", IN("\"\""), ',', 1, 0,
	    ROWS(R(1, Q(""))), OK },
	{ "empty-quoted-rows", IN("\"\",\"\"\n\"\"\r\n"), ',', 1, 0,
	    ROWS(R(1, Q(""), Q("")), R(2, Q(""))), OK },

	/* quoted fields */
	{ "quoted-delim", IN("\"a,b\",c\n"), ',', 1, 0,
	    ROWS(R(1, Q("a,b"), F("c"))), OK },
	{ "doubled-quotes", IN("\"a\"\"b\",\"\"\"\"\n"), ',', 1, 0,
	    ROWS(R(1, Q("a\"b"), Q("\""))), OK },
	{ "only-doubled-quotes", IN("\"\"\"\"\"\"\"\"\n"), ',', 1, 0,
	    ROWS(R(1, Q("\"\"\""))), OK },
	{ "quoted-lf", IN("\"a\nb\",c\nd\n"), ',', 1, 0,
	    ROWS(R(1, Q("a\nb"), F("c")), R(3, F("d"))), OK },
	{ "quoted-crlf", IN("\"a\r\nb\",c\r\nd\r\n"), ',', 1, 0,
	    ROWS(R(1, Q("a\r\nb"), F("c")), R(3, F("d"))), OK },
	{ "quoted-cr", IN("\"a\rb\",c\rd\r"), ',', 1, 0,
	    ROWS(R(1, Q("a\rb"), F("c")), R(3, F("d"))), OK },
	{ "quoted-cr-crlf", IN("\"a\r\r\nb\"\nc\n"), ',', 1, 0,
	    ROWS(R(1, Q("a\r\r\nb")), R(4, F("c"))), OK },
	{ "quoted-cr-text-lf", IN("\"a\rb\nc\"\nd\n"), ',', 1, 0,
	    ROWS(R(1, Q("a\rb\nc")), R(4, F("d"))), OK },
	{ "quoted-cr-quote-lf", IN("\"\r\"\"\n\"\nx\n"), ',', 1, 0,
	    ROWS(R(1, Q("\r\"\n")), R(4, F("x"))), OK },
	{ "quoted-lf-cr", IN("\"\n\r\"\nx\n"), ',', 1, 0,
	    ROWS(R(1, Q("\n\r")), R(4, F("x"))), OK },
	{ "quoted-blank-lines", IN("\"\n\n\"\nx\n"), ',', 1, 0,
	    ROWS(R(1, Q("\n\n")), R(4, F("x"))), OK },
	{ "quoted-crlf-quote-split", IN("\"\r\n\"\"\r\n\",\"\"\r\n"), ',', 1, 0,
	    ROWS(R(1, Q("\r\n\"\r\n"), Q(""))), OK },
	{ "quoted-cr-eof", IN("\"a\"\r"), ',', 1, 0,
	    ROWS(R(1, Q("a"))), OK },
	{ "quoted-cr-next-row", IN("\"a\"\rb"), ',', 1, 0,
	    ROWS(R(1, Q("a")), R(2, F("b"))), OK },
	{ "quoted-middle-multiline", IN("x,\"a\nb\",y\nz"), ',', 1, 0,
	    ROWS(R(1, F("x"), Q("a\nb"), F("y")), R(3, F("z"))), OK },
	{ "quoted-last-eof", IN("a,\"b\""), ',', 1, 0,
	    ROWS(R(1, F("a"), Q("b"))), OK },
	{ "quoted-empty-last", IN("a,\"\"\n"), ',', 1, 0,
	    ROWS(R(1, F("a"), Q(""))), OK },
	{ "quoted-trailing-delim", IN("\"a\",\n"), ',', 1, 0,
	    ROWS(R(1, Q("a"), F(""))), OK },

	/* quoted or not, in every position; "" is quoted, nothing is not */
	{ "quoting-positions", IN("\"\",,\"a\",b\n,\"\",x,\"\"\r\n"
	    "\"q\",\"\"\r,\"\"\n"), ',', 1, 0,
	    ROWS(R(1, Q(""), F(""), Q("a"), F("b")),
	    R(2, F(""), Q(""), F("x"), Q("")), R(3, Q("q"), Q("")),
	    R(4, F(""), Q(""))), OK },
	{ "quoting-rows-after", IN("\"\"\n\n,\n\"\",\"\""), ',', 1, 0,
	    ROWS(R(1, Q("")), R(3, F(""), F("")), R(4, Q(""), Q(""))), OK },
	/* a flag left by the row before is not this row's */
	{ "quoting-not-stale", IN("\"x\",\"y\",\"z\"\n\"a\",b,"), ',', 1, 0,
	    ROWS(R(1, Q("x"), Q("y"), Q("z")), R(2, Q("a"), F("b"), F(""))),
	    OK },
	{ "quoting-not-stale-lf", IN("\"x\",\"y\"\na,\n"), ',', 1, 0,
	    ROWS(R(1, Q("x"), Q("y")), R(2, F("a"), F(""))), OK },
	{ "quoting-empty-last-eof", IN("\"\",\"\",\"\"\n,,"), ',', 1, 0,
	    ROWS(R(1, Q(""), Q(""), Q("")), R(2, F(""), F(""), F(""))), OK },
	{ "quoting-tab", IN("\"\"\t\t\"a\tb\"\n"), '\t', 1, 0,
	    ROWS(R(1, Q(""), F(""), Q("a\tb"))), OK },
	{ "quoting-looks-null", IN("\\N,\"\\N\",NULL,\"NULL\"\n"), ',', 1, 0,
	    ROWS(R(1, F("\\N"), Q("\\N"), F("NULL"), Q("NULL"))), OK },

	/* a quote inside an unquoted field is literal */
	{ "inch", IN("5\" screen,x\n"), ',', 1, 0,
	    ROWS(R(1, F("5\" screen"), F("x"))), OK },
	{ "a-quote-b-quote-c", IN("a\"b\"c\n"), ',', 1, 0,
	    ROWS(R(1, F("a\"b\"c"))), OK },
	{ "space-then-quote", IN(" \"a\",b\n"), ',', 1, 0,
	    ROWS(R(1, F(" \"a\""), F("b"))), OK },
	{ "unquoted-doubled", IN("a\"\"b\n"), ',', 1, 0,
	    ROWS(R(1, F("a\"\"b"))), OK },
	{ "unquoted-quote-before-newline", IN("a\"\nb\"\n"), ',', 1, 0,
	    ROWS(R(1, F("a\"")), R(2, F("b\""))), OK },

	/* BOM: skipped at the very start only */
	{ "bom", IN("\xEF\xBB\xBF" "a,b\n"), ',', 1, 0,
	    ROWS(R(1, F("a"), F("b"))), OK },
	{ "bom-only", IN("\xEF\xBB\xBF"), ',', 1, 0,
	    NOROWS, OK },
	{ "bom-crlf-only", IN("\xEF\xBB\xBF\r\n"), ',', 1, 0,
	    NOROWS, OK },
	{ "bom-blank-lines", IN("\xEF\xBB\xBF\n\na\n"), ',', 1, 0,
	    ROWS(R(3, F("a"))), OK },
	{ "bom-quoted", IN("\xEF\xBB\xBF\"a,b\",c\n"), ',', 1, 0,
	    ROWS(R(1, Q("a,b"), F("c"))), OK },
	{ "bom-delim", IN("\xEF\xBB\xBF,\n"), ',', 1, 0,
	    ROWS(R(1, F(""), F(""))), OK },
	{ "bom-unchecked", IN("\xEF\xBB\xBF" "a"), ',', 0, 0,
	    ROWS(R(1, F("a"))), OK },
	{ "bom-on-line-2-is-data", IN("a\n\xEF\xBB\xBF" "b\n"), ',', 1, 0,
	    ROWS(R(1, F("a")), R(2, F("\xEF\xBB\xBF" "b"))), OK },
	{ "bom-twice", IN("\xEF\xBB\xBF\xEF\xBB\xBF" "a\n"), ',', 1, 0,
	    ROWS(R(1, F("\xEF\xBB\xBF" "a"))), OK },
	{ "bom-in-field", IN("x,\xEF\xBB\xBF\n"), ',', 1, 0,
	    ROWS(R(1, F("x"), F("\xEF\xBB\xBF"))), OK },
	{ "partial-bom-unchecked", IN("\xEF\xBB" "a\n"), ',', 0, 0,
	    ROWS(R(1, F("\xEF\xBB" "a"))), OK },
	{ "partial-bom-eof-unchecked", IN("\xEF\xBB"), ',', 0, 0,
	    ROWS(R(1, F("\xEF\xBB"))), OK },
	{ "partial-bom-1-unchecked", IN("\xEF"), ',', 0, 0,
	    ROWS(R(1, F("\xEF"))), OK },
	{ "partial-bom-checked", IN("\xEF\xBB" "a\n"), ',', 1, 0,
	    NOROWS, 1 },

	/* other delimiters */
	{ "tab", IN("a\tb\t\"c\td\"\n,x\t\n\t\n"), '\t', 1, 0,
	    ROWS(R(1, F("a"), F("b"), Q("c\td")), R(2, F(",x"), F("")),
	    R(3, F(""), F(""))), OK },
	{ "semicolon", IN("a;\"b;c\";d,e\r\n;\n"), ';', 1, 0,
	    ROWS(R(1, F("a"), Q("b;c"), F("d,e")), R(2, F(""), F(""))), OK },

	/* NUL bytes are data */
	{ "nul", IN("a\0b,\0\n\"\0\",c\0"), ',', 1, 0,
	    ROWS(R(1, F("a\0b"), F("\0")), R(2, Q("\0"), F("c\0"))), OK },
	{ "nul-only", IN("\0"), ',', 1, 0,
	    ROWS(R(1, F("\0"))), OK },
	{ "nul-quoted-multiline", IN("\"\0\n\0\"\n"), ',', 1, 0,
	    ROWS(R(1, Q("\0\n\0"))), OK },

	/* valid UTF-8: 2, 3, 4 bytes, the extremes */
	{ "utf8-valid", IN("\xC2\xA9,\xE4\xB8\xAD\xE6\x96\x87,"
	    "\xF0\x9F\x98\x80\n\xF4\x8F\xBF\xBF,\xED\x9F\xBF,\xEE\x80\x80,"
	    "\xDF\xBF\n"), ',', 1, 0,
	    ROWS(R(1, F("\xC2\xA9"), F("\xE4\xB8\xAD\xE6\x96\x87"),
	    F("\xF0\x9F\x98\x80")), R(2, F("\xF4\x8F\xBF\xBF"),
	    F("\xED\x9F\xBF"), F("\xEE\x80\x80"), F("\xDF\xBF"))), OK },
	{ "utf8-quoted-multiline", IN("\"\xE4\xB8\xAD\n\xF0\x9F\x98\x80\"\n"),
	    ',', 1, 0,
	    ROWS(R(1, Q("\xE4\xB8\xAD\n\xF0\x9F\x98\x80"))), OK },
	{ "utf8-ascii-neighbours", IN("\xE4\xB8\xAD,\xF0\x9F\x98\x80\r\n"),
	    ',', 1, 0,
	    ROWS(R(1, F("\xE4\xB8\xAD"), F("\xF0\x9F\x98\x80"))), OK },

	/* invalid UTF-8, checked: an error on the row's line */
	{ "overlong-c0", IN("ok\nx,\xC0\x80\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "overlong-c1", IN("ok\n\xC1\xBF\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "overlong-e0", IN("\xE0\x80\xAF\n"), ',', 1, 0,
	    NOROWS, 1 },
	{ "overlong-f0", IN("ok\n\xF0\x80\x80\xAF\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "surrogate", IN("ok\n\xED\xA0\x80\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "above-10ffff", IN("ok\n\xF4\x90\x80\x80\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "f5", IN("ok\r\nx\xF5\x80\x80\x80y\r\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "ff", IN("ok\n\xFF\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "truncated-at-eof", IN("ok\n\xE4\xB8"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "truncated-4-at-eof", IN("ok\n\xF0\x9F\x98"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "split-by-delim", IN("ok\n\xE4\xB8,\xAD\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "lone-continuation", IN("ok\n\x80\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "invalid-in-quoted", IN("ok\n\"a,\xC3\"\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 2 },
	{ "invalid-after-blank", IN("ok\n\n\r\n\x80\n"), ',', 1, 0,
	    ROWS(R(1, F("ok"))), 4 },

	/* the same bytes, unchecked: data */
	{ "overlong-c0-unchecked", IN("ok\nx,\xC0\x80\n"), ',', 0, 0,
	    ROWS(R(1, F("ok")), R(2, F("x"), F("\xC0\x80"))), OK },
	{ "surrogate-unchecked", IN("ok\n\xED\xA0\x80\n"), ',', 0, 0,
	    ROWS(R(1, F("ok")), R(2, F("\xED\xA0\x80"))), OK },
	{ "f5-unchecked", IN("ok\r\nx\xF5\x80\x80\x80y\r\n"), ',', 0, 0,
	    ROWS(R(1, F("ok")), R(2, F("x\xF5\x80\x80\x80y"))), OK },
	{ "ff-unchecked", IN("ok\n\xFF\n"), ',', 0, 0,
	    ROWS(R(1, F("ok")), R(2, F("\xFF"))), OK },
	{ "truncated-at-eof-unchecked", IN("ok\n\xE4\xB8"), ',', 0, 0,
	    ROWS(R(1, F("ok")), R(2, F("\xE4\xB8"))), OK },
	{ "split-by-delim-unchecked", IN("ok\n\xE4\xB8,\xAD\n"), ',', 0, 0,
	    ROWS(R(1, F("ok")), R(2, F("\xE4\xB8"), F("\xAD"))), OK },
	{ "lone-continuation-unchecked", IN("ok\n\x80\n"), ',', 0, 0,
	    ROWS(R(1, F("ok")), R(2, F("\x80"))), OK },
	{ "invalid-in-quoted-unchecked", IN("ok\n\"a,\xC3\"\n"), ',', 0, 0,
	    ROWS(R(1, F("ok")), R(2, Q("a,\xC3"))), OK },

	/* unterminated quoted field: error on the line where the row starts */
	{ "unterminated", IN("a\n\"b\nc"), ',', 1, 0,
	    ROWS(R(1, F("a"))), 2 },
	{ "unterminated-later-field", IN("a\nx,\"y\r\nz\r\n"), ',', 1, 0,
	    ROWS(R(1, F("a"))), 2 },
	{ "unterminated-doubled", IN("\"a\"\""), ',', 1, 0,
	    NOROWS, 1 },
	{ "unterminated-lone-quote", IN("\""), ',', 1, 0,
	    NOROWS, 1 },
	{ "unterminated-after-blanks", IN("a\n\n\r\n\"b"), ',', 1, 0,
	    ROWS(R(1, F("a"))), 4 },

	/* text after a closing quote */
	{ "text-after-quote", IN("\"a\"b\n"), ',', 1, 0,
	    NOROWS, 1 },
	{ "text-after-quote-multiline", IN("x\n\"a\nb\"c\n"), ',', 1, 0,
	    ROWS(R(1, F("x"))), 2 },
	{ "space-after-quote", IN("x\r\n\"a\" ,b\r\n"), ',', 1, 0,
	    ROWS(R(1, F("x"))), 2 },
	{ "text-after-doubled", IN("\"a\"\"\"b\"\n"), ',', 1, 0,
	    NOROWS, 1 },
	{ "text-after-quote-eof", IN("a,\"b\"c"), ',', 1, 0,
	    NOROWS, 1 },
	{ "text-after-quote-later-field", IN("1,2\n3,\"4\"5,6\n"), ',', 1, 0,
	    ROWS(R(1, F("1"), F("2"))), 2 },

	/* max_row: bytes of field data (no delimiters, quotes, line ends) */
	{ "max-row-exact", IN("abcd\n"), ',', 1, 4,
	    ROWS(R(1, F("abcd"))), OK },
	{ "max-row-exceeded", IN("ab\nabcde\nx\n"), ',', 1, 4,
	    ROWS(R(1, F("ab"))), 2 },
	{ "max-row-fields-exact", IN("ab,cd\n"), ',', 1, 4,
	    ROWS(R(1, F("ab"), F("cd"))), OK },
	{ "max-row-fields-exceeded", IN("ab,cde\n"), ',', 1, 4,
	    NOROWS, 1 },
	{ "max-row-quoted-exact", IN("\"ab\"\"c\"\n"), ',', 1, 4,
	    ROWS(R(1, Q("ab\"c"))), OK },
	{ "max-row-multiline", IN("x\n\"ab\ncd\"\n"), ',', 1, 4,
	    ROWS(R(1, F("x"))), 2 },
	{ "max-row-eof", IN("abcde"), ',', 1, 4,
	    NOROWS, 1 },
	{ "max-row-after-blanks", IN("\n\nabcdefgh\n"), ',', 1, 4,
	    NOROWS, 3 },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/*
 * A source over a byte string: at most k bytes per read (k == 0: sizes
 * drawn from a fixed-seed generator), optionally failing with -1 and errno
 * fail_errno once fail_at bytes are out.
 */
struct chunk_src {
	const unsigned char *p;
	size_t len;
	size_t pos;
	size_t k;
	uint32_t seed;
	size_t fail_at;
	int fail_errno;		/* 0: never fails */
	int eof_reads;		/* reads after the end, for the curious */
};

static ssize_t
chunk_read(void *ctx, void *buf, size_t n)
{
	struct chunk_src *s = ctx;
	size_t want, end;

	end = s->fail_errno ? s->fail_at : s->len;
	if (s->pos >= end) {
		if (s->fail_errno) {
			errno = s->fail_errno;
			return -1;
		}
		s->eof_reads++;
		return 0;
	}
	if (s->k)
		want = s->k;
	else {
		s->seed = s->seed * 1103515245u + 12345u;
		want = (s->seed >> 16) % 8 == 0 ?
		    1 + (s->seed >> 8) % 97 : 1 + (s->seed >> 16) % 5;
	}
	if (want > n)
		want = n;
	if (want > end - s->pos)
		want = end - s->pos;
	memcpy(buf, s->p + s->pos, want);
	s->pos += want;
	return (ssize_t)want;
}

/* A bounded message buffer for readable failure reports. */
struct msg {
	char *p;
	size_t size;
	size_t len;
};

static void msg_add(struct msg *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
msg_add(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->len + 1 >= m->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->p + m->len, m->size - m->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->len += (size_t)n < m->size - m->len ?
		    (size_t)n : m->size - m->len - 1;
}

/* Appends p[0..n) as a C string literal, cut after 48 bytes. */
static void
msg_bytes(struct msg *m, const char *p, size_t n)
{
	size_t i;
	unsigned char c;

	msg_add(m, "\"");
	for (i = 0; i < n && i < 48; i++) {
		c = (unsigned char)p[i];
		if (c == '\n')
			msg_add(m, "\\n");
		else if (c == '\r')
			msg_add(m, "\\r");
		else if (c == '\t')
			msg_add(m, "\\t");
		else if (c == '"' || c == '\\')
			msg_add(m, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			msg_add(m, "\\x%02x", c);
		else
			msg_add(m, "%c", c);
	}
	msg_add(m, "\"%s (len %zu)", i < n ? "..." : "", n);
}

static void
msg_got_row(struct msg *m, const struct csv_row *row)
{
	size_t i;

	msg_add(m, "line %llu [", (unsigned long long)row->line);
	for (i = 0; i < row->nfields; i++) {
		msg_add(m, "%s%s", i ? ", " : "", row->quoted[i] ? "Q" : "F");
		msg_bytes(m, row->field[i], row->len[i]);
	}
	msg_add(m, "]");
}

static void
msg_want_row(struct msg *m, const struct xrow *x)
{
	size_t i;

	if (x->line == ANYLINE)
		msg_add(m, "line any [");
	else
		msg_add(m, "line %llu [", (unsigned long long)x->line);
	for (i = 0; i < MAXF && x->f[i].s; i++) {
		msg_add(m, "%s%s", i ? ", " : "", x->f[i].q == ANYQ ? "" :
		    x->f[i].q ? "Q" : "F");
		msg_bytes(m, x->f[i].s, x->f[i].n);
	}
	msg_add(m, "]");
}

static const char *
status_name(int st)
{
	switch (st) {
	case CSV_ROW:
		return "CSV_ROW";
	case CSV_EOF:
		return "CSV_EOF";
	case CSV_EDATA:
		return "CSV_EDATA";
	case CSV_EIO:
		return "CSV_EIO";
	case CSV_ENOMEM:
		return "CSV_ENOMEM";
	}
	return "(unknown status)";
}

/* 1 if the reader's row is the expected one. */
static int
row_matches(const struct csv_row *row, const struct xrow *x)
{
	size_t i, nf;

	for (nf = 0; nf < MAXF && x->f[nf].s; nf++)
		;
	if (x->line != ANYLINE && row->line != x->line)
		return 0;
	if (row->nfields != nf)
		return 0;
	for (i = 0; i < nf; i++) {
		if (row->len[i] != x->f[i].n ||
		    memcmp(row->field[i], x->f[i].s, x->f[i].n) != 0 ||
		    row->field[i][row->len[i]] != '\0')
			return 0;
		if (x->f[i].q != ANYQ && row->quoted[i] != x->f[i].q)
			return 0;
	}
	return 1;
}

/*
 * Runs the reader on src and compares with e.  Returns 0, or -1 with a
 * description in m.
 */
static int
check_reader(const struct expect *e, struct csv_source src, struct msg *m)
{
	struct csv_reader *r;
	struct csv_row row;
	size_t i;
	int st, ret = -1;
	const char *err;

	r = csv_reader_new(src, e->delim, e->utf8, e->max_row);
	if (!r) {
		msg_add(m, "csv_reader_new failed");
		return -1;
	}
	for (i = 0;; i++) {
		memset(&row, 0, sizeof(row));
		st = csv_read_row(r, &row);
		if (st != CSV_ROW)
			break;
		if (i >= e->nrows) {
			msg_add(m, "extra row %zu: got ", i + 1);
			msg_got_row(m, &row);
			goto out;
		}
		if (!row_matches(&row, &e->row[i])) {
			msg_add(m, "row %zu: got ", i + 1);
			msg_got_row(m, &row);
			msg_add(m, ", want ");
			msg_want_row(m, &e->row[i]);
			goto out;
		}
	}
	if (i < e->nrows) {
		msg_add(m, "%s after %zu rows, want row %zu: ",
		    status_name(st), i, i + 1);
		msg_want_row(m, &e->row[i]);
		if (st == CSV_EDATA)
			msg_add(m, " (error line %llu: %s)",
			    (unsigned long long)csv_error_line(r),
			    csv_error(r) ? csv_error(r) : "(null)");
		goto out;
	}
	if (e->errline == 0) {
		if (st != CSV_EOF) {
			msg_add(m, "after %zu rows: %s, want CSV_EOF",
			    i, status_name(st));
			if (st == CSV_EDATA)
				msg_add(m, " (error line %llu: %s)",
				    (unsigned long long)csv_error_line(r),
				    csv_error(r) ? csv_error(r) : "(null)");
			goto out;
		}
		if (csv_bytes_read(r) != e->inlen) {
			msg_add(m, "csv_bytes_read %llu at EOF, want %zu",
			    (unsigned long long)csv_bytes_read(r), e->inlen);
			goto out;
		}
	} else {
		if (st != CSV_EDATA) {
			msg_add(m, "after %zu rows: %s, want CSV_EDATA on "
			    "line %llu", i, status_name(st),
			    (unsigned long long)e->errline);
			goto out;
		}
		if (csv_error_line(r) != e->errline) {
			msg_add(m, "CSV_EDATA on line %llu, want line %llu",
			    (unsigned long long)csv_error_line(r),
			    (unsigned long long)e->errline);
			goto out;
		}
		err = csv_error(r);
		if (!err || !*err) {
			msg_add(m, "CSV_EDATA without a message");
			goto out;
		}
		if (csv_bytes_read(r) > e->inlen) {
			msg_add(m, "csv_bytes_read %llu > input length %zu",
			    (unsigned long long)csv_bytes_read(r), e->inlen);
			goto out;
		}
	}
	ret = 0;
out:
	csv_reader_free(r);
	return ret;
}

/*
 * Feeds e through chunks of the sizes in ks, and with random_too through
 * NSEEDS random chunkings; for inputs too long for every size 1..inlen.
 */
static void
check_chunk_sizes(const struct expect *e, const size_t *ks, size_t nks,
    int random_too)
{
	struct chunk_src s;
	struct csv_source src = { chunk_read, &s };
	char buf[2048];
	struct msg m = { buf, sizeof(buf), 0 };
	size_t j;
	uint32_t seed;

	for (j = 0; j < nks; j++) {
		memset(&s, 0, sizeof(s));
		s.p = e->in;
		s.len = e->inlen;
		s.k = ks[j];
		if (check_reader(e, src, &m) < 0)
			ck_abort_msg("%s, %zu-byte chunks: %s", e->name, ks[j],
			    buf);
	}
	for (seed = 1; random_too && seed <= NSEEDS; seed++) {
		memset(&s, 0, sizeof(s));
		s.p = e->in;
		s.len = e->inlen;
		s.seed = seed;
		if (check_reader(e, src, &m) < 0)
			ck_abort_msg("%s, random chunks (seed %u): %s", e->name,
			    (unsigned)seed, buf);
	}
}

/*
 * Feeds e through chunks of every size 1..inlen+1 and through NSEEDS
 * random chunkings; fails the test on the first mismatch.
 */
static void
check_chunkings(const struct expect *e)
{
	size_t *ks = malloc((e->inlen + 1) * sizeof(*ks));
	size_t k;

	ck_assert_ptr_nonnull(ks);
	for (k = 0; k <= e->inlen; k++)
		ks[k] = k + 1;
	check_chunk_sizes(e, ks, e->inlen + 1, 1);
	free(ks);
}

/* The buffers of a generated long input: its bytes, a pool for the
 * expected field values, and the expected rows (zeroed). */
static void
long_input_alloc(size_t in_bytes, size_t pool_bytes, size_t nrows,
    unsigned char **in, char **pool, struct xrow **rows)
{
	*in = malloc(in_bytes);
	*pool = malloc(pool_bytes);
	*rows = calloc(nrows, sizeof(**rows));
	ck_assert_ptr_nonnull(*in);
	ck_assert_ptr_nonnull(*pool);
	ck_assert_ptr_nonnull(*rows);
}

static void
long_input_free(unsigned char *in, char *pool, struct xrow *rows)
{
	free(in);
	free(pool);
	free(rows);
}

/* A comma-separated UTF-8 input and the rows it must give. */
static void
expect_rows(struct expect *e, const char *name, const unsigned char *in,
    size_t inlen, const struct xrow *rows, size_t nrows)
{
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->in = in;
	e->inlen = inlen;
	e->delim = ',';
	e->utf8 = 1;
	e->row = rows;
	e->nrows = nrows;
}

static void
expect_from_case(struct expect *e, const struct tcase *c)
{
	memset(e, 0, sizeof(*e));
	e->name = c->name;
	e->in = (const unsigned char *)c->in;
	e->inlen = c->inlen;
	e->delim = c->delim;
	e->utf8 = c->utf8;
	e->max_row = c->max_row;
	e->row = c->row;
	while (e->nrows < MAXR && c->row[e->nrows].line != 0)
		e->nrows++;
	e->errline = c->errline;
}

START_TEST(test_table)
{
	struct expect e;

	expect_from_case(&e, &cases[_i]);
	check_chunkings(&e);
}
END_TEST

/*
 * The source fails after p bytes of "a,b\nc,d\ne", for every p and chunk
 * size: the rows whose LF came before the failure are returned, then
 * CSV_EIO with the source's errno.
 */
START_TEST(test_source_error)
{
	static const char in[] = "a,b\nc,d\ne";
	static const int errs[] = { EIO, EILSEQ };
	const int err = errs[_i];
	struct chunk_src s;
	struct csv_source src = { chunk_read, &s };
	struct csv_reader *r;
	struct csv_row row;
	size_t len = sizeof(in) - 1, p, k, nrows, want;
	int st;

	for (p = 0; p <= len; p++) {
		want = p > 7 ? 2 : p > 3 ? 1 : 0;
		for (k = 1; k <= len + 1; k++) {
			memset(&s, 0, sizeof(s));
			s.p = (const unsigned char *)in;
			s.len = len;
			s.k = k;
			s.fail_at = p;
			s.fail_errno = err;
			r = csv_reader_new(src, ',', 1, 0);
			ck_assert_ptr_nonnull(r);
			nrows = 0;
			while ((st = csv_read_row(r, &row)) == CSV_ROW) {
				ck_assert_msg(nrows < want, "errno %d, fail at "
				    "%zu, %zu-byte chunks: row %zu returned "
				    "before the failure", err, p, k, nrows + 1);
				ck_assert_uint_eq(row.nfields, 2);
				ck_assert_uint_eq(row.line, nrows + 1);
				ck_assert_int_eq(row.field[0][0],
				    nrows ? 'c' : 'a');
				nrows++;
			}
			ck_assert_msg(st == CSV_EIO && nrows == want,
			    "errno %d, fail at %zu, %zu-byte chunks: %s "
			    "after %zu rows, want CSV_EIO after %zu", err, p,
			    k, status_name(st), nrows, want);
			ck_assert_int_eq(csv_errno(r), err);
			ck_assert_uint_eq(csv_bytes_read(r), p);
			csv_reader_free(r);
		}
	}
}
END_TEST

/*
 * Where each row ends: the journal records the lines a document spans, so
 * a line inside a multi-line row finds it.  LF, CRLF and CR line ends,
 * quoted line ends of each kind, a blank line, and a last line without a
 * newline; read 1, 2, 3 ... bytes at a time.
 */
START_TEST(test_end_lines)
{
	static const char in[] = "h1,h2\n\"x\ny\",1\r\n\r\nq,2\r"
	    "\"a\r\nb\rc\",3\n\n\nlast,4";
	static const uint64_t want[][2] = {
		{ 1, 1 }, { 2, 3 }, { 5, 5 }, { 6, 8 }, { 11, 11 },
	};
	struct chunk_src s;
	struct csv_source src = { chunk_read, &s };
	struct csv_reader *r;
	struct csv_row row;
	size_t k, n;
	int st;

	for (k = 1; k <= sizeof(in); k++) {
		memset(&s, 0, sizeof(s));
		s.p = (const unsigned char *)in;
		s.len = sizeof(in) - 1;
		s.k = k;
		s.fail_at = SIZE_MAX;
		r = csv_reader_new(src, ',', 1, 0);
		ck_assert_ptr_nonnull(r);
		for (n = 0; (st = csv_read_row(r, &row)) == CSV_ROW; n++) {
			ck_assert_uint_lt(n, 5);
			ck_assert_msg(row.line == want[n][0] &&
			    row.end_line == want[n][1], "%zu-byte reads: row "
			    "%zu spans lines %llu-%llu, want %llu-%llu", k,
			    n + 1, (unsigned long long)row.line,
			    (unsigned long long)row.end_line,
			    (unsigned long long)want[n][0],
			    (unsigned long long)want[n][1]);
		}
		ck_assert_int_eq(st, CSV_EOF);
		ck_assert_uint_eq(n, 5);
		csv_reader_free(r);
	}
}
END_TEST

/*
 * A quoted field far larger than any read buffer, with doubled quotes and
 * line ends inside, between two small rows; with no max_row, max_row just
 * enough, and one byte short (an error on the line where it starts).
 */
START_TEST(test_big_field)
{
	const size_t n = 300000;
	unsigned char *in;
	const char *end = "\"\nz";
	char *field;
	size_t i, inlen = 0, flen = 0, nl = 0;
	struct xrow rows[3];
	struct expect e;

	in = malloc(3 * n + 64);
	field = malloc(2 * n + 1);
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(field);
	memcpy(in, "h\n\"", 3);
	inlen = 3;
	for (i = 0; i < n; i++) {
		/* 10 bytes: a doubled quote, CJK, a CRLF (one line) */
		char c = "abc,\"\xE4\xB8\xAD\r\n"[i % 10];

		if (c == '\n')
			nl++;
		if (c == '"')
			in[inlen++] = '"';
		in[inlen++] = (unsigned char)c;
		field[flen++] = c;
		if (i % 1000 == 999) {	/* after the LF: a lone CR line */
			in[inlen++] = '\r';
			field[flen++] = '\r';
			nl++;
		}
	}
	field[flen] = '\0';
	memcpy(in + inlen, end, strlen(end));
	inlen += strlen(end);

	memset(rows, 0, sizeof(rows));
	rows[0].line = 1;
	rows[0].f[0].s = "h";
	rows[0].f[0].n = 1;
	rows[1].line = 2;
	rows[1].f[0].s = field;
	rows[1].f[0].n = flen;
	rows[1].f[0].q = 1;
	rows[2].line = 3 + nl;
	rows[2].f[0].s = "z";
	rows[2].f[0].n = 1;

	memset(&e, 0, sizeof(e));
	e.name = "big-field";
	e.in = in;
	e.inlen = inlen;
	e.delim = ',';
	e.utf8 = 1;
	e.row = rows;
	e.nrows = 3;
	{
		static const size_t ks[] = { 1, 2, 3, 1000, 4095, 4096, 4097,
		    65536, 1 << 20 };
		struct chunk_src s;
		struct csv_source src = { chunk_read, &s };
		char buf[2048];
		struct msg m = { buf, sizeof(buf), 0 };
		size_t j;

		for (j = 0; j < sizeof(ks) / sizeof(ks[0]); j++) {
			/* no limit, exactly at the limit, one byte over */
			const struct {
				size_t max_row;
				size_t nrows;
				uint64_t errline;
			} lim[] = { { 0, 3, 0 }, { flen, 3, 0 },
			    { flen - 1, 1, 2 } };
			size_t l;

			for (l = 0; l < sizeof(lim) / sizeof(lim[0]); l++) {
				memset(&s, 0, sizeof(s));
				s.p = in;
				s.len = inlen;
				s.k = ks[j];
				e.max_row = lim[l].max_row;
				e.nrows = lim[l].nrows;
				e.errline = lim[l].errline;
				if (check_reader(&e, src, &m) < 0)
					ck_abort_msg("%s, %zu-byte chunks, "
					    "max_row %zu: %s", e.name, ks[j],
					    e.max_row, buf);
			}
			e.max_row = 0;
			e.nrows = 3;
			e.errline = 0;
		}
	}
	free(in);
	free(field);
}
END_TEST

/*
 * Many rows with every kind of line end, blank lines and quoted line ends,
 * so a chunk edge falls everywhere; line numbers are tracked here.
 */
START_TEST(test_many_rows)
{
	enum { NROWS = 3000 };
	static const char *const eol[] = { "\n", "\r\n", "\r" };
	unsigned char *in;
	char *pool, *q;
	struct xrow *rows;
	struct expect e;
	size_t i, inlen = 0;
	uint64_t line = 1;
	int n;

	long_input_alloc(NROWS * 64, NROWS * 32, NROWS, &in, &pool, &rows);
	q = pool;
	for (i = 0; i < NROWS; i++) {
		const char *le = eol[i % 3];

		if (i % 7 == 3) {	/* a blank line first */
			const char *ble = eol[(i / 7) % 3];

			/* after a lone CR, an LF would only make it a CRLF */
			if (i > 0 && eol[(i - 1) % 3][0] == '\r' &&
			    eol[(i - 1) % 3][1] == '\0' && ble[0] == '\n')
				ble = "\r\n";
			inlen += (size_t)sprintf((char *)in + inlen, "%s", ble);
			line++;
		}
		rows[i].line = line;
		n = sprintf(q, "r%zu", i);
		rows[i].f[0].s = q;
		rows[i].f[0].n = (size_t)n;
		q += n + 1;
		if (i % 5 == 0) {	/* a quoted field with a line end */
			n = sprintf(q, "q%s\"%zu", le, i);
			rows[i].f[1].q = 1;
			inlen += (size_t)sprintf((char *)in + inlen,
			    "r%zu,\"q%s\"\"%zu\"%s", i, le, i, le);
			line += 2;
		} else {
			n = sprintf(q, "%zu", i * 7);
			inlen += (size_t)sprintf((char *)in + inlen,
			    "r%zu,%zu%s", i, i * 7, le);
			line++;
		}
		rows[i].f[1].s = q;
		rows[i].f[1].n = (size_t)n;
		q += n + 1;
	}

	expect_rows(&e, "many-rows", in, inlen, rows, NROWS);
	{
		static const size_t ks[] = { 1, 2, 3, 5, 7, 64, 4096, 1 << 20 };

		check_chunk_sizes(&e, ks, sizeof(ks) / sizeof(ks[0]), 1);
	}
	long_input_free(in, pool, rows);
}
END_TEST

/*
 * The span scanner reads eight bytes at a time: random fields put every
 * delimiter, quote and line end at every offset within a word, next to
 * UTF-8 bytes that equal a stop byte but for the high bit (0x8A, 0x8D,
 * 0xA2, 0xAC), with literal quotes inside unquoted fields.
 */
START_TEST(test_spans)
{
	enum { NROWS = 1500, NF = 6 };
	static const char *const plain[] = { "a", "Z", "9", " ", ".", "\xC2\xAC",
	    "\xCA\x8D", "\xCA\x8A", "\xC2\xA2", "\xE2\x80\xA2" };
	static const char *const quoted[] = { ",", "\"", "\n", "\r\n" };
	unsigned char *in;
	char *pool, *q;
	struct xrow *rows;
	struct expect e;
	size_t i, j, k, npieces, inlen = 0;
	uint64_t line = 1;
	uint32_t rnd = 12345;

#define NEXT()	(rnd = rnd * 1103515245u + 12345u, (rnd >> 16) & 0x7FFF)
	long_input_alloc(NROWS * NF * 40 * 4, NROWS * NF * 40 * 4, NROWS, &in,
	    &pool, &rows);
	q = pool;
	for (i = 0; i < NROWS; i++) {
		rows[i].line = line;
		for (j = 0; j < NF; j++) {
			int isq = NEXT() % 3 == 0;
			char *start = q;

			npieces = NEXT() % 40;
			if (j)
				in[inlen++] = ',';
			if (isq)
				in[inlen++] = '"';
			for (k = 0; k < npieces; k++) {
				const char *piece;

				if (isq && NEXT() % 4 == 0)
					piece = quoted[NEXT() % 4];
				else if (!isq && k > 0 && NEXT() % 9 == 0)
					piece = "\"";
				else
					piece = plain[NEXT() % 10];
				q += sprintf(q, "%s", piece);
				if (isq && piece[0] == '"')
					in[inlen++] = '"';
				if (piece[0] == '\n' || piece[0] == '\r')
					line++;
				memcpy(in + inlen, piece, strlen(piece));
				inlen += strlen(piece);
			}
			if (isq)
				in[inlen++] = '"';
			rows[i].f[j].s = start;
			rows[i].f[j].n = (size_t)(q - start);
			rows[i].f[j].q = isq;
			*q++ = '\0';
		}
		if (i % 2) {
			in[inlen++] = '\r';
			in[inlen++] = '\n';
		} else {
			in[inlen++] = '\n';
		}
		line++;
	}
#undef NEXT
	expect_rows(&e, "spans", in, inlen, rows, NROWS);
	{
		static const size_t ks[] = { 1, 7, 8, 9, 13, 4096, 1 << 20 };

		check_chunk_sizes(&e, ks, sizeof(ks) / sizeof(ks[0]), 0);
	}
	long_input_free(in, pool, rows);
}
END_TEST

/* Reads a whole file; NULL on failure. */
static unsigned char *
slurp(const char *path, size_t *lenp)
{
	FILE *f;
	unsigned char *p = NULL, *np;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((np = realloc(p, cap)) == NULL) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = np;
		}
		n = fread(p + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(p);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*lenp = len;
	return p;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parses an expected file (see make_expected.py) in place: fields are
 * unescaped into the text itself.  Returns the rows (calloc'd, lines
 * ANYLINE) and their count, or NULL with a reason in m.
 */
static struct xrow *
parse_expected(char *t, size_t len, size_t *nrowsp, struct msg *m)
{
	struct xrow *rows = NULL, *nr;
	size_t nrows = 0, nf = 0, lineno = 0;
	char *p = t, *eol, *src, *dst;
	int hi, lo;

	while (p < t + len) {
		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(t + len - p))) == NULL) {
			msg_add(m, "line %zu: no newline", lineno);
			goto bad;
		}
		if (*p == '#') {
			p = eol + 1;
			continue;
		}
		if (eol - p == 1 && *p == 'R') {
			if ((nr = realloc(rows, (nrows + 1) *
			    sizeof(*rows))) == NULL) {
				msg_add(m, "out of memory");
				goto bad;
			}
			rows = nr;
			memset(&rows[nrows], 0, sizeof(*rows));
			rows[nrows++].line = ANYLINE;
			nf = 0;
			p = eol + 1;
			continue;
		}
		if (eol - p < 2 || p[0] != 'F' || p[1] != ' ' || nrows == 0) {
			msg_add(m, "line %zu: bad line", lineno);
			goto bad;
		}
		if (nf == MAXF) {
			msg_add(m, "line %zu: more than %d fields", lineno,
			    MAXF);
			goto bad;
		}
		src = dst = p + 2;
		rows[nrows - 1].f[nf].s = dst;
		rows[nrows - 1].f[nf].q = ANYQ; /* the answers do not say */
		while (src < eol) {
			if (*src != '\\') {
				*dst++ = *src++;
				continue;
			}
			if (src + 1 >= eol)
				goto badesc;
			switch (src[1]) {
			case '\\':
				*dst++ = '\\';
				src += 2;
				break;
			case 'n':
				*dst++ = '\n';
				src += 2;
				break;
			case 'r':
				*dst++ = '\r';
				src += 2;
				break;
			case 't':
				*dst++ = '\t';
				src += 2;
				break;
			case 'x':
				if (src + 3 >= eol ||
				    (hi = hexval(src[2])) < 0 ||
				    (lo = hexval(src[3])) < 0)
					goto badesc;
				*dst++ = (char)(hi * 16 + lo);
				src += 4;
				break;
			default:
				goto badesc;
			}
		}
		rows[nrows - 1].f[nf].n = (size_t)(dst - (p + 2));
		*dst = '\0';
		nf++;
		p = eol + 1;
	}
	*nrowsp = nrows;
	return rows;
badesc:
	msg_add(m, "line %zu: bad escape", lineno);
bad:
	free(rows);
	return NULL;
}

/* snprintf into a path buffer; a path too long fails the test. */
static void mkpath(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
mkpath(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n < size, "path too long");
}

static const char *
testdata(void)
{
	const char *d = getenv("CSVPACK_TESTDATA");

	return d && *d ? d : "tests";
}

/*
 * Every csv-spectrum file, read with ',' and check_utf8, header included,
 * must give the rows in expected/NAME.txt: once through csv_fd_read, then
 * through every chunking.
 */
START_TEST(test_conformance)
{
	char dir[1024], path[1200], buf[2048];
	struct msg m = { buf, sizeof(buf), 0 };
	DIR *d;
	struct dirent *de;
	size_t nfiles = 0, nlen, inlen, tlen, nrows;
	unsigned char *in;
	char *text, name[256];
	struct xrow *rows;
	struct expect e;
	int fd;

	mkpath(dir, sizeof(dir), "%s/conformance/csv-spectrum/csvs",
	    testdata());
	d = opendir(dir);
	ck_assert_msg(d != NULL, "%s: %s (set CSVPACK_TESTDATA?)", dir,
	    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		nlen = strlen(de->d_name);
		if (nlen < 5 || nlen >= sizeof(name) ||
		    strcmp(de->d_name + nlen - 4, ".csv") != 0)
			continue;
		memcpy(name, de->d_name, nlen - 4);
		name[nlen - 4] = '\0';

		mkpath(path, sizeof(path), "%s/%s.csv", dir, name);
		in = slurp(path, &inlen);
		ck_assert_msg(in != NULL, "%s: %s", path, strerror(errno));
		mkpath(path, sizeof(path), "%s/conformance/expected/%s.txt",
		    testdata(), name);
		text = (char *)slurp(path, &tlen);
		ck_assert_msg(text != NULL, "%s: %s (run "
		    "tests/conformance/make_expected.py)", path,
		    strerror(errno));
		rows = parse_expected(text, tlen, &nrows, &m);
		ck_assert_msg(rows != NULL, "%s: %s", path, buf);

		memset(&e, 0, sizeof(e));
		e.name = name;
		e.in = in;
		e.inlen = inlen;
		e.delim = ',';
		e.utf8 = 1;
		e.row = rows;
		e.nrows = nrows;

		mkpath(path, sizeof(path), "%s/%s.csv", dir, name);
		fd = open(path, O_RDONLY);
		ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
		{
			struct csv_source src = { csv_fd_read, &fd };

			if (check_reader(&e, src, &m) < 0)
				ck_abort_msg("csv-spectrum %s, csv_fd_read: "
				    "%s", name, buf);
		}
		close(fd);
		check_chunkings(&e);

		free(rows);
		free(text);
		free(in);
		nfiles++;
	}
	closedir(d);
	ck_assert_msg(nfiles > 0, "%s: no .csv files", dir);
}
END_TEST

Suite *
csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_loop_test(tc, test_table, 0, (int)NCASES);
	suite_add_tcase(s, tc);

	tc = tcase_create("source");
	tcase_add_loop_test(tc, test_source_error, 0, 2);
	tcase_add_test(tc, test_end_lines);
	tcase_add_test(tc, test_big_field);
	tcase_add_test(tc, test_many_rows);
	tcase_add_test(tc, test_spans);
	suite_add_tcase(s, tc);

	tc = tcase_create("conformance");
	tcase_add_test(tc, test_conformance);
	suite_add_tcase(s, tc);
	return s;
}
