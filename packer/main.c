/*
 * csvpack-packer - waits on "converted", packs the staged batch into
 * NNNNNN.tgz, makes it durable, deletes the batch's documents, then sets
 * "packed".  A batch marked last ends the run; an empty batch makes no
 * archive.  Each archive's path goes to stdout as soon as it is durable,
 * one per line, so `csvpack ... | xargs -n1 upload` works.
 *
 * --dir DIR packs the documents found in DIR once, without a pipeline.
 *
 * --xsd: every archive's first member is schema.xsd, the one the
 * converter staged (staging/schema.xsd, kept until the run is over, so
 * a resumed run packs what a crash left with it); with --dir, DIR's
 * schema.xsd, which must be there when there is a document to pack, and
 * is left there.
 *
 * Every function here returns 0 or -1 with the failure said and its kind
 * recorded (fail.h); main() turns that into the exit status.  What fails
 * while cleaning up after the work is done (a temporary name left, the
 * staging directory or the lock not removed) is said and recorded, the
 * work goes on, and the run ends with exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "doc_check.h"
#include "fail.h"
#include "journal.h"
#include "meta.h"
#include "msg.h"
#include "options.h"
#include "outdir.h"
#include "outlock.h"
#include "peers.h"
#include "pipeline.h"
#include "progress.h"
#include "proc.h"
#include "signals.h"
#include "stage.h"
#include "staging.h"
#include "sysio.h"

struct packer {
	const struct options *opt;
	struct pipeline pipe;
	int attached;
	int journal_fd;        /* -o's; SRC's under --dir */
	const char *journal_path;
	int lock_fd;
	struct archive_dirs dirs;
	char *staging_path;
	uint64_t next;         /* the next archive's number */
	int64_t mtime;
	int stdout_closed;
	uint64_t archives, archive_bytes;
	int show_progress;
	struct progress progress;
};

/* Prints an archive's path; a reader that went away (EPIPE) stops the
 * printing, not the packing: the archives are what matters.  Another
 * error stops the printing too, and the run ends with exit 1. */
static void
announce(struct packer *pk, const char *name)
{
	if (pk->stdout_closed)
		return;
	if (printf("%s/%s\n", pk->dirs.out_path, name) < 0 ||
	    fflush(stdout) == EOF) {
		pk->stdout_closed = 1;
		if (errno != EPIPE)
			fail_sys("stdout");
	}
}

static int
delete_documents(struct packer *pk, const uint64_t *sids, size_t n)
{
	char name[32];
	size_t i;

	for (i = 0; i < n; i++) {
		staging_doc_name(name, sizeof(name), sids[i]);
		if (unlinkat(pk->dirs.staging_fd, name, 0) < 0)
			return fail_sys("%s/%s", pk->dirs.staging_path, name);
		meta_name(name, sizeof(name), sids[i]);
		if (unlinkat(pk->dirs.staging_fd, name, 0) < 0 &&
		    errno != ENOENT)
			return fail_sys("%s/%s", pk->dirs.staging_path, name);
	}
	if (sys_fsync(pk->dirs.staging_fd) < 0)
		return fail_sys("%s: fsync", pk->dirs.staging_path);
	return 0;
}

/* What the journal gets for one archive, just before its rename. */
struct group_to_journal {
	struct packer *pk;
	const char *archive;
	const uint64_t *sids;
	size_t n;
};

/* Every document's rows must be known: one whose meta cannot be read
 * stops the run (journaled as unknown, a --resume would read its rows
 * again, and they would stand in two archives).  --dir's documents come
 * from no pipeline: the journal in SRC records only which archive holds
 * which of them, so that a run that failed after an archive stood and
 * before all its documents were deleted never packs them again. */
static int
write_journal(void *arg)
{
	struct group_to_journal *g = arg;
	struct packer *pk = g->pk;
	struct doc_meta *docs;
	char name[32];
	size_t i;
	int rc = 0;

	docs = calloc(g->n, sizeof(*docs));
	if (!docs)
		return fail_nomem("journal");
	for (i = 0; i < g->n && !pk->attached; i++) {
		docs[i].sid = g->sids[i];
		snprintf(docs[i].source, sizeof(docs[i].source), "%s",
		    pk->dirs.staging_path);
	}
	for (i = 0; i < g->n && rc == 0 && pk->attached; i++) {
		rc = meta_load(pk->dirs.staging_fd, pk->dirs.staging_path,
		    g->sids[i], &docs[i]);
		if (rc == 0) {
			meta_name(name, sizeof(name), g->sids[i]);
			errno = ENOENT;
			rc = fail_sys("%s/%s: the rows of a staged document "
			    "are unknown; not packed", pk->dirs.staging_path,
			    name);
		}
		rc = rc < 0 ? -1 : 0;
	}
	if (rc == 0)
		rc = journal_append(pk->journal_fd, pk->journal_path,
		    g->archive, docs, g->n);
	free(docs);
	return rc;
}

/* Packs every complete document in staging, B per archive, in sid order. */
static int
pack_staged(struct packer *pk)
{
	struct group_to_journal g;
	uint64_t *sids, bytes;
	size_t n, i, take;
	char name[300];
	int rc = 0;

	if (pk->attached)
		pipeline_doing(&pk->pipe, DOING_PACKING);
	if (staging_list(pk->dirs.staging_fd, pk->dirs.staging_path, &sids,
	    &n) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i += take) {
		take = n - i < pk->opt->batch ? n - i : pk->opt->batch;
		archive_name(name, sizeof(name), pk->opt->prefix, pk->next);
		g = (struct group_to_journal){ pk, name, sids + i, take };
		if (archive_build(&pk->dirs, name, sids + i, take,
		    pk->opt->level, pk->opt->jobs, pk->mtime, write_journal, &g,
		    &bytes) < 0 ||
		    delete_documents(pk, sids + i, take) < 0) {
			rc = -1;
			break;
		}
		pk->next++;
		pk->archives++;
		pk->archive_bytes += bytes;
		if (pk->attached) {
			atomic_fetch_add(&pk->pipe.sh->count.archives, 1);
			atomic_fetch_add(&pk->pipe.sh->count.archive_bytes, bytes);
		}
		announce(pk, name);
		if (pk->show_progress)
			progress_archive(&pk->progress);
	}
	free(sids);
	return rc;
}

/* Documents an interrupted run left in staging although their archive
 * stands (it died between the rename and the deletes) are deleted now,
 * not packed twice. */
static int
drop_archived(struct packer *pk)
{
	uint64_t *sids, *done;
	unsigned char *archived;
	size_t n, i, ndone = 0;
	int rc = 0;

	if (staging_list(pk->dirs.staging_fd, pk->dirs.staging_path, &sids,
	    &n) < 0)
		return -1;
	archived = malloc(n ? n : 1);
	done = malloc((n ? n : 1) * sizeof(*done));
	if (!archived || !done) {
		rc = fail_nomem(pk->dirs.staging_path);
	} else if (n && journal_archived(pk->journal_fd, pk->journal_path,
	    pk->dirs.out_fd, pk->dirs.out_path, sids, n, archived) < 0) {
		rc = -1;
	} else {
		for (i = 0; i < n; i++)
			if (archived[i])
				done[ndone++] = sids[i];
		if (ndone) {
			msg_info("%s: %zu documents already archived by an "
			    "earlier run; deleting them", pk->dirs.staging_path,
			    ndone);
			rc = delete_documents(pk, done, ndone);
		}
	}
	free(sids);
	free(archived);
	free(done);
	return rc;
}

/* Serves the converter's handoffs until the last one. */
static int
run(struct packer *pk)
{
	struct pipeline *p = &pk->pipe;
	int last, sig;

	if (drop_archived(pk) < 0)
		return -1;
	for (;;) {
		if (pipeline_wait_event(p, EV_CONVERTED) < 0)
			return pipeline_wait_failed(p);
		last = (int)atomic_load(&p->sh->handoff_eos);
		if (pack_staged(pk) < 0)
			return -1;
		if (event_clear(&p->ev[EV_CONVERTED]) < 0 ||
		    event_set(&p->ev[EV_PACKED]) < 0)
			return fail_sys("sem %s", p->names.name);
		if (last) {
			sig = pipeline_stop_signal(p);
			return sig ? fail_note_stop(sig) : 0;
		}
	}
}

/* SOURCE_DATE_EPOCH if set (reproducible builds), else fallback. */
static int
member_mtime(int64_t fallback, int64_t *out)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	*out = fallback;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return fail_usage("SOURCE_DATE_EPOCH='%s' is not a count of "
		    "seconds", s);
	*out = v;
	return 0;
}

static void
summary(struct packer *pk)
{
	struct pipeline_counters *c = &pk->pipe.sh->count;
	double secs = (double)(now_ms() - pk->pipe.sh->started_ms) / 1000.0;
	uint64_t csv = atomic_load(&c->csv_bytes);

	uint64_t nulls = atomic_load(&c->nulls);
	char null_part[48] = "";

	if (nulls)
		snprintf(null_part, sizeof(null_part), ", %" PRIu64 " null%s",
		    nulls, nulls == 1 ? "" : "s");
	msg_info("%" PRIu64 " inputs, %" PRIu64 " rows%s, %" PRIu64
	    " documents, %" PRIu64 " archives, %" PRIu64 " bytes, %.2f s, "
	    "%.1f MB/s", atomic_load(&c->inputs), atomic_load(&c->rows),
	    null_part, atomic_load(&c->documents), pk->archives,
	    pk->archive_bytes, secs, secs > 0 ? (double)csv / 1e6 / secs : 0.0);
}

/* The output directory (created if missing, a symlink to it followed:
 * the user named it) and the documents' directory: --dir's, named by
 * the user too, or the staging directory inside the output directory,
 * reached from its descriptor and checked (outdir.h). */
static int
open_dirs(struct packer *pk, const char *pack_dir)
{
	pk->dirs.out_path = pk->opt->output;
	pk->dirs.manifest = pk->opt->manifest;
	pk->dirs.xsd = pk->opt->xsd;
	pk->dirs.xsd_missing = pack_dir ? ", which --xsd with --dir packs "
	    "first (csvpack-converter --schema writes one)" :
	    ", which --xsd packs first (the converter writes it from the "
	    "first input's header; documents an earlier run left without "
	    "--xsd are packed by a run without it)";
	if (make_dirs(pk->opt->output) < 0 ||
	    outdir_open(pk->opt->output, 0, &pk->dirs.out_fd) < 0)
		return -1;
	pk->journal_fd = pk->dirs.out_fd;
	pk->journal_path = pk->dirs.out_path;
	if (pack_dir) {
		pk->dirs.staging_path = pack_dir;
		if (outdir_open(pack_dir, 0, &pk->dirs.staging_fd) < 0)
			return -1;
		pk->journal_fd = pk->dirs.staging_fd;
		pk->journal_path = pack_dir;
		return 0;
	}
	pk->dirs.staging_fd = staging_open_at(pk->dirs.out_fd,
	    pk->opt->output, &pk->staging_path);
	if (pk->dirs.staging_fd < 0)
		return -1;
	pk->dirs.staging_path = pk->staging_path;
	return 0;
}

/* Numbers new archives after the highest one there; removes temporary
 * archives a crash left (so only with the directory locked). */
static int
scan_archives(struct packer *pk)
{
	if (archive_scan(pk->dirs.out_fd, pk->opt->output, pk->opt->prefix,
	    &pk->next) < 0)
		return -1;
	pk->next++;
	return 0;
}

static void
close_dirs(struct packer *pk)
{
	if (pk->dirs.staging_fd >= 0)
		sys_close(pk->dirs.staging_fd);
	if (pk->dirs.out_fd >= 0)
		sys_close(pk->dirs.out_fd);
	free(pk->staging_path);
}

/* --dir: documents no run of ours wrote, so each is checked whole and
 * well-formed before any is packed (and deleted). */
static int
check_documents(struct packer *pk)
{
	uint64_t *sids;
	size_t n, i;
	char name[32];
	int rc = 0;

	if (staging_list(pk->dirs.staging_fd, pk->dirs.staging_path, &sids,
	    &n) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		staging_doc_name(name, sizeof(name), sids[i]);
		rc = doc_check(pk->dirs.staging_fd, pk->dirs.staging_path, name);
	}
	free(sids);
	return rc;
}

/* --dir, all packed and deleted: SRC's journal holds nothing to know. */
static int
forget_packed(struct packer *pk)
{
	if (unlinkat(pk->dirs.staging_fd, JOURNAL_FILE, 0) < 0 &&
	    errno != ENOENT)
		return fail_sys("%s/%s", pk->dirs.staging_path, JOURNAL_FILE);
	return 0;
}

static int
pack_dir(struct packer *pk)
{
	char owner[32];
	int rc = -1;

	if (member_mtime(time(NULL), &pk->mtime) < 0)
		return -1;
	/* Not a pipeline, but the output directory is as much ours while we
	 * write into it. */
	snprintf(owner, sizeof(owner), "dir-%ld", (long)getpid());
	if (open_dirs(pk, pk->opt->pack_dir) == 0 &&
	    (pk->lock_fd = outlock_take_at(pk->dirs.out_fd, pk->opt->output,
	    owner)) >= 0 &&
	    scan_archives(pk) == 0 && drop_archived(pk) == 0 &&
	    check_documents(pk) == 0 && pack_staged(pk) == 0)
		rc = forget_packed(pk);
	if (outlock_release_at(pk->lock_fd, pk->dirs.out_fd, pk->opt->output,
	    rc == 0) < 0)
		rc = -1;
	close_dirs(pk);
	return rc;
}

/* The run is over and its documents packed: the schema the converter
 * staged for them (--xsd, or an earlier run's) goes too, so that staging
 * is empty.  Until then it stays, whatever else the packer deletes: the
 * documents a crash leaves are packed with it. */
static int
drop_schema(struct packer *pk)
{
	if (pk->dirs.staging_fd < 0 || pk->opt->pack_dir)
		return 0;
	if (unlinkat(pk->dirs.staging_fd, ARCHIVE_SCHEMA, 0) < 0 &&
	    errno != ENOENT)
		return fail_sys("%s/%s", pk->dirs.staging_path, ARCHIVE_SCHEMA);
	return 0;
}

/* After a pipeline run: staging goes if the run is over (done, or
 * stopped in order), the lock too; -1 if either could not be removed. */
static int
finish(struct packer *pk, int rc)
{
	int over = stage_in_order(rc), ok = 0;

	if (over && pk->pipe.sh) {
		/* Staging is empty now: leave only archives behind. */
		if (drop_schema(pk) < 0)
			ok = -1;
		else if (pk->dirs.staging_fd >= 0 &&
		    staging_remove(pk->dirs.out_fd, pk->dirs.staging_fd,
		    pk->dirs.staging_path, rc == 0) < 0)
			ok = -1;
		summary(pk);
	}
	pipeline_detach(&pk->pipe, over);
	if (outlock_release_at(pk->lock_fd, pk->dirs.out_fd, pk->opt->output,
	    over) < 0)
		ok = -1;
	return ok;
}

/* The pipeline joined: the output directory, its lock and archives, then
 * every handoff until the last. */
static int
serve(struct packer *pk)
{
	const struct options *o = pk->opt;
	int rc;

	if (open_dirs(pk, NULL) < 0 ||
	    (pk->lock_fd = outlock_take_at(pk->dirs.out_fd, o->output,
	    o->name)) < 0 ||
	    scan_archives(pk) < 0 ||
	    member_mtime(pk->pipe.sh->started, &pk->mtime) < 0)
		return -1;
	pk->show_progress = !o->quiet && (o->progress || isatty(STDERR_FILENO));
	if (pk->show_progress)
		progress_start(&pk->progress, pk->pipe.sh);
	rc = run(pk);
	progress_stop(&pk->progress);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct packer pk;
	int rc;

	rc = stage_options(argc, argv, &opt);
	if (rc <= 0)
		return fail_status_of(rc);
	memset(&pk, 0, sizeof(pk));
	pk.opt = &opt;
	pk.dirs.out_fd = pk.dirs.staging_fd = -1;
	pk.lock_fd = -1;
	if (opt.pack_dir)
		return fail_status_of(pack_dir(&pk));
	/* Attach first: a failure after it is seen by the other stages at
	 * once (this one leaves as failed), not after the launcher's timer. */
	rc = stage_join(&pk.pipe, &opt, STAGE_PACKER, opt.batch);
	pk.attached = rc == 0;
	if (rc == 0)
		rc = serve(&pk);
	if (finish(&pk, rc) < 0 && rc == 0)
		rc = -1;
	close_dirs(&pk);
	return fail_status_of(rc);
}
