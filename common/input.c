/*
 * input.c - see input.h.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
		if (r > 0)
			in->raw_bytes += (uint64_t)r;
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

/* Whether lines counted on the inflated bytes are the text's: not for
 * UTF-16 or UTF-32, whose line ends are two or four bytes. */
static int
lines_of_bytes(const struct input *in)
{
	const char *e = in->read_as;

	return !e || (strncasecmp(e, "UTF-16", 6) != 0 &&
	    strncasecmp(e, "UTF16", 5) != 0 &&
	    strncasecmp(e, "UTF-32", 6) != 0 &&
	    strncasecmp(e, "UTF32", 5) != 0 &&
	    strncasecmp(e, "UCS", 3) != 0 &&
	    strncasecmp(e, "UNICODE", 7) != 0);
}

/* A damaged gzip stream.  Its member's CRC is checked only at the end:
 * the rows read from it before are archived, and the message says so. */
static int
gz_damage(struct input *in)
{
	const struct gz_input *g = &in->gz;

	if (g->out_bytes > g->member_out && in->end_line >= g->member_line &&
	    in->end_line > 0 && lines_of_bytes(in))
		msg_warn("%s: %s; gzip checks a member's CRC only at its end: "
		    "lines %llu-%llu, from that member, were read before and "
		    "are archived (`csvpack locate --line %s %s:%llu` names "
		    "the first archive that holds them)", in->name,
		    gz_input_error(g), (unsigned long long)g->member_line,
		    (unsigned long long)in->end_line, in->output, in->name,
		    (unsigned long long)(g->member_line > in->header_end ?
		    g->member_line : in->header_end + 1));
	else if (g->out_bytes > g->member_out && in->end_line > 0 &&
	    !lines_of_bytes(in))
		msg_warn("%s: %s; gzip checks a member's CRC only at its end: "
		    "rows read from that member before are archived", in->name,
		    gz_input_error(g));
	else
		msg_warn("%s: %s", in->name, gz_input_error(g));
	return fail_note(FAIL_DATA);
}

/* Invalid UTF-8 without --encoding: where, and what might read it. */
static int
not_utf8(struct input *in, uint64_t line)
{
	char what[80], advice[768];
	uint64_t early = utf8_check_early_line(&in->u8);

	utf8_check_what(&in->u8, what, sizeof(what));
	utf8_check_advice(&in->u8, advice, sizeof(advice));
	fail_data(in->name, early ? early : line, "%s", what);
	msg_warn("%s: %s", in->name, advice);
	return -1;
}

/* What a failed read of the input's first bytes was; returns -1. */
static int
open_failed(struct input *in)
{
	if (errno == EINTR && signal_caught)
		return fail_note_stop(signal_caught);
	if (errno == ECANCELED && in->stall_failed)
		return -1; /* on_stall said why */
	if (errno == EBADMSG && in->gz.damaged)
		return gz_damage(in);
	return fail_sys("%s: read", in->name);
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
	if (rc == CSV_EIO && csv_errno(r) == EBADMSG && in->gz.damaged)
		return gz_damage(in);
	if (rc == CSV_EIO && csv_errno(r) == EILSEQ && in->checking &&
	    in->u8.failed)
		return not_utf8(in, csv_error_line(r));
	if (rc == CSV_EIO && csv_errno(r) == EILSEQ && in->bom_decided)
		return fail_data(in->name, csv_error_line(r), "cannot be "
		    "decoded as %s, which its byte-order mark says it is",
		    in->read_as);
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
	const char *enc = o->encoding;
	struct csv_row row;
	int rc, kind;

	memset(in, 0, sizeof(*in));
	in->name = name;
	in->output = o->output;
	in->fd = -1;
	in->ragged = o->ragged;
	in->failed = 1; /* until the header is in: input_next says -1 */
	buf_init(&in->header_bytes, 0);
	if (open_fd(in) < 0)
		return -1;
	if (gz_input_open(&in->gz, src) < 0)
		return open_failed(in);
	in->gz_opened = 1;
	src.read = gz_input_read;
	src.ctx = &in->gz;
	if (bom_open(&in->bom, src) < 0)
		return open_failed(in);
	src.read = bom_read;
	src.ctx = &in->bom;
	kind = in->bom.kind;
	if (enc) {
		/* An agreeing mark stays: iconv reads it as before. */
		if (bom_resolve(in->bom.kind, enc) < 0)
			return fail_data(name, 1, "starts with a %s byte-order "
			    "mark, but --encoding says %s", bom_name(kind), enc);
	} else if (kind != BOM_NONE) {
		bom_skip(&in->bom, in->bom.mark_len);
		if (kind != BOM_UTF8) {
			enc = bom_name(kind);
			in->bom_decided = 1;
		}
	}
	if (enc) {
		if (decoder_open(&in->dec, enc, src) < 0)
			return fail_sys("%s: iconv_open %s", name, enc);
		in->decoding = 1;
		in->read_as = enc;
		src.read = decoder_read;
		src.ctx = &in->dec;
	} else {
		/* Checked here, with the byte and its column, not by the
		 * reader row by row. */
		utf8_check_init(&in->u8, src);
		in->checking = 1;
		src.read = utf8_check_read;
		src.ctx = &in->u8;
	}
	in->csv = csv_reader_new(src, o->delim, !in->checking, max_row);
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
	} else {
		in->header_end = row.end_line;
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
	return in->raw_bytes;
}

void
input_close(struct input *in)
{
	csv_reader_free(in->csv);
	if (in->decoding)
		decoder_close(&in->dec);
	if (in->gz_opened)
		gz_input_close(&in->gz);
	if (in->fd > STDIN_FILENO)
		sys_close(in->fd);
	buf_free(&in->header_bytes);
	free(in->header);
	free(in->row);
	memset(in, 0, sizeof(*in));
	in->fd = -1;
}
