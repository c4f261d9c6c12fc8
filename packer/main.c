/*
 * csvpack-packer - waits on "converted", packs the staged batch into
 * NNNNNN.tgz, makes it durable, deletes the batch's documents, then sets
 * "packed".  A batch marked last ends the run; an empty batch makes no
 * archive.  Each archive's path goes to stdout as soon as it is durable,
 * one per line, so `csvpack ... | xargs -n1 upload` works.
 *
 * --dir DIR packs the documents found in DIR once, without a pipeline.
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
#include "journal.h"
#include "msg.h"
#include "options.h"
#include "outlock.h"
#include "pipeline.h"
#include "progress.h"
#include "proc.h"
#include "signals.h"
#include "staging.h"

struct packer {
	const struct options *opt;
	struct pipeline pipe;
	int attached;
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
 * printing, not the packing: the archives are what matters. */
static void
announce(struct packer *pk, const char *name)
{
	if (pk->stdout_closed)
		return;
	if (printf("%s/%s\n", pk->dirs.out_path, name) < 0 ||
	    fflush(stdout) == EOF) {
		pk->stdout_closed = 1;
		if (errno != EPIPE)
			msg_warn_errno("stdout");
	}
}

static int
delete_documents(struct packer *pk, const uint64_t *sids, size_t n)
{
	char name[32];
	size_t i;

	for (i = 0; i < n; i++) {
		staging_doc_name(name, sizeof(name), sids[i]);
		if (unlinkat(pk->dirs.staging_fd, name, 0) < 0) {
			msg_warn_errno("%s/%s", pk->dirs.staging_path, name);
			return -1;
		}
		meta_name(name, sizeof(name), sids[i]);
		if (unlinkat(pk->dirs.staging_fd, name, 0) < 0 &&
		    errno != ENOENT) {
			msg_warn_errno("%s/%s", pk->dirs.staging_path, name);
			return -1;
		}
	}
	if (fsync(pk->dirs.staging_fd) < 0) {
		msg_warn_errno("%s: fsync", pk->dirs.staging_path);
		return -1;
	}
	return 0;
}

/* What the journal gets for one archive, just before its rename. */
struct journal_group {
	struct packer *pk;
	const char *archive;
	const uint64_t *sids;
	size_t n;
};

static int
write_journal(void *arg)
{
	struct journal_group *g = arg;
	struct packer *pk = g->pk;
	struct doc_meta *docs;
	size_t i;
	int rc;

	if (!pk->attached)
		return 0; /* --dir: documents of no pipeline, no journal */
	docs = calloc(g->n, sizeof(*docs));
	if (!docs) {
		msg_warn("out of memory");
		return -1;
	}
	for (i = 0; i < g->n; i++)
		if (meta_read(pk->dirs.staging_fd, g->sids[i], &docs[i]) < 0) {
			/* Unknown rows: journaled as such, never skipped. */
			memset(&docs[i], 0, sizeof(docs[i]));
			docs[i].sid = g->sids[i];
			strcpy(docs[i].source, "?");
		}
	rc = journal_append(pk->dirs.out_fd, pk->dirs.out_path, g->archive,
	    docs, g->n);
	free(docs);
	return rc;
}

/* Packs every complete document in staging, B per archive, in sid order. */
static int
pack_staged(struct packer *pk)
{
	struct journal_group g;
	uint64_t *sids, bytes;
	size_t n, i, take;
	char name[300];
	int rc = 0;

	if (pk->attached)
		pipeline_doing(&pk->pipe, DOING_PACKING);
	if (staging_list(pk->dirs.staging_fd, pk->dirs.staging_path, &sids,
	    &n) < 0)
		return EXIT_FAIL;
	for (i = 0; i < n && rc == 0; i += take) {
		take = n - i < pk->opt->batch ? n - i : pk->opt->batch;
		archive_name(name, sizeof(name), pk->opt->prefix, pk->next);
		g = (struct journal_group){ pk, name, sids + i, take };
		if (archive_build(&pk->dirs, name, sids + i, take,
		    pk->opt->level, pk->opt->jobs, pk->mtime, write_journal, &g,
		    &bytes) < 0 ||
		    delete_documents(pk, sids + i, take) < 0) {
			rc = EXIT_FAIL;
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
		return EXIT_FAIL;
	archived = malloc(n ? n : 1);
	done = malloc((n ? n : 1) * sizeof(*done));
	if (!archived || !done) {
		msg_warn("out of memory");
		rc = EXIT_FAIL;
	} else if (n && journal_archived(pk->dirs.out_fd, pk->dirs.out_path,
	    sids, n, archived) < 0) {
		rc = EXIT_FAIL;
	} else {
		for (i = 0; i < n; i++)
			if (archived[i])
				done[ndone++] = sids[i];
		if (ndone) {
			msg_info("%s: %zu documents already archived by an "
			    "earlier run; deleting them", pk->dirs.staging_path,
			    ndone);
			if (delete_documents(pk, done, ndone) < 0)
				rc = EXIT_FAIL;
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
	int rc, last;

	if ((rc = drop_archived(pk)))
		return rc;
	for (;;) {
		if (pipeline_wait_event(p, EV_CONVERTED) < 0)
			return pipeline_wait_status(p);
		last = (int)atomic_load(&p->sh->handoff_eos);
		rc = pack_staged(pk);
		if (rc)
			return rc;
		if (event_clear(&p->ev[EV_CONVERTED]) < 0 ||
		    event_set(&p->ev[EV_PACKED]) < 0) {
			msg_warn_errno("sem %s", p->name);
			return EXIT_FAIL;
		}
		if (last)
			return pipeline_stop_signal(p) ?
			    128 + pipeline_stop_signal(p) : 0;
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
	if (errno || *end || v < 0) {
		msg_warn("SOURCE_DATE_EPOCH='%s' is not a count of seconds", s);
		return -1;
	}
	*out = v;
	return 0;
}

static void
summary(struct packer *pk)
{
	struct pipeline_counters *c = &pk->pipe.sh->count;
	double secs = (double)(now_ms() - pk->pipe.sh->started_ms) / 1000.0;
	uint64_t csv = atomic_load(&c->csv_bytes);

	msg_info("%" PRIu64 " inputs, %" PRIu64 " rows, %" PRIu64
	    " documents, %" PRIu64 " archives, %" PRIu64 " bytes, %.2f s, "
	    "%.1f MB/s", atomic_load(&c->inputs), atomic_load(&c->rows),
	    atomic_load(&c->documents), pk->archives, pk->archive_bytes, secs,
	    secs > 0 ? (double)csv / 1e6 / secs : 0.0);
}

static int
open_dirs(struct packer *pk, const char *staging)
{
	pk->dirs.out_path = pk->opt->output;
	if (make_dirs(pk->opt->output) < 0)
		return -1;
	pk->dirs.out_fd = open(pk->opt->output, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (pk->dirs.out_fd < 0) {
		msg_warn_errno("%s", pk->opt->output);
		return -1;
	}
	if (staging) {
		pk->dirs.staging_path = staging;
		pk->dirs.staging_fd = open(staging, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		if (pk->dirs.staging_fd < 0) {
			msg_warn_errno("%s", staging);
			return -1;
		}
	} else {
		pk->dirs.staging_fd = staging_open(pk->opt->output,
		    &pk->staging_path);
		if (pk->dirs.staging_fd < 0)
			return -1;
		pk->dirs.staging_path = pk->staging_path;
	}
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
	if (pk->dirs.staging_fd > 0)
		close(pk->dirs.staging_fd);
	if (pk->dirs.out_fd > 0)
		close(pk->dirs.out_fd);
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
		return EXIT_FAIL;
	for (i = 0; i < n && rc == 0; i++) {
		staging_doc_name(name, sizeof(name), sids[i]);
		rc = doc_check(pk->dirs.staging_fd, pk->dirs.staging_path, name);
	}
	free(sids);
	return rc;
}

static int
pack_dir(struct packer *pk)
{
	char owner[32];
	int rc;

	if (member_mtime(time(NULL), &pk->mtime) < 0)
		return EXIT_USAGE;
	/* Not a pipeline, but the output directory is as much ours while we
	 * write into it. */
	snprintf(owner, sizeof(owner), "dir-%ld", (long)getpid());
	if (open_dirs(pk, pk->opt->pack_dir) < 0 ||
	    (pk->lock_fd = outlock_take(pk->opt->output, owner)) < 0 ||
	    scan_archives(pk) < 0)
		rc = EXIT_FAIL;
	else if ((rc = check_documents(pk)) == 0)
		rc = pack_staged(pk);
	outlock_release(pk->lock_fd, pk->opt->output, rc == 0);
	close_dirs(pk);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct packer pk;
	int rc;

	msg_init(argv[0]);
	rc = options_parse(&opt, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;
	msg_quiet(opt.quiet);
	memset(&pk, 0, sizeof(pk));
	pk.opt = &opt;
	pk.dirs.out_fd = pk.dirs.staging_fd = -1;
	pk.lock_fd = -1;
	if (opt.pack_dir)
		return pack_dir(&pk);
	if (!opt.name) {
		msg_warn("--name is required when a stage runs alone "
		    "(the csvpack launcher picks one)");
		return EXIT_USAGE;
	}
	if (signals_install() < 0) {
		msg_warn_errno("sigaction");
		return EXIT_FAIL;
	}
	pk.lock_fd = -1;
	/* Attach first: a failure after it is seen by the other stages at
	 * once (this one leaves as failed), not after the launcher's timer. */
	if ((rc = pipeline_attach(&pk.pipe, opt.name, opt.ring_size,
	    STAGE_PACKER)) != 0)
		return rc;
	pk.attached = 1;
	pipeline_set_attach_timeout(&pk.pipe, opt.attach_timeout);
	if (make_dirs(opt.output) < 0)
		rc = EXIT_FAIL;
	else if ((rc = pipeline_agree(&pk.pipe, opt.output, opt.batch)))
		; /* said why */
	else if (open_dirs(&pk, NULL) < 0 ||
	    (pk.lock_fd = outlock_take(opt.output, opt.name)) < 0 ||
	    scan_archives(&pk) < 0)
		rc = EXIT_FAIL;
	else if (member_mtime(pk.pipe.sh->started, &pk.mtime) < 0)
		rc = EXIT_USAGE;
	else {
		pk.show_progress = !opt.quiet &&
		    (opt.progress || isatty(STDERR_FILENO));
		if (pk.show_progress)
			progress_start(&pk.progress, pk.pipe.sh);
		rc = run(&pk);
		progress_stop(&pk.progress);
	}
	if (rc == 0 || rc > 128) {
		/* Staging is empty now: leave only archives behind. */
		if (unlinkat(pk.dirs.out_fd, STAGING_DIR, AT_REMOVEDIR) < 0 &&
		    errno != ENOENT)
			msg_warn_errno("%s", pk.dirs.staging_path);
		summary(&pk);
	}
	pipeline_detach(&pk.pipe, rc == 0 || rc > 128, rc != 0 && rc < 128);
	outlock_release(pk.lock_fd, opt.output, rc == 0 || rc > 128);
	close_dirs(&pk);
	return rc;
}
