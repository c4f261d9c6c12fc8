/*
 * test_convert_pool.c - the converter's worker threads (convert_pool.h)
 * and the thread-safety of libxml2's allocator (xml_pool.h).
 *
 * Records with rows of every kind are converted by pools of 1 (inline),
 * 2, 3 and 4 threads, each document into a file of its own, and every
 * document must be byte for byte the one a lone xml_doc writes; jobs are
 * retired in submission order however they finish; a bad record and a
 * write to a closed descriptor fail their job alone, with EBADMSG and
 * EBADF, and the jobs after them are still good.  xml_pool: threads
 * allocating and freeing at once (blocks freed on another thread than
 * the one that made them too) keep every block's bytes their own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "check_helpers.h"
#include "recfix.h"
#include "suites.h"

#include "buf.h"
#include "convert_pool.h"
#include "options.h"
#include "record.h"
#include "sysio.h"
#include "xml_doc.h"
#include "xml_pool.h"

#define NREC 23

static void
base_options(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->root_name = "table";
	o->row_name = "row";
	o->provenance = PROVENANCE_ALL;
	o->null_as = NULL_AS_NIL;
	o->layout = LAYOUT_ROWS;
}

static char *attr_id[] = { "id" };
static char *null_strs[] = { "NULL" };

/* Shapes: the default one, and one with --attr, --null and pretty. */
static void
shape_options(int shape, struct options *o)
{
	base_options(o);
	if (shape == 1) {
		o->attr_cols = attr_id;
		o->nattr_cols = 1;
		o->nulls = null_strs;
		o->nnulls = 1;
		o->layout = LAYOUT_PRETTY;
	}
}

static const char *const values[] = {
	"", "plain", "a<b>&c", "NULL", "x\ry", "line\nbreak", "\x01\x0b",
	"\xef\xbf\xbe", "股票代码", "]]>", "\"q\"", "tab\there",
};
#define NVAL (sizeof(values) / sizeof(values[0]))

/* Record k: sid k+1, 1 + k*3 % 40 rows of 3 fields. */
static void
make_record(struct buf *b, unsigned k)
{
	static const struct field header[3] = {
		{ "id", 2, 0 }, { "name", 4, 0 }, { "v", 1, 0 },
	};
	struct trow *rows;
	uint32_t i, j, n = 1 + (k * 3) % 40;

	rows = calloc(n, sizeof(*rows));
	ck_assert_ptr_nonnull(rows);
	for (i = 0; i < n; i++) {
		rows[i].line = 2 + i;
		rows[i].n = 3;
		for (j = 0; j < 3; j++) {
			const char *v = values[(k + i * 3 + j) % NVAL];

			rows[i].f[j].s = v;
			rows[i].f[j].len = (uint32_t)strlen(v);
			rows[i].f[j].quoted = (unsigned char)((i + j) % 2);
		}
	}
	build(b, k + 1, 1 + k * 40, k % 2 ? "in/b.csv" : "a.csv", header, 3,
	    rows, n);
	free(rows);
}

/* What one xml_doc alone writes for record b, in memory. */
static void
reference_doc(const struct options *o, const struct buf *rec,
    struct buf *out)
{
	struct xml_doc d;
	struct field f[16];
	struct chunk c;
	uint64_t line;
	uint32_t n;
	int rc;

	xml_doc_init(&d);
	ck_assert_int_eq(xml_doc_shape(&d, o), 0);
	ck_assert_int_eq(chunk_open(&c, rec->data, rec->len, f, 16), 0);
	ck_assert_int_eq(xml_doc_attrs(&d, c.source.s, f, c.ncols), 0);
	ck_assert_int_eq(xml_doc_begin(&d, -1, c.source.s, c.sid), 0);
	ck_assert_int_eq(xml_doc_columns(&d, f, c.ncols, c.width), 0);
	while ((rc = chunk_next_row(&c, &line, f, 16, &n)) == 1)
		ck_assert_int_eq(xml_doc_row(&d, line, f, n), 0);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(xml_doc_end(&d), 0);
	buf_reset(out);
	ck_assert_int_eq(buf_append(out, d.sink.pending.data,
	    d.sink.pending.len), 0);
	xml_doc_free(&d);
}

static void
read_back(FILE *f, struct buf *out)
{
	unsigned char tmp[4096];
	ssize_t n;
	off_t off = 0;

	buf_reset(out);
	while ((n = pread(fileno(f), tmp, sizeof(tmp), off)) > 0) {
		ck_assert_int_eq(buf_append(out, tmp, (size_t)n), 0);
		off += n;
	}
	ck_assert_int_ge(n, 0);
}

/* One done job, checked and retired: its document against the
 * reference, or its failure. */
static void
check_retire(struct cpool *p, FILE **files, struct buf *recs,
    const struct options *o, uint64_t k, int bad_from)
{
	struct cpool_job *j = cpool_oldest(p, 1);
	struct buf got, want;

	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(j->sid, k + 1);
	if ((int)k == bad_from) {
		ck_assert_int_eq(j->rc, -1);
		ck_assert_int_eq(j->err, EBADMSG);
		cpool_retire(p);
		return;
	}
	ck_assert_msg(j->rc == 0, "job %llu failed: %s",
	    (unsigned long long)k, strerror(j->err));
	buf_init(&got, 0);
	buf_init(&want, 0);
	read_back(files[k], &got);
	reference_doc(o, &recs[k], &want);
	ck_assert_uint_eq(j->bytes, want.len);
	ck_assert_uint_eq(got.len, want.len);
	ck_assert_msg(memcmp(got.data, want.data, got.len) == 0,
	    "job %llu: the document differs from xml_doc's alone",
	    (unsigned long long)k);
	ck_assert_uint_eq(j->c.sid, k + 1);
	ck_assert_uint_eq(j->c.first_row, 1 + k * 40);
	ck_assert_uint_eq(j->c.nrows, 1 + (k * 3) % 40);
	buf_free(&got);
	buf_free(&want);
	cpool_retire(p);
}

/* NREC records through a pool of threads; bad >= 0: that record cut
 * short. */
static void
run_pool(int threads, int shape, int bad)
{
	struct options o;
	struct cpool p;
	struct buf recs[NREC], ring;
	FILE *files[NREC];
	struct ring_rec rr;
	struct cpool_job *j;
	uint64_t k, done = 0;

	shape_options(shape, &o);
	ck_assert_int_eq(cpool_open(&p, threads, &o), 0);
	buf_init(&ring, 0);
	for (k = 0; k < NREC; k++) {
		buf_init(&recs[k], 0);
		make_record(&recs[k], (unsigned)k);
		ck_assert_ptr_nonnull(files[k] = tmpfile());
	}
	for (k = 0; k < NREC; k++) {
		while (!(j = cpool_slot(&p)))
			check_retire(&p, files, recs, &o, done++, bad);
		j->fd = fileno(files[k]);
		j->sid = k + 1;
		snprintf(j->tmp, sizeof(j->tmp), "t%llu", (unsigned long long)k);
		/* The record as it lies in the ring ... */
		buf_reset(&ring);
		ck_assert_int_eq(buf_append(&ring, recs[k].data,
		    recs[k].len), 0);
		rr.type = REC_CHUNK;
		rr.data = ring.data;
		rr.len = (uint32_t)recs[k].len - ((int)k == bad ? 5 : 0);
		ck_assert_int_eq(cpool_submit(&p, j, &rr), 0);
		/* ... may be overwritten once released: the workers have
		 * their copy (inline, it is converted by now). */
		memset(ring.data, 0xAA, ring.len);
		ck_assert_uint_le(cpool_pending(&p), threads > 1 ?
		    (uint64_t)threads : 1);
	}
	while (done < NREC)
		check_retire(&p, files, recs, &o, done++, bad);
	ck_assert_ptr_null(cpool_oldest(&p, 0));
	ck_assert_uint_eq(cpool_pending(&p), 0);
	cpool_free(&p);
	buf_free(&ring);
	for (k = 0; k < NREC; k++) {
		buf_free(&recs[k]);
		fclose(files[k]);
	}
}

START_TEST(test_pool_documents_as_alone)
{
	static const int threads[] = { 1, 2, 3, 4 };
	int s;

	for (s = 0; s < 2; s++)
		run_pool(threads[_i], s, -1);
}
END_TEST

START_TEST(test_pool_bad_record_fails_alone)
{
	static const int threads[] = { 1, 2, 4 };

	run_pool(threads[_i], 0, 5);
	run_pool(threads[_i], 1, 0);
	run_pool(threads[_i], 0, NREC - 1);
}
END_TEST

START_TEST(test_pool_write_error_kept)
{
	struct options o;
	struct cpool p;
	struct buf rec;
	struct ring_rec rr;
	struct cpool_job *j;
	int fds[2], k;

	base_options(&o);
	ck_assert_int_eq(cpool_open(&p, 2, &o), 0);
	buf_init(&rec, 0);
	make_record(&rec, 7);
	ck_assert_int_eq(pipe(fds), 0);
	sys_close(fds[0]);
	sys_close(fds[1]); /* fds[1]: a closed descriptor, EBADF */
	for (k = 0; k < 2; k++) {
		ck_assert_ptr_nonnull(j = cpool_slot(&p));
		j->fd = k == 0 ? fds[1] : -1;
		j->sid = (uint64_t)k + 1;
		rr.type = REC_CHUNK;
		rr.data = rec.data;
		rr.len = (uint32_t)rec.len;
		ck_assert_int_eq(cpool_submit(&p, j, &rr), 0);
	}
	ck_assert_ptr_null(cpool_slot(&p));
	j = cpool_oldest(&p, 1);
	ck_assert_int_eq(j->rc, -1);
	ck_assert_int_eq(j->err, EBADF);
	cpool_retire(&p);
	j = cpool_oldest(&p, 1);
	ck_assert_int_eq(j->rc, 0); /* fd -1: kept in memory, fine */
	cpool_retire(&p);
	cpool_free(&p);
	buf_free(&rec);
}
END_TEST

START_TEST(test_pool_free_idle_and_zeroed)
{
	struct options o;
	struct cpool p;

	memset(&p, 0, sizeof(p));
	cpool_free(&p);
	base_options(&o);
	ck_assert_int_eq(cpool_open(&p, 4, &o), 0);
	ck_assert_ptr_null(cpool_oldest(&p, 1));
	cpool_free(&p);
	cpool_free(&p);
}
END_TEST

/* --- xml_pool across threads -------------------------------------------- */

#define PT_THREADS 4
#define PT_BLOCKS 512
#define PT_ROUNDS 200

struct pool_arg {
	unsigned id;
	void **give;        /* blocks handed to the next thread to free */
	pthread_mutex_t *lock;
	int bad;
};

static void *
pool_thread(void *v)
{
	struct pool_arg *a = v;
	unsigned char *blk[PT_BLOCKS];
	size_t size[PT_BLOCKS];
	unsigned r, i, k;

	for (r = 0; r < PT_ROUNDS; r++) {
		for (i = 0; i < PT_BLOCKS; i++) {
			size[i] = 1 + (i * 37 + r * 11 + a->id) % 300;
			blk[i] = xml_pool_malloc(size[i]);
			if (!blk[i]) {
				a->bad = 1;
				return NULL;
			}
			memset(blk[i], (int)(a->id * 31 + i), size[i]);
		}
		for (i = 0; i < PT_BLOCKS; i++)
			for (k = 0; k < size[i]; k++)
				if (blk[i][k] != (unsigned char)(a->id * 31 + i))
					a->bad = 1;
		/* Half freed here, half handed to another thread to free. */
		pthread_mutex_lock(a->lock);
		for (i = 0; i < PT_BLOCKS; i++) {
			if (i % 2 == 0) {
				xml_pool_free(blk[i]);
			} else {
				xml_pool_free(a->give[i]);
				a->give[i] = blk[i];
			}
		}
		pthread_mutex_unlock(a->lock);
	}
	return NULL;
}

START_TEST(test_xml_pool_threads)
{
	pthread_t t[PT_THREADS];
	struct pool_arg a[PT_THREADS];
	static void *give[PT_BLOCKS];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned i;

	memset(give, 0, sizeof(give));
	for (i = 0; i < PT_THREADS; i++) {
		a[i].id = i;
		a[i].give = give;
		a[i].lock = &lock;
		a[i].bad = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, pool_thread,
		    &a[i]), 0);
	}
	for (i = 0; i < PT_THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(!a[i].bad, "thread %u saw a block change", i);
	}
	for (i = 0; i < PT_BLOCKS; i++)
		xml_pool_free(give[i]);
	ck_assert_uint_eq(xml_pool_failures(), 0);
}
END_TEST

Suite *
convert_pool_suite(void)
{
	Suite *s = suite_create("convert_pool");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_pool_documents_as_alone, 0, 4);
	tcase_add_loop_test(tc, test_pool_bad_record_fails_alone, 0, 3);
	tcase_add_test(tc, test_pool_write_error_kept);
	tcase_add_test(tc, test_pool_free_idle_and_zeroed);
	tcase_add_test(tc, test_xml_pool_threads);
	suite_add_tcase(s, tc);
	return s;
}
