/*
 * verify_index.c - see verify_index.h.
 */
#include "verify_index.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"
#include "journal.h"
#include "problems.h"
#include "staging.h"

/* "NNNNNN.tgz" or "P-NNNNNN.tgz": the number, and the prefix's length
 * ("P-" included); 0 if name is not an archive's. */
static uint64_t
archive_number(const char *name, size_t *prefix_len)
{
	size_t len = strlen(name), d = 0;
	const char *digits;
	uint64_t v = 0;

	if (len < 10 || strcmp(name + len - 4, ".tgz") != 0)
		return 0;
	while (d < len - 4 && name[len - 5 - d] >= '0' &&
	    name[len - 5 - d] <= '9')
		d++;
	digits = name + len - 4 - d;
	if (d < 6 || (digits > name && (digits - name < 2 ||
	    digits[-1] != '-')))
		return 0;
	for (; digits < name + len - 4; digits++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*digits - '0');
	}
	*prefix_len = (size_t)(name + len - 4 - d - name);
	return v;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct archive_entry *)a)->name,
	    ((const struct archive_entry *)b)->name);
}

struct archive_entry *
index_find(struct archive_index *ix, const char *name)
{
	struct archive_entry key = { 0 };

	key.name = (char *)name;
	if (ix->n == 0)
		return NULL; /* and ix->e may be NULL, which bsearch may not */
	return bsearch(&key, ix->e, ix->n, sizeof(*ix->e), cmp_entry);
}

/* The entry of name, added (unsorted, at the end) if new; NULL (said)
 * when out of memory.  Sorted once both reads are done; until then a
 * linear search would be slow, so adding keeps duplicates and
 * index_sort merges them. */
static struct archive_entry *
index_add(struct archive_index *ix, const char *name)
{
	struct archive_entry *e;
	size_t cap;

	if (ix->n == ix->cap) {
		cap = ix->cap ? ix->cap * 2 : 64;
		if (!(e = realloc(ix->e, cap * sizeof(*e)))) {
			fail_nomem("verify");
			return NULL;
		}
		ix->e = e;
		ix->cap = cap;
	}
	e = &ix->e[ix->n];
	memset(e, 0, sizeof(*e));
	if (!(e->name = strdup(name))) {
		fail_nomem("verify");
		return NULL;
	}
	e->number = archive_number(name, &e->prefix_len);
	ix->n++;
	return e;
}

/* Sorts, then merges entries of one name: the latest group, and whether
 * the file stands there. */
static void
index_sort(struct archive_index *ix)
{
	size_t i, out = 0;

	if (ix->n == 0)
		return; /* an empty DIR: ix->e is NULL, which qsort may not take */
	qsort(ix->e, ix->n, sizeof(*ix->e), cmp_entry);
	for (i = 0; i < ix->n; i++) {
		if (out > 0 && strcmp(ix->e[out - 1].name, ix->e[i].name) == 0) {
			if (ix->e[i].latest > ix->e[out - 1].latest)
				ix->e[out - 1].latest = ix->e[i].latest;
			ix->e[out - 1].on_disk |= ix->e[i].on_disk;
			free(ix->e[i].name);
			continue;
		}
		ix->e[out++] = ix->e[i];
	}
	ix->n = out;
}

/* Pass one's state: both journal callbacks get it. */
struct pass1 {
	struct archive_index *ix;
	const char *dir;
};

static int
note_group(const struct journal_group *g, void *arg)
{
	struct pass1 *p = arg;
	struct archive_entry *e = index_add(p->ix, g->archive);

	if (!e)
		return -1;
	e->latest = ++p->ix->groups;
	return 0;
}

static int
note_damage(uint64_t line, const char *what, void *arg)
{
	struct pass1 *p = arg;

	return problem("%s/%s:%" PRIu64 ": %s; its group counts for nothing",
	    p->dir, JOURNAL_FILE, line, what);
}

static int
list_dir(int dirfd, const char *dir, struct archive_index *ix)
{
	struct archive_entry *a;
	struct dirent *e;
	size_t plen;
	DIR *d;
	int rc;

	if (!(d = dir_stream(dirfd, dir)))
		return -1;
	while ((rc = dir_next(d, dir, &e)) > 0) {
		if (e->d_name[0] == '.' || !archive_number(e->d_name, &plen))
			continue;
		if (!(a = index_add(ix, e->d_name))) {
			rc = -1;
			break;
		}
		a->on_disk = 1;
	}
	closedir(d);
	return rc < 0 ? -1 : 0;
}

int
index_build(int dirfd, const char *dir, struct archive_index *ix)
{
	struct pass1 p = { ix, dir };
	struct journal_visitor v = { note_group, note_damage, &p };

	memset(ix, 0, sizeof(*ix));
	if (journal_scan(dirfd, dir, &v) < 0 || list_dir(dirfd, dir, ix) < 0)
		return -1;
	index_sort(ix);
	return 0;
}

static int
cmp_sequence(const void *a, const void *b)
{
	const struct archive_entry *x = *(const struct archive_entry *const *)a;
	const struct archive_entry *y = *(const struct archive_entry *const *)b;
	size_t n = x->prefix_len < y->prefix_len ? x->prefix_len :
	    y->prefix_len;
	int c = memcmp(x->name, y->name, n);

	if (c == 0 && x->prefix_len != y->prefix_len)
		c = x->prefix_len < y->prefix_len ? -1 : 1;
	if (c == 0)
		c = x->number < y->number ? -1 : x->number > y->number;
	return c;
}

/* "[P-]NNNNNN.tgz" for number in e's prefix. */
static void
name_in_sequence(char *buf, size_t size, const struct archive_entry *e,
    uint64_t number)
{
	snprintf(buf, size, "%.*s%06" PRIu64 ".tgz", (int)e->prefix_len,
	    e->name, number);
}

static int
report_gap(const char *dir, const struct archive_entry *before,
    const struct archive_entry *after)
{
	uint64_t from = before ? before->number + 1 : 1;
	uint64_t to = after->number - 1;
	char first[300], last[300], span[640];

	name_in_sequence(first, sizeof(first), after, from);
	name_in_sequence(last, sizeof(last), after, to);
	if (from == to)
		snprintf(span, sizeof(span), "archive %s", first);
	else
		snprintf(span, sizeof(span), "archives %s to %s", first, last);
	if (!before)
		return problem("%s: no %s before %s", dir, span, after->name);
	return problem("%s: no %s between %s and %s", dir, span,
	    before->name, after->name);
}

int
index_check_numbering(const struct archive_index *ix, const char *dir)
{
	const struct archive_entry **seq, *prev = NULL;
	size_t i, n = 0;
	int rc = 0;

	if (!(seq = calloc(ix->n ? ix->n : 1, sizeof(*seq))))
		return fail_nomem("verify");
	for (i = 0; i < ix->n; i++)
		if (ix->e[i].number)
			seq[n++] = &ix->e[i];
	qsort(seq, n, sizeof(*seq), cmp_sequence);
	for (i = 0; i < n && rc == 0; i++) {
		if (prev && (prev->prefix_len != seq[i]->prefix_len ||
		    memcmp(prev->name, seq[i]->name, prev->prefix_len) != 0))
			prev = NULL; /* a prefix of its own */
		if (seq[i]->number > (prev ? prev->number + 1 : 1) &&
		    (!prev || seq[i]->number != prev->number))
			rc = report_gap(dir, prev, seq[i]);
		prev = seq[i];
	}
	free(seq);
	return rc;
}

void
index_free(struct archive_index *ix)
{
	size_t i;

	for (i = 0; i < ix->n; i++)
		free(ix->e[i].name);
	free(ix->e);
	memset(ix, 0, sizeof(*ix));
}
