/*
 * test_meta.c - unit tests of common/meta.h: the meta file beside each
 * staged document, and its line.
 *
 * A meta written reads back, any input name included (escaped), by way
 * of a temporary name a planted symlink cannot redirect; a missing one is
 * 0 from meta_load (nothing said) and ENOENT from meta_read; the wrong
 * sid, garbage or a symlinked meta is refused.  The line is the journal's
 * D line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "dirfix.h"
#include "jfix.h"

START_TEST(meta_round_trip)
{
	struct dirfix f;
	struct doc_meta m = meta(12, 100, 199, "dir with space/\xe8\x82\xa1 %41.csv");
	struct doc_meta back;
	char *now;
	int st;

	dirfix_open(&f, "journal");
	ck_assert_int_eq(meta_write(f.out_fd, &m), 0);
	ck_assert(!exists_at(f.out_fd, ".000012.meta.tmp"));
	ck_assert_int_eq(meta_read(f.out_fd, 12, &back), 0);
	ck_assert_str_eq(back.source, m.source);
	ck_assert_uint_eq(back.first_row, 100);
	ck_assert_uint_eq(back.last_row, 199);
	ck_assert_int_eq(meta_load(f.out_fd, f.out, 12, &back), 1);
	/* Missing: 0 (not said); the wrong sid or garbage: -1. */
	ck_assert_int_eq(meta_load(f.out_fd, f.out, 13, &back), 0);
	ck_assert_int_eq(meta_read(f.out_fd, 13, &back), -1);
	ck_assert_int_eq(errno, ENOENT);
	put_at(f.out_fd, "000013.meta", "12 1 2 a\n", 0644);
	ck_assert_int_eq(meta_read(f.out_fd, 13, &back), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_int_eq(meta_load(f.out_fd, f.out, 13, &back), -1);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	/* A planted symlink at the temporary name is replaced, not
	 * written through; a symlinked meta is not read. */
	put_at(f.out_fd, "victim", "keep\n", 0644);
	ck_assert_int_eq(symlinkat("victim", f.out_fd, ".000014.meta.tmp"), 0);
	m.sid = 14;
	ck_assert_int_eq(meta_write(f.out_fd, &m), 0);
	now = get_at(f.out_fd, "victim");
	ck_assert_str_eq(now, "keep\n");
	free(now);
	ck_assert_int_eq(symlinkat("000014.meta", f.out_fd, "000015.meta"), 0);
	fail_reset();
	st = meta_load(f.out_fd, f.out, 15, &back);
	ck_assert_int_eq(st, -1);
	ck_assert_int_eq(meta_read(f.out_fd, 15, &back), -1);
	dirfix_close(&f);
}
END_TEST

/* The meta line is the journal's D line without its "D ": five numbers
 * (sid, rows, lines) and the escaped name, one space apart; and it parses
 * back. */
START_TEST(meta_line_format)
{
	struct doc_meta m = meta(3, 7, 9, "in dir/b 100%.csv"), back;
	struct buf b;
	char *line;

	m.first_line = 12;
	m.last_line = 15;
	buf_init(&b, 0);
	ck_assert_int_eq(meta_format(&b, "D ", &m), 0);
	ck_assert_int_eq(buf_append(&b, "", 1), 0);
	ck_assert_str_eq((char *)b.data,
	    "D 3 7 9 12 15 in%20dir/b%20100%25.csv\n");
	line = (char *)b.data + 2;
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(meta_parse(line, &back), 0);
	ck_assert_uint_eq(back.sid, 3);
	ck_assert_uint_eq(back.first_row, 7);
	ck_assert_uint_eq(back.last_row, 9);
	ck_assert_uint_eq(back.first_line, 12);
	ck_assert_uint_eq(back.last_line, 15);
	ck_assert_str_eq(back.source, m.source);
	/* The older form, without lines, still reads: lines unknown (0),
	 * even for a name that is all digits. */
	ck_assert_int_eq(meta_parse("3 7 9 in%20dir/b.csv", &back), 0);
	ck_assert_uint_eq(back.last_row, 9);
	ck_assert_uint_eq(back.first_line, 0);
	ck_assert_uint_eq(back.last_line, 0);
	ck_assert_str_eq(back.source, "in dir/b.csv");
	ck_assert_int_eq(meta_parse("3 7 9 2024", &back), 0);
	ck_assert_str_eq(back.source, "2024");
	ck_assert_uint_eq(back.first_line, 0);
	ck_assert_int_eq(meta_parse("3 7 9 12 15 2024", &back), 0);
	ck_assert_str_eq(back.source, "2024");
	ck_assert_uint_eq(back.first_line, 12);
	/* Lines backwards, one line number only, or a stray space: refused. */
	ck_assert_int_eq(meta_parse("3 7 9 15 12 a", &back), -1);
	ck_assert_int_eq(meta_parse("3 7 9 15 a", &back), -1);
	ck_assert_int_eq(meta_parse("3 7 9 1 2 a b", &back), -1);
	/* Unknown origin: "0 0 ?" parses; a backwards range does not. */
	ck_assert_int_eq(meta_parse("5 0 0 ?", &back), 0);
	ck_assert_int_eq(meta_parse("5 3 2 a", &back), -1);
	ck_assert_int_eq(meta_parse("5 1 2 ", &back), -1);
	buf_free(&b);
}
END_TEST

Suite *
meta_suite(void)
{
	Suite *s = suite_create("meta");
	TCase *t = tcase_create("meta");

	tcase_add_test(t, meta_round_trip);
	tcase_add_test(t, meta_line_format);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}
