/*
 * verify_archive.c - see verify_archive.h.
 */
#include "verify_archive.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fail.h"
#include "problems.h"
#include "sysio.h"
#include "verify_doc.h"
#include "verify_manifest.h"

int
verifier_init(struct verifier *v, int dirfd, const char *dir,
    const struct options *o)
{
	memset(v, 0, sizeof(*v));
	v->o = o;
	v->dirfd = dirfd;
	v->dir = dir;
	buf_init(&v->where, 0);
	buf_init(&v->clean, 0);
	buf_init(&v->manifest, 0);
	buf_init(&v->doc.names, 0);
	v->ap = prefetch_new();
	v->dp = doc_parser_new();
	if (!v->ap || !v->dp)
		return fail_nomem("verify");
	return 0;
}

void
verifier_free(struct verifier *v)
{
	prefetch_free(v->ap);
	doc_parser_free(v->dp);
	ranges_free(&v->ranges);
	if (v->comparing)
		compare_free(&v->cmp);
	buf_free(&v->where);
	buf_free(&v->clean);
	buf_free(&v->manifest);
	buf_free(&v->doc.names);
	free(v->digests);
	free(v->seen);
}

/* v->where = "DIR/ARCHIVE" or "DIR/ARCHIVE MEMBER". */
static int
set_where(struct verifier *v, const char *member)
{
	buf_reset(&v->where);
	if (buf_append(&v->where, v->dir, strlen(v->dir)) < 0 ||
	    buf_append(&v->where, "/", 1) < 0 ||
	    buf_append(&v->where, v->archive, strlen(v->archive)) < 0 ||
	    (member && (buf_append(&v->where, " ", 1) < 0 ||
	    buf_append(&v->where, member, strlen(member)) < 0)) ||
	    buf_append(&v->where, "", 1) < 0)
		return fail_nomem("verify");
	return 0;
}

static const char *
where(const struct verifier *v)
{
	return (const char *)v->where.data;
}

/* "NNNNNN.xml": its sid; 0 if name is not a document's. */
static uint64_t
doc_sid(const char *name)
{
	size_t len = strlen(name), i;
	uint64_t sid = 0;

	if (len < 10 || strcmp(name + len - 4, ".xml") != 0)
		return 0;
	for (i = 0; i < len - 4; i++) {
		if (name[i] < '0' || name[i] > '9' || sid > UINT64_MAX / 10)
			return 0;
		sid = sid * 10 + (uint64_t)(name[i] - '0');
	}
	return sid;
}

/* The group's line for sid: found in order, after the last one matched
 * (*next), or elsewhere in the group (members out of sid order, said
 * once).  *m is NULL for a document the group does not list. */
static int
match_member(struct verifier *v, const struct journal_group *g, size_t *next,
    uint64_t sid, const char *name, const struct doc_meta **m)
{
	size_t j;

	*m = NULL;
	if (!g)
		return 0;
	for (j = *next; j < g->n && g->docs[j].sid != sid; j++)
		;
	if (j == g->n) {
		for (j = 0; j < *next && g->docs[j].sid != sid; j++)
			;
		if (j == *next)
			return problem("%s/%s: %s is not in the journal's group "
			    "for it (line %" PRIu64 ")", v->dir, v->archive, name,
			    g->line);
		if (!v->out_of_order++ && problem("%s/%s: %s comes after "
		    "%06" PRIu64 ".xml: members out of sid order", v->dir,
		    v->archive, name, g->docs[*next - 1].sid) < 0)
			return -1;
	}
	if (v->seen[j] && problem("%s/%s: %s twice", v->dir, v->archive,
	    name) < 0)
		return -1;
	v->doc_index = j;
	*next = j + 1;
	*m = &g->docs[j];
	return 0;
}

/* Per archive: which of the group's documents were read through. */
static int
reset_seen(struct verifier *v, const struct journal_group *g)
{
	unsigned char *seen;
	size_t n = g ? g->n : 0;

	v->out_of_order = 0;
	if (n > v->cap_seen) {
		if (!(seen = realloc(v->seen, n)))
			return fail_nomem("verify");
		v->seen = seen;
		v->cap_seen = n;
	}
	if (n)
		memset(v->seen, 0, n);
	return 0;
}

/* The group's documents the archive did not give whole: not held, or
 * lost to damage; their rows are in no archive. */
static int
unseen_documents(struct verifier *v, const struct journal_group *g,
    int damaged)
{
	char why[600];
	size_t j;

	snprintf(why, sizeof(why), "%s/%s is damaged", v->dir, v->archive);
	for (j = 0; g && j < g->n; j++) {
		if (v->seen[j])
			continue;
		if (!damaged && problem("%s/%s: the journal's group (line %" PRIu64
		    ") lists %06" PRIu64 ".xml, the archive does not hold it",
		    v->dir, v->archive, g->line, g->docs[j].sid) < 0)
			return -1;
		if (!damaged)
			snprintf(why, sizeof(why), "%s/%s does not hold them",
			    v->dir, v->archive);
		if (verify_rows_lost(v, &g->docs[j], why) < 0)
			return -1;
	}
	return ranges_flush_lost(&v->ranges);
}

static int
add_digest(struct verifier *v, const char *name,
    const unsigned char d[SHA256_DIGEST])
{
	struct member_digest *md;
	size_t cap;

	if (v->ndigests == v->cap_digests) {
		cap = v->cap_digests ? v->cap_digests * 2 : 128;
		if (!(md = realloc(v->digests, cap * sizeof(*md))))
			return fail_nomem("verify");
		v->digests = md;
		v->cap_digests = cap;
	}
	md = &v->digests[v->ndigests++];
	memset(md, 0, sizeof(*md));
	snprintf(md->name, sizeof(md->name), "%s", name);
	memcpy(md->digest, d, SHA256_DIGEST);
	return 0;
}

/* Feeds the parser; its first problem is the document's.  -1 only for a
 * failure of verify itself. */
static int
feed(struct verifier *v, int *parsing, const void *data, size_t n)
{
	if (!*parsing || doc_parser_feed(v->dp, data, n) == 0)
		return 0;
	*parsing = 0;
	if (doc_parser_failed_sys(v->dp) || doc_parser_stopped(v->dp))
		return -1;
	return problem("%s: %s", where(v), doc_parser_problem(v->dp));
}

/* A member's bytes, hashed and (for a document) parsed.  1 read through,
 * 0 the archive failed inside it, -1 after saying why. */
static int
read_member(struct verifier *v, const struct archive_member *am, int is_doc,
    int *parsed)
{
	const void *data;
	ssize_t n;
	int parsing = is_doc;

	while ((n = prefetch_read(v->ap, &data)) > 0)
		if (feed(v, &parsing, data, (size_t)n) < 0)
			return -1;
	if (n < 0)
		return prefetch_failed_sys(v->ap) ? -1 : 0;
	if (parsing && doc_parser_end(v->dp) < 0) {
		parsing = 0;
		if (doc_parser_failed_sys(v->dp) || doc_parser_stopped(v->dp))
			return -1;
		if (problem("%s: %s", where(v), doc_parser_problem(v->dp)) < 0)
			return -1;
	}
	*parsed = parsing;
	return add_digest(v, am->name, prefetch_digest(v->ap)) < 0 ? -1 : 1;
}

static int
read_document(struct verifier *v, const struct archive_member *am,
    const struct journal_group *g, size_t *next)
{
	const struct doc_meta *m;
	struct doc_callbacks cb;
	uint64_t sid = doc_sid(am->name);
	int rc, parsed = 0;

	if (set_where(v, am->name) < 0 ||
	    match_member(v, g, next, sid, am->name, &m) < 0 ||
	    verify_doc_begin(v, sid, m) < 0)
		return -1;
	verify_doc_callbacks(v, &cb);
	if (doc_parser_begin(v->dp, &cb) < 0)
		return fail_nomem("verify");
	v->documents++;
	if ((rc = read_member(v, am, 1, &parsed)) < 0)
		return -1;
	if (verify_doc_end(v, rc > 0, parsed) < 0)
		return -1;
	if (m && rc > 0)
		v->seen[v->doc_index] = 1;
	return rc;
}

/* SHA256SUMS: kept whole (bounded) for verify_manifest; *manifest is 1
 * when it is to be checked, 2 when it is too big to be. */
static int
read_manifest(struct verifier *v, const struct archive_member *am,
    int *manifest)
{
	const void *data;
	ssize_t n;

	buf_reset(&v->manifest);
	*manifest = am->size > MANIFEST_MAX ? 2 : 1;
	if (*manifest == 2)
		return problem("%s/%s: SHA256SUMS is %" PRIu64 " bytes, more "
		    "than a manifest of csvpack's", v->dir, v->archive,
		    am->size) < 0 ? -1 : 1;
	while ((n = prefetch_read(v->ap, &data)) > 0)
		if (buf_append(&v->manifest, data, (size_t)n) < 0)
			return fail_nomem("verify");
	if (n < 0)
		return prefetch_failed_sys(v->ap) ? -1 : 0;
	return 1;
}

/* One member.  1 read through, 0 the archive failed inside it, -1 after
 * saying why.  *manifest is set once SHA256SUMS is read. */
static int
read_one(struct verifier *v, const struct archive_member *am,
    const struct journal_group *g, size_t *next, int *manifest)
{
	int parsed;

	if (*manifest && problem("%s/%s: %s follows SHA256SUMS, which must "
	    "be the last member", v->dir, v->archive, am->name) < 0)
		return -1;
	if (strcmp(am->name, "SHA256SUMS") == 0)
		return read_manifest(v, am, manifest);
	if (doc_sid(am->name))
		return read_document(v, am, g, next);
	if (strcmp(am->name, "schema.xsd") == 0) {
		if (am->index != 1 && problem("%s/%s: schema.xsd is member %u, "
		    "not the first", v->dir, v->archive, am->index) < 0)
			return -1;
	} else if (problem("%s/%s: member %u, %s, is none that csvpack writes",
	    v->dir, v->archive, am->index, am->name) < 0) {
		return -1;
	}
	return read_member(v, am, 0, &parsed);
}

/* The members, in order; what the group lists and the archive lacks. */
static int
read_members(struct verifier *v, const struct journal_group *g)
{
	struct archive_member am;
	size_t next = 0;
	int rc, manifest = 0, one = 1, damaged;

	v->ndigests = 0;
	if (reset_seen(v, g) < 0)
		return -1;
	while (one > 0 && (rc = prefetch_next(v->ap, &am)) > 0)
		one = read_one(v, &am, g, &next, &manifest);
	if (one < 0 || (rc < 0 && prefetch_failed_sys(v->ap)))
		return -1;
	damaged = one == 0 || rc < 0;
	if (damaged && problem("%s/%s: %s", v->dir, v->archive,
	    prefetch_problem(v->ap)) < 0)
		return -1;
	if (unseen_documents(v, g, damaged) < 0)
		return -1;
	if (damaged || manifest != 1)
		return 0;
	if (set_where(v, NULL) < 0)
		return -1;
	return verify_manifest(v, where(v));
}

int
verify_archive(struct verifier *v, const char *name,
    const struct journal_group *g)
{
	struct stat st;
	int fd, rc;

	v->archive = name;
	/* Not followed if it is a symlink; not blocked on if a FIFO. */
	fd = sys_openat(v->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0);
	if (fd < 0 && errno == ELOOP)
		return problem("%s/%s: a symbolic link, not an archive", v->dir,
		    name);
	if (fd < 0)
		return fail_sys("%s/%s", v->dir, name);
	if (fstat(fd, &st) < 0) {
		rc = fail_sys("%s/%s: fstat", v->dir, name);
	} else if (!S_ISREG(st.st_mode)) {
		rc = problem("%s/%s: not a regular file", v->dir, name);
	} else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		rc = fail_sys("%s/%s: fcntl", v->dir, name); /* reads block */
	} else if (set_where(v, NULL) < 0 ||
	    prefetch_open(v->ap, fd, where(v)) < 0) {
		rc = -1;
	} else {
		v->archives++;
		rc = read_members(v, g);
	}
	prefetch_close(v->ap);
	sys_close(fd);
	return rc;
}
