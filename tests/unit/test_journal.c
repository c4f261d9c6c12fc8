/*
 * test_journal.c - unit tests of common/journal.h: the journal's groups,
 * read strictly, and the archived documents still in staging.
 *
 * journal_read hands out the complete groups in order; a group torn by a
 * crash (no E, a last line cut, a line closed with CR LF by the next
 * append) counts for nothing, for journal_read and for the coverage built
 * on it; a damaged complete line stops the read with
 * "DIR/.csvpack-journal:LINE:" and FAIL_SYS; journal_archived gives a
 * staged sid to an archive only when the latest group of that archive's
 * name lists it and the archive is a regular file of ours.  A journal
 * that is a symlink, another user's, hard-linked or writable by others is
 * refused with nothing behind it touched.
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

/* What journal_read hands out: each complete group in order, with its
 * archive and documents; torn groups never; a callback's -1 stops it. */
struct seen {
	char text[512];
	size_t len;
	int stop_at;  /* the group that fails, from 1; 0: none */
	int groups;
};

static int
note_group(const char *archive, const struct doc_meta *docs, size_t n,
    void *arg)
{
	struct seen *s = arg;
	size_t i;

	if (++s->groups == s->stop_at)
		return -1;
	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len,
	    "%s:", archive);
	for (i = 0; i < n; i++)
		s->len += (size_t)snprintf(s->text + s->len,
		    sizeof(s->text) - s->len, " %llu=%s",
		    (unsigned long long)docs[i].sid, docs[i].source);
	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len,
	    ";");
	return 0;
}

START_TEST(groups_in_order)
{
	struct dirfix f;
	struct seen s;

	dirfix_open(&f, "journal");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(journal_read(f.out_fd, f.out, note_group, &s), 0);
	ck_assert_int_eq(s.groups, 0); /* no journal: no group */
	put_journal(&f,
	    "B 000002.tgz\nD 1 1 2 a\nE\n"
	    "B 000001.tgz\nD 2 3 4 a\n"             /* torn */
	    "B 000001.tgz\nE\n"                     /* empty */
	    "B x%20y\nD 3 5 6 b%20c\nD 4 0 0 ?\nE\n"
	    "B 000003.tgz\nD 5 7 8 a\nE\r\n"        /* closed after a crash */
	    "B 000004.tgz\nD 6 9 9 a\nE");          /* the E line cut */
	ck_assert_int_eq(journal_read(f.out_fd, f.out, note_group, &s), 0);
	ck_assert_str_eq(s.text, "000002.tgz: 1=a;000001.tgz:;x y: 3=b c 4=?;");
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	ck_assert_int_eq(journal_read(f.out_fd, f.out, note_group, &s), -1);
	ck_assert_int_eq(s.groups, 2);
	ck_assert_str_eq(s.text, "000002.tgz: 1=a;");
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
	    "D 9 1 1 0 0 c\nE\n"));
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
	ck_assert_int_eq(journal_archived(f.out_fd, f.out, f.out_fd, f.out, &sid, 1, archived),
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
	ck_assert_int_eq(journal_archived(f.out_fd, f.out, f.out_fd, f.out, sids, 7, got), 0);
	for (i = 0; i < 7; i++)
		ck_assert_msg(got[i] == want[i], "sid %zu: archived %d, want %d",
		    i + 1, got[i], want[i]);
	/* No journal: nothing is archived. */
	ck_assert_int_eq(unlinkat(f.out_fd, JOURNAL_FILE, 0), 0);
	ck_assert_int_eq(journal_archived(f.out_fd, f.out, f.out_fd, f.out, sids, 7, got), 0);
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(got[i], 0);
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
	ck_assert_int_eq(journal_archived(f->out_fd, f->out, f->out_fd, f->out, &sid, 1,
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

/* verify's reader: damage is reported line by line and voids its group,
 * and reading goes on; each group comes with the line of its B. */
struct scan_log {
	char text[1024];
};

static int
log_group(const struct journal_group *g, void *arg)
{
	struct scan_log *l = arg;
	size_t len = strlen(l->text);

	snprintf(l->text + len, sizeof(l->text) - len, "G%s@%llu:%zu(%llu-%llu) ",
	    g->archive, (unsigned long long)g->line, g->n,
	    (unsigned long long)(g->n ? g->docs[0].first_line : 0),
	    (unsigned long long)(g->n ? g->docs[g->n - 1].last_line : 0));
	return 0;
}

static int
log_damage(uint64_t line, const char *what, void *arg)
{
	struct scan_log *l = arg;
	size_t len = strlen(l->text);

	snprintf(l->text + len, sizeof(l->text) - len, "X%llu:%s ",
	    (unsigned long long)line, what);
	return 0;
}

START_TEST(scan_reports_damage_and_goes_on)
{
	struct scan_log l = { "" };
	struct journal_visitor v = { log_group, log_damage, &l };
	struct dirfix f;

	dirfix_open(&f, "journal");
	put_journal(&f,
	    "B 000001.tgz\nD 1 1 2 2 3 a\nE\n"
	    "B 000002.tgz\nD 2 3 x a\nE\n"          /* damaged: void */
	    "D 3 5 6 b\n"                          /* outside a group */
	    "B 000003.tgz\nD 4 7 8 a\nD 5 9 9 12 12 a\nE\n"
	    "garbage\nE\n");
	ck_assert_int_eq(journal_scan(f.out_fd, f.out, &v), 0);
	ck_assert_str_eq(l.text, "G000001.tgz@1:1(2-3) "
	    "X5:not a document's sid, rows and input "
	    "X6:the end of a group never begun "
	    "X7:a document outside a group "
	    "G000003.tgz@8:2(0-12) "
	    "X12:not a journal line X13:the end of a group never begun ");
	dirfix_close(&f);
}
END_TEST

Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *t = tcase_create("journal");

	tcase_add_test(t, groups_in_order);
	tcase_add_test(t, torn_groups_count_for_nothing);
	tcase_add_test(t, damaged_lines_stop_the_load);
	tcase_add_test(t, nul_byte_is_damage);
	tcase_add_test(t, archived_latest_group_wins);
	tcase_add_test(t, hostile_journal_refused);
	tcase_add_test(t, scan_reports_damage_and_goes_on);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}
