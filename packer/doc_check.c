/*
 * doc_check.c - a well-formedness check with libxml2's xmlTextReader.
 *
 * The reader streams: it holds one node at a time, not the tree, so a
 * document of any size is checked in constant memory. No network, no
 * DTD loading, no entity substitution: a document is only read, never
 * resolved. XML_PARSE_HUGE lifts libxml2's 10 MB limit on one text node,
 * as a field may be as large as the ring (--ring-size) allows.
 *
 * libxml2 reports errors through a callback; the first one is kept (it is
 * where the document went wrong) and printed once with its line.  Two of
 * them are not the document's fault: the reader reads through our own
 * callback (EINTR and short reads handled by sysio.h), which keeps the
 * errno of a failed read, and an allocation libxml2 could not make is
 * out of memory - both exit 1, not 65.
 */
#include "doc_check.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlreader.h>

#include "fail.h"
#include "msg.h"
#include "outdir.h"
#include "sysio.h"

struct first_error {
	int seen;
	int nomem;   /* libxml2 ran out of memory */
	int line;
	char text[200];
};

/* The document's bytes for the reader; a failure keeps its errno. */
struct source {
	int fd;
	int err;
};

static int
source_read(void *ctx, char *buf, int len)
{
	struct source *src = ctx;
	ssize_t n = sys_read(src->fd, buf, (size_t)len);

	if (n < 0) {
		src->err = errno;
		return -1;
	}
	return (int)n;
}

static int
source_close(void *ctx)
{
	(void)ctx; /* the descriptor is doc_check's */
	return 0;
}

static void
keep_first_error(void *arg, xmlErrorPtr e)
{
	struct first_error *fe = arg;
	size_t n;

	if (fe->seen || !e || e->level < XML_ERR_ERROR)
		return;
	fe->seen = 1;
	fe->nomem = e->code == XML_ERR_NO_MEMORY ||
	    e->domain == XML_FROM_MEMORY;
	fe->line = e->line;
	snprintf(fe->text, sizeof(fe->text), "%s",
	    e->message ? e->message : "parse error");
	n = strlen(fe->text);
	while (n > 0 && (fe->text[n - 1] == '\n' || fe->text[n - 1] == ' '))
		fe->text[--n] = '\0';
}

int
doc_check(int dir_fd, const char *dir_path, const char *name)
{
	struct first_error fe = { 0, 0, 0, "" };
	struct source src = { -1, 0 };
	xmlTextReaderPtr r;
	struct stat st;
	int fd, rc;

	if ((rc = outdir_open_read(dir_fd, dir_path, name, &fd)) <= 0) {
		if (rc == 0) {
			errno = ENOENT;
			fail_sys("%s/%s", dir_path, name);
		}
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		fail_sys("%s/%s: fstat", dir_path, name);
		sys_close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		msg_warn("%s/%s: empty, not an XML document; nothing packed",
		    dir_path, name);
		sys_close(fd);
		return fail_note(FAIL_DATA);
	}
	src.fd = fd;
	r = xmlReaderForIO(source_read, source_close, &src, name, NULL,
	    XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	if (!r) {
		sys_close(fd);
		if (src.err) {
			errno = src.err;
			return fail_sys("%s/%s: read", dir_path, name);
		}
		return fail_nomem("the XML reader");
	}
	xmlTextReaderSetStructuredErrorHandler(r, keep_first_error, &fe);
	while ((rc = xmlTextReaderRead(r)) == 1)
		;
	xmlFreeTextReader(r);
	sys_close(fd);
	if (src.err) {
		errno = src.err;
		return fail_sys("%s/%s: read", dir_path, name);
	}
	if (fe.nomem)
		return fail_nomem("the XML reader");
	if (rc == 0 && !fe.seen)
		return 0;
	msg_warn("%s/%s:%d: not well-formed XML: %s; nothing packed",
	    dir_path, name, fe.line, fe.seen ? fe.text : "parse error");
	return fail_note(FAIL_DATA);
}
