/*
 * test_journal.c - unit tests of common/journal.h: the journal's groups
 * and what a resumed run takes as covered.
 *
 * Groups written with journal_append read back as row ranges per input,
 * merged; a group torn by a crash (no E, a last line cut, a line closed
 * with CR LF by the next append) counts for nothing; a damaged complete
 * line stops the load with "DIR/.csvpack-journal:LINE:" and FAIL_SYS;
 * journal_archived gives a staged sid to an archive only when the latest
 * group of that archive's name lists it and the archive is a regular file
 * of ours.  The metas in staging are covered too (complete documents
 * only), and a journal or staging that is a symlink, another user's or
 * writable by others is refused with nothing behind it touched.
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
#include "journal.h"
#include "staging.h"

static const char doc_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<table>\n</table>\n";

static struct doc_meta
meta(uint64_t sid, uint64_t first, uint64_t last, const char *source)
{
	struct doc_meta m;

	memset(&m, 0, sizeof(m));
	m.sid = sid;
	m.first_row = first;
	m.last_row = last;
	snprintf(m.source, sizeof(m.source), "%s", source);
	return m;
}

static void
append(struct dirfix *f, const char *archive, const struct doc_meta *d,
    size_t n)
{
	ck_assert_int_eq(journal_append(f->out_fd, f->out, archive, d, n), 0);
}

static void
put_journal(struct dirfix *f, const char *text)
{
	put_at(f->out_fd, JOURNAL_FILE, text, 0644);
}

/* The ranges of source as "a-b,c-d". */
static const char *
ranges(const struct coverage *c, const char *source)
{
	static char out[512];
	const struct covered_input *ci = coverage_find(c, source);
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; ci && i < ci->n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%llu-%llu",
		    i ? "," : "", (unsigned long long)ci->r[i].first,
		    (unsigned long long)ci->r[i].last);
	return out;
}

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

START_TEST(torn_groups_count_for_nothing)
{
	struct dirfix f;
	struct coverage c;
	struct doc_meta d = meta(9, 1, 1, "c");
	char *text;

	dirfix_open(&f, "journal");
	put_journal(&f,
	    "B 000001.tgz\nD 1 1 2 a\nE\n"
	    "B 000002.tgz\nD 2 3 4 a\n"            /* no E: torn */
	    "B 000002.tgz\nD 3 5 6 b\nE\n"
	    "B 000003.tgz\nD 4 7 8 a\nE\r\n"       /* closed after a crash */
	    "B 000004.tgz\nD 5 1 1 c\nD 6 2 2 c\r\n"
	    "B 000005.tgz\nD 7 9 9 a\nE\n"
	    "B 000006.tgz\nD 8 10 10 a\nE");      /* the E line cut */
	ck_assert_int_eq(coverage_load_at(f.out_fd, f.out, &c), 0);
	ck_assert_str_eq(ranges(&c, "a"), "1-2,9-9");
	ck_assert_str_eq(ranges(&c, "b"), "5-6");
	ck_assert_str_eq(ranges(&c, "c"), "");
	coverage_free(&c);
	/* The next append closes the cut line with CR LF: still void. */
	append(&f, "000006.tgz", &d, 1);
	text = get_at(f.out_fd, JOURNAL_FILE);
	ck_assert_ptr_nonnull(strstr(text, "D 8 10 10 a\nE\r\nB 000006.tgz\n"
	    "D 9 1 1 c\nE\n"));
	free(text);
	ck_assert_int_eq(coverage_load_at(f.out_fd, f.out, &c), 0);
	ck_assert_str_eq(ranges(&c, "a"), "1-2,9-9");
	ck_assert_str_eq(ranges(&c, "c"), "1-1");
	coverage_free(&c);
	dirfix_close(&f);
}
END_TEST

/* A journal whose line `line` is damaged: the load fails, FAIL_SYS,
 * naming the journal and the line. */
static void
assert_damaged(const char *text, int line)
{
	struct dirfix f;
	struct coverage c;
	unsigned char archived[1];
	uint64_t sid = 1;
	char want[300], *err;

	dirfix_open(&f, "journal");
	put_journal(&f, text);
	snprintf(want, sizeof(want), "%s/%s:%d: ", f.out, JOURNAL_FILE, line);
	dirfix_stderr_begin(&f);
	ck_assert_int_eq(coverage_load_at(f.out_fd, f.out, &c), -1);
	err = dirfix_stderr_end(&f);
	assert_has(err, want);
	free(err);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	ck_assert_int_eq(fail_exit_status(), 1);
	ck_assert_uint_eq(c.n, 0);
	fail_reset();
	ck_assert_int_eq(journal_archived(f.out_fd, f.out, &sid, 1, archived),
	    -1);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	dirfix_close(&f);
}

START_TEST(damaged_lines_stop_the_load)
{
	static const struct {
		const char *text;
		int line;
	} bad[] = {
		{ "B 000001.tgz\nD 1 1 2 a\nE\nB 000002.tgz\nD 2 x 3 a\nE\n", 5 },
		{ "B 000001.tgz\nD 1 1 2 a\nE\nX\n", 4 },
		{ "\nB 000001.tgz\nE\n", 1 },
		{ "D 1 1 2 a\n", 1 },
		{ "B 000001.tgz\nE\nE\n", 3 },
		{ "B \nE\n", 1 },
		{ "B 000001.tgz\nD 1 1 2 a%G1\nE\n", 2 },
		{ "B 000001.tgz\nD 1 3 2 a\nE\n", 2 },
		{ "B 000001.tgz\nD 1 1 2\nE\n", 2 },
		{ "B 000001.tgz\nD 1 1 2 a b\nE\n", 2 },
		{ "B 000001.tgz\nD 1 1 2 a\nE extra\n", 3 },
		{ "B 000001.tgz\nD 1  1 2 a\nE\n", 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_damaged(bad[i].text, bad[i].line);
}
END_TEST

START_TEST(nul_byte_is_damage)
{
	static const char text[] = { 'B', ' ', '0', '\0', '1', '\n', 'E', '\n' };
	struct dirfix f;
	struct coverage c;
	int fd;

	dirfix_open(&f, "journal");
	fd = openat(f.out_fd, JOURNAL_FILE, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text)), (ssize_t)sizeof(text));
	close(fd);
	ck_assert_int_eq(coverage_load_at(f.out_fd, f.out, &c), -1);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
	dirfix_close(&f);
}
END_TEST

START_TEST(archived_latest_group_wins)
{
	struct dirfix f;
	static const uint64_t sids[] = { 1, 2, 3, 4, 5, 6, 7 };
	unsigned char got[7];
	static const unsigned char want[7] = { 0, 0, 1, 1, 0, 0, 0 };
	size_t i;

	dirfix_open(&f, "journal");
	put_journal(&f,
	    "B 000001.tgz\nD 1 1 1 a\nD 2 2 2 a\nE\n"  /* superseded */
	    "B 000002.tgz\nD 3 3 3 a\nE\n"
	    "B 000001.tgz\nD 4 4 4 a\nE\n"             /* the latest */
	    "B 000003.tgz\nD 5 5 5 a\nE\n"             /* no archive */
	    "B 000004.tgz\nD 6 6 6 a\nE\n"             /* a symlink */
	    "B 000005.tgz\nD 7 7 7 a\n");              /* torn */
	put_at(f.out_fd, "000001.tgz", "x", 0644);
	put_at(f.out_fd, "000002.tgz", "x", 0644);
	put_at(f.out_fd, "000005.tgz", "x", 0644);
	put_at(f.out_fd, "victim", "x", 0644);
	ck_assert_int_eq(symlinkat("victim", f.out_fd, "000004.tgz"), 0);
	ck_assert_int_eq(journal_archived(f.out_fd, f.out, sids, 7, got), 0);
	for (i = 0; i < 7; i++)
		ck_assert_msg(got[i] == want[i], "sid %zu: archived %d, want %d",
		    i + 1, got[i], want[i]);
	/* No journal: nothing is archived. */
	ck_assert_int_eq(unlinkat(f.out_fd, JOURNAL_FILE, 0), 0);
	ck_assert_int_eq(journal_archived(f.out_fd, f.out, sids, 7, got), 0);
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(got[i], 0);
	dirfix_close(&f);
}
END_TEST

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

/* out/NAME planted by a hostile user: every use refused, saying why,
 * and what is behind unchanged. */
static void
assert_refused(struct dirfix *f, const char *why)
{
	struct coverage c;
	struct doc_meta d = meta(1, 1, 1, "a");
	uint64_t sid = 1;
	unsigned char archived;
	char *err;

	dirfix_stderr_begin(f);
	ck_assert_int_eq(coverage_load_at(f->out_fd, f->out, &c), -1);
	ck_assert_int_eq(journal_append(f->out_fd, f->out, "000001.tgz", &d, 1),
	    -1);
	ck_assert_int_eq(journal_archived(f->out_fd, f->out, &sid, 1,
	    &archived), -1);
	err = dirfix_stderr_end(f);
	assert_has(err, JOURNAL_FILE ": refused: ");
	assert_has(err, why);
	free(err);
	ck_assert_int_eq(fail_kind(), FAIL_SYS);
}

START_TEST(hostile_journal_refused)
{
	static const char victim[] = "B 000001.tgz\nD 1 1 1 a\nE\n";
	struct dirfix f;
	char *now;
	int root_fd;

	/* A symlink: nothing read, nothing appended behind it. */
	dirfix_open(&f, "journal");
	root_fd = open(f.root, O_RDONLY | O_DIRECTORY);
	put_at(root_fd, "victim", victim, 0644);
	ck_assert_int_eq(symlinkat("../victim", f.out_fd, JOURNAL_FILE), 0);
	assert_refused(&f, "symbolic link");
	now = get_at(root_fd, "victim");
	ck_assert_str_eq(now, victim);
	free(now);
	/* Writable by others. */
	ck_assert_int_eq(unlinkat(f.out_fd, JOURNAL_FILE, 0), 0);
	put_journal(&f, victim);
	ck_assert_int_eq(fchmodat(f.out_fd, JOURNAL_FILE, 0646, 0), 0);
	fail_reset();
	assert_refused(&f, "writable by its group or others");
	/* A hard link to a file of ours elsewhere. */
	ck_assert_int_eq(unlinkat(f.out_fd, JOURNAL_FILE, 0), 0);
	ck_assert_int_eq(linkat(root_fd, "victim", f.out_fd, JOURNAL_FILE, 0),
	    0);
	fail_reset();
	assert_refused(&f, "hard links");
	now = get_at(root_fd, "victim");
	ck_assert_str_eq(now, victim);
	free(now);
	/* Another user's (we are root: chown works). */
	if (geteuid() == 0) {
		ck_assert_int_eq(unlinkat(f.out_fd, JOURNAL_FILE, 0), 0);
		put_journal(&f, victim);
		ck_assert_int_eq(fchownat(f.out_fd, JOURNAL_FILE, 12345, 12345,
		    0), 0);
		fail_reset();
		assert_refused(&f, "owned by uid 12345");
		now = get_at(f.out_fd, JOURNAL_FILE);
		ck_assert_str_eq(now, victim);
		free(now);
	}
	close(root_fd);
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
journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *t = tcase_create("journal");

	tcase_add_test(t, groups_read_back);
	tcase_add_test(t, coverage_merges_ranges);
	tcase_add_test(t, torn_groups_count_for_nothing);
	tcase_add_test(t, damaged_lines_stop_the_load);
	tcase_add_test(t, nul_byte_is_damage);
	tcase_add_test(t, archived_latest_group_wins);
	tcase_add_test(t, meta_round_trip);
	tcase_add_test(t, staged_documents_are_covered);
	tcase_add_test(t, hostile_journal_refused);
	tcase_add_test(t, hostile_staging_refused);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}
