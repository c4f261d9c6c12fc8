/*
 * test_staging.c - unit tests of common/staging.h and the refusals of
 * common/outdir.h it relies on.
 *
 * staging_clean removes what a crashed converter left (hidden temporary
 * files, metas without their document, documents a power loss cut short,
 * with their meta) and counts the complete documents; staging_list lists
 * them in sid order; a document that is a symlink is an error, never
 * read.  staging_open_at refuses a staging directory that is a symlink,
 * not a directory, another user's or writable by others, and nothing in
 * what it points at is touched.  staging_create_tmp unlinks a planted
 * symlink instead of writing through it; staging_remove removes staging
 * only while its name is still the directory held.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "check_helpers.h"
#include "dirfix.h"
#include "staging.h"

static const char doc_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<table>\n</table>\n";

static int
open_staging(struct dirfix *f, char **path)
{
	int fd = staging_open_at(f->out_fd, f->out, path);

	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(clean_removes_what_a_crash_left)
{
	struct dirfix f;
	char *path;
	int sfd;

	dirfix_open(&f, "staging");
	sfd = open_staging(&f, &path);
	put_at(sfd, "000001.xml", doc_xml, 0644);
	put_at(sfd, "000001.meta", "1 1 1 a\n", 0644);
	put_at(sfd, "000002.xml", "<?xml version=\"1.0\"?>\n<table>\n<ro",
	    0644);
	put_at(sfd, "000002.meta", "2 2 2 a\n", 0644);
	put_at(sfd, "000003.meta", "3 3 3 a\n", 0644);    /* orphan */
	put_at(sfd, ".000004.xml.tmp", "<table", 0644);
	put_at(sfd, ".000001.meta.tmp", "1 1", 0644);
	put_at(sfd, "000005.xml", doc_xml, 0644);          /* no meta: kept */
	put_at(sfd, "notes.txt", "not ours\n", 0644);
	ck_assert_int_eq(staging_clean(sfd, path), 2);
	ck_assert(exists_at(sfd, "000001.xml"));
	ck_assert(exists_at(sfd, "000001.meta"));
	ck_assert(exists_at(sfd, "000005.xml"));
	ck_assert(exists_at(sfd, "notes.txt"));
	ck_assert(!exists_at(sfd, "000002.xml"));
	ck_assert(!exists_at(sfd, "000002.meta"));
	ck_assert(!exists_at(sfd, "000003.meta"));
	ck_assert(!exists_at(sfd, ".000004.xml.tmp"));
	ck_assert(!exists_at(sfd, ".000001.meta.tmp"));
	/* Again: nothing more to do. */
	ck_assert_int_eq(staging_clean(sfd, path), 2);
	close(sfd);
	free(path);
	dirfix_close(&f);
}
END_TEST

START_TEST(list_in_sid_order)
{
	static const char *const names[] = { "000010.xml", "000002.xml",
	    "1234567.xml", "x.xml", "00001.xml", "000003.meta", ".000004.xml.tmp",
	    "000007.xml.bak" };
	struct dirfix f;
	uint64_t *sids;
	size_t n, i;
	char *path;
	int sfd;

	dirfix_open(&f, "staging");
	sfd = open_staging(&f, &path);
	ck_assert_int_eq(staging_list(sfd, path, &sids, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(sids);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		put_at(sfd, names[i], "x", 0644);
	ck_assert_int_eq(staging_list(sfd, path, &sids, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(sids[0], 2);
	ck_assert_uint_eq(sids[1], 10);
	ck_assert_uint_eq(sids[2], 1234567);
	free(sids);
	close(sfd);
	free(path);
	dirfix_close(&f);
}
END_TEST

START_TEST(doc_complete_three_ways)
{
	struct dirfix f;
	char *path;
	int sfd, root_fd;

	dirfix_open(&f, "staging");
	sfd = open_staging(&f, &path);
	root_fd = open(f.root, O_RDONLY | O_DIRECTORY);
	put_at(sfd, "000001.xml", doc_xml, 0644);
	put_at(sfd, "000002.xml", "<table>\n</tab", 0644);
	put_at(sfd, "000003.xml", "", 0644);
	put_at(root_fd, "victim", doc_xml, 0644);
	ck_assert_int_eq(symlinkat("../../victim", sfd, "000004.xml"), 0);
	ck_assert_int_eq(mkdirat(sfd, "000005.xml", 0755), 0);
	ck_assert_int_eq(staging_doc_complete(sfd, path, 1), 1);
	ck_assert_int_eq(staging_doc_complete(sfd, path, 2), 0);
	ck_assert_int_eq(staging_doc_complete(sfd, path, 3), 0);
	ck_assert_int_eq(staging_doc_complete(sfd, path, 9), 0); /* gone */
	ck_assert_int_eq(staging_doc_complete(sfd, path, 4), -1);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	ck_assert_int_eq(staging_doc_complete(sfd, path, 5), -1);
	/* staging_clean stops on the symlink: nothing deleted for it. */
	ck_assert_int_eq(unlinkat(sfd, "000005.xml", AT_REMOVEDIR), 0);
	ck_assert_int_eq(staging_clean(sfd, path), -1);
	ck_assert(exists_at(sfd, "000004.xml"));
	ck_assert(exists_at(root_fd, "victim"));
	close(root_fd);
	close(sfd);
	free(path);
	dirfix_close(&f);
}
END_TEST

/* staging_open_at must refuse what stands at out/.csvpack-staging,
 * saying why. */
static void
assert_open_refused(struct dirfix *f, const char *why)
{
	char *path = (char *)"unset", *err;

	fail_reset();
	dirfix_stderr_begin(f);
	ck_assert_int_eq(staging_open_at(f->out_fd, f->out, &path), -1);
	err = dirfix_stderr_end(f);
	ck_assert_ptr_null(path);
	assert_has(err, STAGING_DIR ": refused: ");
	assert_has(err, why);
	free(err);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
}

START_TEST(hostile_staging_refused)
{
	struct dirfix f;
	struct stat st;
	char *path;
	int root_fd, vfd, fd, found;

	dirfix_open(&f, "staging");
	root_fd = open(f.root, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(mkdirat(root_fd, "elsewhere", 0755), 0);
	vfd = openat(root_fd, "elsewhere", O_RDONLY | O_DIRECTORY);
	put_at(vfd, "000001.xml", "<table", 0644);   /* clean would delete */
	put_at(vfd, ".000002.xml.tmp", "x", 0644);
	/* A symlink to another directory. */
	ck_assert_int_eq(symlinkat("../elsewhere", f.out_fd, STAGING_DIR), 0);
	assert_open_refused(&f, "symbolic link");
	path = (char *)"unset";
	ck_assert_int_eq(staging_find(f.out_fd, f.out, &fd, &path), -1);
	ck_assert(exists_at(vfd, "000001.xml"));
	ck_assert(exists_at(vfd, ".000002.xml.tmp"));
	ck_assert_int_eq(unlinkat(f.out_fd, STAGING_DIR, 0), 0);
	/* A file. */
	put_at(f.out_fd, STAGING_DIR, "x", 0644);
	assert_open_refused(&f, "not a directory");
	ck_assert_int_eq(unlinkat(f.out_fd, STAGING_DIR, 0), 0);
	/* Writable by the group, by others. */
	ck_assert_int_eq(mkdirat(f.out_fd, STAGING_DIR, 0755), 0);
	ck_assert_int_eq(fchmodat(f.out_fd, STAGING_DIR, 0775, 0), 0);
	assert_open_refused(&f, "writable by its group or others");
	ck_assert_int_eq(fchmodat(f.out_fd, STAGING_DIR, 0757, 0), 0);
	assert_open_refused(&f, "writable by its group or others");
	/* Another user's. */
	if (geteuid() == 0) {
		ck_assert_int_eq(fchmodat(f.out_fd, STAGING_DIR, 0755, 0), 0);
		ck_assert_int_eq(fchownat(f.out_fd, STAGING_DIR, 12345, 12345,
		    0), 0);
		assert_open_refused(&f, "owned by uid 12345");
	}
	/* Ours again: opened (and found). */
	ck_assert_int_eq(fchownat(f.out_fd, STAGING_DIR, geteuid(), getegid(),
	    0), 0);
	ck_assert_int_eq(fchmodat(f.out_fd, STAGING_DIR, 0755, 0), 0);
	fail_reset();
	found = staging_find(f.out_fd, f.out, &fd, &path);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	close(fd);
	free(path);
	ck_assert_int_eq(unlinkat(f.out_fd, STAGING_DIR, AT_REMOVEDIR), 0);
	ck_assert_int_eq(staging_find(f.out_fd, f.out, &fd, &path), 0);
	/* The path form creates the output directory and staging. */
	fd = staging_open(dirfix_path(&f, "new/out"), &path);
	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(strstr(path, "new/out/" STAGING_DIR));
	close(fd);
	free(path);
	close(vfd);
	close(root_fd);
	dirfix_close(&f);
}
END_TEST

START_TEST(create_tmp_never_follows)
{
	struct dirfix f;
	char *path, *now;
	int sfd, root_fd, fd;
	struct stat st;

	dirfix_open(&f, "staging");
	sfd = open_staging(&f, &path);
	root_fd = open(f.root, O_RDONLY | O_DIRECTORY);
	put_at(root_fd, "victim", "keep\n", 0644);
	ck_assert_int_eq(symlinkat("../../victim", sfd, ".000001.xml.tmp"), 0);
	fd = staging_create_tmp(sfd, path, ".000001.xml.tmp");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "new", 3), 3);
	close(fd);
	ck_assert_int_eq(fstatat(sfd, ".000001.xml.tmp", &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(st.st_size, 3);
	now = get_at(root_fd, "victim");
	ck_assert_str_eq(now, "keep\n");
	free(now);
	/* A stale file of ours is replaced by a new one. */
	fd = staging_create_tmp(sfd, path, ".000001.xml.tmp");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	close(fd);
	/* A directory there cannot be unlinked: an error. */
	ck_assert_int_eq(mkdirat(sfd, ".000002.xml.tmp", 0755), 0);
	ck_assert_int_eq(staging_create_tmp(sfd, path, ".000002.xml.tmp"), -1);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	close(root_fd);
	close(sfd);
	free(path);
	dirfix_close(&f);
}
END_TEST

START_TEST(remove_only_ours)
{
	struct dirfix f;
	char *path;
	int sfd;

	dirfix_open(&f, "staging");
	/* Temporary files swept, then the directory goes. */
	sfd = open_staging(&f, &path);
	put_at(sfd, ".000001.xml.tmp", "x", 0644);
	ck_assert_int_eq(staging_remove(f.out_fd, sfd, path, 1), 0);
	ck_assert(!exists_at(f.out_fd, STAGING_DIR));
	close(sfd);
	free(path);
	/* Not swept (a stop): what is left keeps it, with a warning. */
	sfd = open_staging(&f, &path);
	put_at(sfd, ".000001.xml.tmp", "x", 0644);
	ck_assert_int_eq(staging_remove(f.out_fd, sfd, path, 0), 0);
	ck_assert(exists_at(sfd, ".000001.xml.tmp"));
	/* Something else in it: left. */
	put_at(sfd, "notes.txt", "x", 0644);
	ck_assert_int_eq(staging_remove(f.out_fd, sfd, path, 1), 0);
	ck_assert(exists_at(f.out_fd, STAGING_DIR));
	ck_assert(exists_at(sfd, "notes.txt"));
	ck_assert(!exists_at(sfd, ".000001.xml.tmp"));
	/* The name now another directory: that one is not removed. */
	ck_assert_int_eq(renameat(f.out_fd, STAGING_DIR, f.out_fd, "moved"), 0);
	ck_assert_int_eq(mkdirat(f.out_fd, STAGING_DIR, 0755), 0);
	ck_assert_int_eq(unlinkat(sfd, "notes.txt", 0), 0);
	ck_assert_int_eq(staging_remove(f.out_fd, sfd, path, 1), 0);
	ck_assert(exists_at(f.out_fd, STAGING_DIR));
	ck_assert(exists_at(f.out_fd, "moved"));
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	close(sfd);
	free(path);
	dirfix_close(&f);
}
END_TEST

START_TEST(make_dirs_and_parse)
{
	struct dirfix f;
	uint64_t num = 0;

	dirfix_open(&f, "staging");
	ck_assert_int_eq(make_dirs(dirfix_path(&f, "a/b/c")), 0);
	ck_assert_int_eq(make_dirs(dirfix_path(&f, "a/b/c")), 0);
	put_at(f.out_fd, "file", "x", 0644);
	ck_assert_int_eq(make_dirs(dirfix_path(&f, "out/file/sub")), -1);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	ck_assert_int_eq(parse_numbered("p-000123.tgz", "p-", ".tgz", &num), 1);
	ck_assert_uint_eq(num, 123);
	ck_assert_int_eq(parse_numbered("00012.tgz", NULL, ".tgz", &num), 0);
	ck_assert_int_eq(parse_numbered("0000a12.tgz", NULL, ".tgz", &num), 0);
	dirfix_close(&f);
}
END_TEST

Suite *
staging_suite(void)
{
	Suite *s = suite_create("staging");
	TCase *t = tcase_create("staging");

	tcase_add_test(t, clean_removes_what_a_crash_left);
	tcase_add_test(t, list_in_sid_order);
	tcase_add_test(t, doc_complete_three_ways);
	tcase_add_test(t, hostile_staging_refused);
	tcase_add_test(t, create_tmp_never_follows);
	tcase_add_test(t, remove_only_ours);
	tcase_add_test(t, make_dirs_and_parse);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}
