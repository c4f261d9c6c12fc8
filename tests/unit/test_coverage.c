/*
 * test_coverage.c - unit tests of common/coverage.h: what a resumed run
 * takes as covered.
 *
 * Groups written with journal_append read back as row ranges per input,
 * merged, with the highest sid seen; the metas in staging are covered
 * too (complete documents only), and a complete document without one is
 * an error; a staging directory that is a symlink is refused with nothing
 * behind it touched.  (Torn and damaged journals: test_journal.c.)
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "check_helpers.h"
#include "dirfix.h"
#include "jfix.h"
#include "staging.h"

static const char doc_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<table>\n</table>\n";

START_TEST(groups_read_back)
{
	struct dirfix f;
	struct coverage c;
	struct doc_meta a[] = { meta(1, 1, 3, "a.csv"), meta(2, 4, 6, "a.csv") };
	struct doc_meta b[] = { meta(3, 7, 7, "a.csv"),
	    meta(4, 1, 2, "in dir/b 100%.csv") };

	dirfix_open(&f, "journal");
	append(&f, "000001.tgz", a, 2);
	append(&f, "000002.tgz", b, 2);
	ck_assert_int_eq(coverage_load_at(f.out_fd, f.out, &c), 0);
	ck_assert_str_eq(ranges(&c, "a.csv"), "1-7");
	ck_assert_str_eq(ranges(&c, "in dir/b 100%.csv"), "1-2");
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.max_sid, 4);
	coverage_free(&c);
	/* The path form: the same; a missing directory: nothing. */
	ck_assert_int_eq(coverage_load(f.out, &c), 0);
	ck_assert_uint_eq(c.max_sid, 4);
	coverage_free(&c);
	ck_assert_int_eq(coverage_load(dirfix_path(&f, "none"), &c), 0);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_uint_eq(c.max_sid, 0);
	dirfix_close(&f);
}
END_TEST

START_TEST(coverage_merges_ranges)
{
	struct dirfix f;
	struct coverage c;
	struct doc_meta d[] = { meta(1, 7, 9, "a"), meta(2, 1, 3, "a"),
	    meta(3, 20, 25, "a"), meta(4, 4, 6, "a"), meta(5, 15, 30, "a"),
	    meta(6, 40, 40, "a"), meta(7, 42, 42, "a"), meta(8, 5, 5, "b") };
	const struct covered_input *ci;
	size_t cursor = 0;
	uint64_t row;

	dirfix_open(&f, "journal");
	append(&f, "000001.tgz", d, 8);
	ck_assert_int_eq(coverage_load_at(f.out_fd, f.out, &c), 0);
	ck_assert_str_eq(ranges(&c, "a"), "1-9,15-30,40-40,42-42");
	ck_assert_str_eq(ranges(&c, "b"), "5-5");
	ci = coverage_find(&c, "a");
	for (row = 1; row <= 45; row++)
		ck_assert_int_eq(covered(ci, row, &cursor),
		    row <= 9 || (row >= 15 && row <= 30) || row == 40 ||
		    row == 42);
	ck_assert_int_eq(covered(ci, 2, &cursor), 1); /* going back */
	ck_assert_int_eq(covered(coverage_find(&c, "zz"), 1, &cursor), 0);
	coverage_free(&c);
	dirfix_close(&f);
}
END_TEST

START_TEST(staged_documents_are_covered)
{
	struct dirfix f;
	struct coverage c;
	struct doc_meta m;
	char *path, *err;
	int sfd;

	dirfix_open(&f, "journal");
	sfd = staging_open_at(f.out_fd, f.out, &path);
	ck_assert_int_ge(sfd, 0);
	put_at(sfd, "000007.xml", doc_xml, 0644);
	m = meta(7, 11, 20, "a");
	ck_assert_int_eq(meta_write(sfd, &m), 0);
	put_at(sfd, "000008.xml", "<table>\n", 0644); /* cut short */
	m = meta(8, 21, 30, "a");
	ck_assert_int_eq(meta_write(sfd, &m), 0);
	ck_assert_int_eq(coverage_load_at(f.out_fd, f.out, &c), 0);
	ck_assert_str_eq(ranges(&c, "a"), "11-20");
	ck_assert_uint_eq(c.max_sid, 8);
	coverage_free(&c);
	/* A complete document whose rows are unknown: an error. */
	put_at(sfd, "000009.xml", doc_xml, 0644);
	dirfix_stderr_begin(&f);
	ck_assert_int_eq(coverage_load_at(f.out_fd, f.out, &c), -1);
	err = dirfix_stderr_end(&f);
	assert_has(err, "000009.meta");
	free(err);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	close(sfd);
	free(path);
	dirfix_close(&f);
}
END_TEST

START_TEST(hostile_staging_refused)
{
	struct dirfix f;
	struct coverage c;
	struct doc_meta m = meta(1, 1, 5, "a");
	char *err;
	int root_fd, vfd;

	dirfix_open(&f, "journal");
	root_fd = open(f.root, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(mkdirat(root_fd, "elsewhere", 0755), 0);
	vfd = openat(root_fd, "elsewhere", O_RDONLY | O_DIRECTORY);
	put_at(vfd, "000001.xml", doc_xml, 0644);
	ck_assert_int_eq(meta_write(vfd, &m), 0);
	ck_assert_int_eq(symlinkat("../elsewhere", f.out_fd, STAGING_DIR), 0);
	dirfix_stderr_begin(&f);
	ck_assert_int_eq(coverage_load_at(f.out_fd, f.out, &c), -1);
	err = dirfix_stderr_end(&f);
	assert_has(err, STAGING_DIR ": refused: it is a symbolic link");
	free(err);
	ck_assert(exists_at(vfd, "000001.xml"));
	ck_assert(exists_at(vfd, "000001.meta"));
	close(vfd);
	close(root_fd);
	dirfix_close(&f);
}
END_TEST

Suite *
coverage_suite(void)
{
	Suite *s = suite_create("coverage");
	TCase *t = tcase_create("coverage");

	tcase_add_test(t, groups_read_back);
	tcase_add_test(t, coverage_merges_ranges);
	tcase_add_test(t, staged_documents_are_covered);
	tcase_add_test(t, hostile_staging_refused);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}
