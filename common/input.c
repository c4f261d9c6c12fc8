/*
 * input.c - see input.h.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fail.h"
#include "msg.h"
#include "signals.h"
#include "sysio.h"

/* The byte source of every input: read(2), retried on EINTR unless a stop
 * signal came, and watched for stalls when asked. */
static ssize_t
input_read(void *ctx, void *buf, size_t n)
{
	struct input *in = ctx;
	struct pollfd pfd = { in->fd, POLLIN, 0 };
	ssize_t r;
	int ready;

	for (;;) {
		if (signal_caught)
			return errno = EINTR, -1;
		if (in->stall_ms > 0 && in->on_stall) {
			ready = poll(&pfd, 1, in->stall_ms);
			if (ready < 0 && errno == EINTR)
				continue;
			if (ready < 0)
				return -1;
			if (ready == 0) {
				if (in->on_stall(in->stall_arg) < 0) {
					in->stall_failed = 1;
					return errno = ECANCELED, -1;
				}
				continue;
			}
		}
		r = read(in->fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		/* A non-blocking descriptor (a shell may hand stdin over
		 * so): wait for data as a blocking read would.  With stall
		 * checks on, the poll above waits. */
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (in->stall_ms <= 0 && poll(&pfd, 1, -1) < 0 &&
			    errno != EINTR)
				return -1;
			continue;
		}
		return r;
	}
}

/* Says what the reader's error was and records its kind; returns -1. */
static int
report(struct input *in, int rc)
{
	struct csv_reader *r = in->csv;

	if (rc == CSV_EIO && csv_errno(r) == EINTR && signal_caught)
		return fail_note_stop(signal_caught);
	if (rc == CSV_EIO && csv_errno(r) == ECANCELED && in->stall_failed)
		return -1; /* on_stall said why */
	if (rc == CSV_EDATA && csv_errno(r) == EFBIG)
		return fail_data(in->name, csv_error_line(r), "%s; a larger "
		    "--ring-size carries longer rows", csv_error(r));
	if (rc == CSV_EDATA || (rc == CSV_EIO && csv_errno(r) == EILSEQ))
		return fail_data(in->name, csv_error_line(r), "%s",
		    csv_error(r));
	if (rc == CSV_ENOMEM)
		return fail_nomem(in->name);
	errno = csv_errno(r);
	return fail_sys("%s: read", in->name);
}

/* Marks the input failed: the reader's error is sticky, and a caller
 * that asked again must not get the last row a second time. */
static int
in_fail(struct input *in, int rc)
{
	in->failed = 1;
	return rc;
}

static int
grow_row(struct input *in, size_t n)
{
	struct field *f;

	if (n <= in->row_cap)
		return 0;
	f = realloc(in->row, n * sizeof(*f));
	if (!f)
		return -1;
	in->row = f;
	in->row_cap = n;
	return 0;
}

/* Keeps a copy of the header row: the reader reuses its buffers. */
static int
keep_header(struct input *in, const struct csv_row *row)
{
	size_t i, off = 0;

	in->ncols = (uint32_t)row->nfields;
	buf_reset(&in->header_bytes);
	for (i = 0; i < row->nfields; i++)
		if (buf_append(&in->header_bytes, row->field[i],
		    row->len[i] + 1) < 0)
			return -1;
	in->header = calloc(row->nfields ? row->nfields : 1,
	    sizeof(*in->header));
	if (!in->header)
		return -1;
	for (i = 0; i < row->nfields; i++) {
		in->header[i].s = (const char *)in->header_bytes.data + off;
		in->header[i].len = (uint32_t)row->len[i];
		off += row->len[i] + 1;
	}
	return 0;
}

static int
open_fd(struct input *in)
{
	if (strcmp(in->name, "-") == 0) {
		in->fd = STDIN_FILENO;
		return 0;
	}
	in->fd = sys_open(in->name, O_RDONLY | O_CLOEXEC, 0);
	if (in->fd < 0)
		return fail_sys("%s", in->name);
	return 0;
}

int
input_open(struct input *in, const char *name, const struct options *o,
    size_t max_row)
{
	struct csv_source src = { input_read, in };
	struct csv_row row;
	int rc;

	memset(in, 0, sizeof(*in));
	in->name = name;
	in->fd = -1;
	in->ragged = o->ragged;
	in->failed = 1; /* until the header is in: input_next says -1 */
	buf_init(&in->header_bytes, 0);
	if (open_fd(in) < 0)
		return -1;
	if (o->encoding) {
		if (decoder_open(&in->dec, o->encoding, src) < 0)
			return fail_sys("%s: iconv_open %s", name, o->encoding);
		in->decoding = 1;
		src.read = decoder_read;
		src.ctx = &in->dec;
	}
	in->csv = csv_reader_new(src, o->delim, 1, max_row);
	if (!in->csv)
		return fail_sys("%s", name);
	rc = csv_read_row(in->csv, &row);
	if (rc < 0)
		return report(in, rc);
	in->failed = 0;
	if (rc == CSV_EOF)
		return 0; /* empty input: no header, no rows */
	if (keep_header(in, &row) < 0) {
		in->failed = 1;
		return fail_nomem(name);
	}
	if (o->no_header) {
		/* Same width, empty names; the row itself is data. */
		memset(in->header, 0, in->ncols * sizeof(*in->header));
		in->pending = row;
		in->have_pending = 1;
	}
	return 0;
}

int
input_next(struct input *in, const struct field **fields, uint32_t *nfields,
    uint64_t *line)
{
	static const char empty[1] = "";
	struct csv_row row;
	size_t i, n;
	int rc;

	if (in->failed)
		return -1; /* errors are sticky: never a row again */
	if (!in->csv)
		return 0;
	if (in->have_pending) {
		row = in->pending;
		in->have_pending = 0;
	} else {
		rc = csv_read_row(in->csv, &row);
		if (rc == CSV_EOF)
			return 0;
		if (rc < 0)
			return in_fail(in, report(in, rc));
	}
	if (row.nfields != in->ncols && !in->ragged)
		return in_fail(in, fail_data(in->name, row.line, "row has %zu "
		    "field%s, the header has %u (--ragged pads short rows)",
		    row.nfields, row.nfields == 1 ? "" : "s", in->ncols));
	n = row.nfields > in->ncols ? row.nfields : in->ncols;
	if (n > UINT32_MAX)
		return in_fail(in, fail_data(in->name, row.line, "row has "
		    "%zu fields", row.nfields));
	if (grow_row(in, n) < 0)
		return in_fail(in, fail_nomem(in->name));
	for (i = 0; i < n; i++) {
		in->row[i].s = i < row.nfields ? row.field[i] : empty;
		in->row[i].len = i < row.nfields ? (uint32_t)row.len[i] : 0;
		in->row[i].quoted = i < row.nfields ? row.quoted[i] : 0;
	}
	*fields = in->row;
	*nfields = (uint32_t)n;
	*line = row.line;
	in->end_line = row.end_line;
	return 1;
}

uint64_t
input_bytes(const struct input *in)
{
	return in->csv ? csv_bytes_read(in->csv) : 0;
}

void
input_close(struct input *in)
{
	csv_reader_free(in->csv);
	if (in->decoding)
		decoder_close(&in->dec);
	if (in->fd > STDIN_FILENO)
		sys_close(in->fd);
	buf_free(&in->header_bytes);
	free(in->header);
	free(in->row);
	memset(in, 0, sizeof(*in));
	in->fd = -1;
}
