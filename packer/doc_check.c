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
 * where the document went wrong) and printed once with its line.
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
	int io;      /* the reader could not read the file */
	int line;
	char text[200];
};

static void
keep_first_error(void *arg, xmlErrorPtr e)
{
	struct first_error *fe = arg;
	size_t n;

	if (fe->seen || !e || e->level < XML_ERR_ERROR)
		return;
	fe->seen = 1;
	fe->io = e->domain == XML_FROM_IO;
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
	r = xmlReaderForFd(fd, name, NULL,
	    XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	if (!r) {
		sys_close(fd);
		return fail_nomem("the XML reader");
	}
	xmlTextReaderSetStructuredErrorHandler(r, keep_first_error, &fe);
	while ((rc = xmlTextReaderRead(r)) == 1)
		;
	xmlFreeTextReader(r);
	sys_close(fd);
	if (rc == 0 && !fe.seen)
		return 0;
	if (fe.io) {
		msg_warn("%s/%s: cannot read it: %s", dir_path, name, fe.text);
		return fail_note(FAIL_SYS);
	}
	msg_warn("%s/%s:%d: not well-formed XML: %s; nothing packed",
	    dir_path, name, fe.line, fe.seen ? fe.text : "parse error");
	return fail_note(FAIL_DATA);
}
