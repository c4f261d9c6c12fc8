/*
 * test_doc_check.c - unit tests of packer/doc_check.h, the check that
 * `csvpack-packer --dir` runs on every document before packing any.
 *
 * A document as the converter writes it passes; so does one with a text
 * node over libxml2's default 10 MB limit (a field may be that large).
 * Every prefix of a document that stops before its root element closes
 * fails as bad data (-1, FAIL_DATA) - a copy cut short at any byte must
 * never be archived - and so do an empty file, text after a closing tag
 * and an undefined entity. A missing file, and a symlink, are FAIL_SYS
 * (an I/O error or a refusal, not bad data). Files live in a temporary
 * directory (tmpdir.h); the teardown removes it.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "doc_check.h"
#include "fail.h"
#include "msg.h"
#include "tmpdir.h"

static char dir[64];
static int dir_fd = -1;

static const char doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<table source=\"a.csv\" sid=\"1\">\n"
    "  <row line=\"2\"><a>1</a><b>&lt;x&gt; &amp; \xe8\x82\xa1</b></row>\n"
    "  <row line=\"3\"><a>2</a><b/></row>\n"
    "</table>\n";

static void
setup(void)
{
	tmpdir_make(dir, sizeof(dir), "csvpack-unit-doccheck-");
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dir_fd, 0);
}

static void
teardown(void)
{
	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = -1;
	tmpdir_remove(dir);
	if (access(dir, F_OK) == 0)
		fprintf(stderr, "teardown: could not remove %s\n", dir);
}

/* doc_check's outcome as an exit status, from the kind it recorded. */
static int
checked(const char *name)
{
	int rc;

	fail_reset();
	rc = doc_check(dir_fd, dir, name);
	if (rc == 0)
		return fail_kind() == FAIL_NONE ? 0 : -100;
	return rc == -1 ? fail_exit_status() : -200;
}

START_TEST(whole_document_passes)
{
	write_file_at(dir_fd, "000001.xml", doc, strlen(doc), 0600);
	ck_assert_int_eq(checked("000001.xml"), 0);
}
END_TEST

START_TEST(every_cut_short_copy_fails)
{
	size_t end = strstr(doc, "</table>") - doc + strlen("</table>");
	size_t len;

	/* Cut anywhere before the root element closes: not a document. */
	for (len = 0; len < end; len++) {
		write_file_at(dir_fd, "000002.xml", doc, len, 0600);
		if (checked("000002.xml") != EXIT_DATA)
			ck_abort_msg("a copy cut at byte %zu of %zu passed",
			    len, strlen(doc));
	}
	write_file_at(dir_fd, "000002.xml", doc, end, 0600);
	ck_assert_int_eq(doc_check(dir_fd, dir, "000002.xml"), 0);
}
END_TEST

START_TEST(bad_documents_fail)
{
	static const char *const bad[] = {
		"<table></table>junk",
		"<table><row></table>",
		"<table>&nosuch;</table>",
		"<table></table><table></table>",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file_at(dir_fd, "000003.xml", bad[i], strlen(bad[i]),
		    0600);
		ck_assert_msg(checked("000003.xml") == EXIT_DATA,
		    "passed: %s", bad[i]);
	}
}
END_TEST

START_TEST(missing_file_is_an_io_error)
{
	ck_assert_int_eq(checked("000009.xml"), EXIT_FAIL);
}
END_TEST

START_TEST(symlink_is_refused)
{
	write_file_at(dir_fd, "000005.xml", doc, strlen(doc), 0600);
	ck_assert_int_eq(symlinkat("000005.xml", dir_fd, "000006.xml"), 0);
	ck_assert_int_eq(checked("000006.xml"), EXIT_FAIL);
	ck_assert_int_eq(checked("000005.xml"), 0);
}
END_TEST

START_TEST(huge_text_node_passes)
{
	size_t field = 12u << 20, len;
	const char *head = "<table><row><a>", *tail = "</a></row></table>\n";
	char *big = malloc(strlen(head) + field + strlen(tail) + 1);

	ck_assert_ptr_nonnull(big);
	strcpy(big, head);
	len = strlen(head);
	memset(big + len, 'x', field);
	strcpy(big + len + field, tail);
	write_file_at(dir_fd, "000004.xml", big, strlen(big), 0600);
	free(big);
	ck_assert_int_eq(doc_check(dir_fd, dir, "000004.xml"), 0);
}
END_TEST

Suite *
doc_check_suite(void)
{
	Suite *s = suite_create("doc_check");
	TCase *t = tcase_create("doc_check");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, whole_document_passes);
	tcase_add_test(t, every_cut_short_copy_fails);
	tcase_add_test(t, bad_documents_fail);
	tcase_add_test(t, missing_file_is_an_io_error);
	tcase_add_test(t, symlink_is_refused);
	tcase_add_test(t, huge_text_node_passes);
	suite_add_tcase(s, t);
	return s;
}
