/*
 * test_outlock.c - unit tests of common/outlock.h, one pipeline per
 * output directory.
 *
 * A pipeline takes the lock (the file names it, mode 0600); the same
 * pipeline may take it again, another is refused and the probe calls the
 * directory busy; the last holder's release removes the file, but never
 * a file that has taken its name since.  (flock conflicts between two
 * open file descriptions in one process, so one process plays both
 * pipelines.)  A lock that is a symlink, a hard link, another user's
 * file or writable by others is refused by take and probe alike, and
 * the file behind it is neither truncated nor written.
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
#include "outlock.h"

START_TEST(take_busy_release)
{
	struct dirfix f;
	struct stat st;
	char *text;
	int fd, fd2;

	dirfix_open(&f, "outlock");
	ck_assert_int_eq(outlock_busy_at(f.out_fd, f.out, "p1"), 0);
	ck_assert_int_eq(outlock_busy(dirfix_path(&f, "none"), NULL), 0);
	fd = outlock_take_at(f.out_fd, f.out, "p1");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstatat(f.out_fd, OUTLOCK_FILE, &st, 0), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	text = get_at(f.out_fd, OUTLOCK_FILE);
	ck_assert_str_eq(text, "p1");
	free(text);
	/* The same pipeline goes on; another is refused, busy. */
	ck_assert_int_eq(outlock_busy_at(f.out_fd, f.out, "p1"), 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	fd2 = outlock_take(f.out, "p1");
	ck_assert_int_ge(fd2, 0);
	ck_assert_int_eq(outlock_busy_at(f.out_fd, f.out, "p2"), 1);
	ck_assert_int_eq(outlock_busy(f.out, NULL), 1);
	ck_assert_int_eq(outlock_take_at(f.out_fd, f.out, "p2"), -1);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	fail_reset();
	/* The first out leaves the file to the other holder (after trying
	 * for a moment); the last removes it. */
	ck_assert_int_eq(outlock_release_at(fd, f.out_fd, f.out, 1), 0);
	ck_assert(exists_at(f.out_fd, OUTLOCK_FILE));
	ck_assert_int_eq(outlock_release(fd2, f.out, 1), 0);
	ck_assert(!exists_at(f.out_fd, OUTLOCK_FILE));
	ck_assert_int_eq(outlock_busy_at(f.out_fd, f.out, "p2"), 0);
	/* Released without remove: the file stays, free to take. */
	fd = outlock_take_at(f.out_fd, f.out, "p2");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(outlock_release_at(fd, f.out_fd, f.out, 0), 0);
	ck_assert(exists_at(f.out_fd, OUTLOCK_FILE));
	fd = outlock_take_at(f.out_fd, f.out, "p3");
	ck_assert_int_ge(fd, 0);
	text = get_at(f.out_fd, OUTLOCK_FILE);
	ck_assert_str_eq(text, "p3");
	free(text);
	ck_assert_int_eq(outlock_release_at(fd, f.out_fd, f.out, 1), 0);
	ck_assert_int_eq(fail_kind(), FAIL_NONE);
	dirfix_close(&f);
}
END_TEST

START_TEST(release_leaves_a_newer_file)
{
	struct dirfix f;
	char *text;
	int fd;

	dirfix_open(&f, "outlock");
	fd = outlock_take_at(f.out_fd, f.out, "p1");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(renameat(f.out_fd, OUTLOCK_FILE, f.out_fd, "old"), 0);
	put_at(f.out_fd, OUTLOCK_FILE, "newer", 0600);
	ck_assert_int_eq(outlock_release_at(fd, f.out_fd, f.out, 1), 0);
	text = get_at(f.out_fd, OUTLOCK_FILE);
	ck_assert_str_eq(text, "newer");
	free(text);
	ck_assert(exists_at(f.out_fd, "old"));
	dirfix_close(&f);
}
END_TEST

/* Take and probe refuse out/.csvpack.lock, saying why. */
static void
assert_refused(struct dirfix *f, const char *why)
{
	char *err;

	fail_reset();
	dirfix_stderr_begin(f);
	ck_assert_int_eq(outlock_take_at(f->out_fd, f->out, "p1"), -1);
	ck_assert_int_eq(outlock_busy_at(f->out_fd, f->out, "p1"), -1);
	ck_assert_int_eq(outlock_busy(f->out, NULL), -1);
	ck_assert_int_eq(outlock_take(f->out, "p1"), -1);
	err = dirfix_stderr_end(f);
	assert_has(err, OUTLOCK_FILE ": refused: ");
	assert_has(err, why);
	free(err);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
}

START_TEST(hostile_lock_refused)
{
	static const char victim[] = "precious: must not be truncated\n";
	struct dirfix f;
	char *now;
	int root_fd;

	dirfix_open(&f, "outlock");
	root_fd = open(f.root, O_RDONLY | O_DIRECTORY);
	put_at(root_fd, "victim", victim, 0644);
	/* A symlink to a file, then a dangling one (never created). */
	ck_assert_int_eq(symlinkat("../victim", f.out_fd, OUTLOCK_FILE), 0);
	assert_refused(&f, "symbolic link");
	ck_assert_int_eq(unlinkat(f.out_fd, OUTLOCK_FILE, 0), 0);
	ck_assert_int_eq(symlinkat("../made", f.out_fd, OUTLOCK_FILE), 0);
	assert_refused(&f, "symbolic link");
	ck_assert(!exists_at(root_fd, "made"));
	ck_assert_int_eq(unlinkat(f.out_fd, OUTLOCK_FILE, 0), 0);
	/* A hard link to a file of ours. */
	ck_assert_int_eq(linkat(root_fd, "victim", f.out_fd, OUTLOCK_FILE, 0),
	    0);
	assert_refused(&f, "hard links");
	ck_assert_int_eq(unlinkat(f.out_fd, OUTLOCK_FILE, 0), 0);
	/* Writable by others. */
	put_at(f.out_fd, OUTLOCK_FILE, "p1", 0666);
	assert_refused(&f, "writable by its group or others");
	/* Another user's. */
	if (geteuid() == 0) {
		ck_assert_int_eq(fchmodat(f.out_fd, OUTLOCK_FILE, 0600, 0), 0);
		ck_assert_int_eq(fchownat(f.out_fd, OUTLOCK_FILE, 12345, 12345,
		    0), 0);
		assert_refused(&f, "owned by uid 12345");
		now = get_at(f.out_fd, OUTLOCK_FILE);
		ck_assert_str_eq(now, "p1");
		free(now);
	}
	/* A directory. */
	ck_assert_int_eq(unlinkat(f.out_fd, OUTLOCK_FILE, 0), 0);
	ck_assert_int_eq(mkdirat(f.out_fd, OUTLOCK_FILE, 0755), 0);
	assert_refused(&f, "not a regular file");
	now = get_at(root_fd, "victim");
	ck_assert_str_eq(now, victim);
	free(now);
	close(root_fd);
	dirfix_close(&f);
}
END_TEST

Suite *
outlock_suite(void)
{
	Suite *s = suite_create("outlock");
	TCase *t = tcase_create("outlock");

	tcase_add_test(t, take_busy_release);
	tcase_add_test(t, release_leaves_a_newer_file);
	tcase_add_test(t, hostile_lock_refused);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}
