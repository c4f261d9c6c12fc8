/*
 * decode.c - streaming iconv; see decode.h.
 *
 * Decoded text goes to our own buffer first, so a caller asking for fewer
 * bytes than one character takes still gets them, a piece at a time.
 */
#include "decode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DECODE_IN_SIZE (64 * 1024)
#define DECODE_OUT_SIZE (4 * DECODE_IN_SIZE)

int
decoder_open(struct decoder *d, const char *encoding, struct csv_source inner)
{
	memset(d, 0, sizeof(*d));
	d->cd = iconv_open("UTF-8", encoding);
	if (d->cd == (iconv_t)-1)
		return -1;
	d->in = malloc(DECODE_IN_SIZE);
	d->out = malloc(DECODE_OUT_SIZE);
	if (!d->in || !d->out) {
		decoder_close(d);
		errno = ENOMEM;
		return -1;
	}
	d->inner = inner;
	return 0;
}

void
decoder_close(struct decoder *d)
{
	if (d->cd != (iconv_t)-1 && d->cd != NULL)
		iconv_close(d->cd);
	free(d->in);
	free(d->out);
	memset(d, 0, sizeof(*d));
}

/* Reads more raw bytes after in_len.  Returns 1, 0 at the end, -1. */
static int
read_more(struct decoder *d)
{
	ssize_t n;

	n = d->inner.read(d->inner.ctx, d->in + d->in_len,
	    DECODE_IN_SIZE - d->in_len); /* EINTR: as csv.c, the source's call */
	if (n < 0)
		return -1;
	if (n == 0) {
		d->eof = 1;
		return 0;
	}
	d->in_len += (size_t)n;
	return 1;
}

/* Decodes what is buffered into out.  Returns 0 (maybe nothing decoded:
 * an incomplete character waits for more input) or -1 with errno. */
static int
decode(struct decoder *d)
{
	char *inp = d->in, *outp = d->out;
	size_t inleft = d->in_len, outleft = DECODE_OUT_SIZE;
	size_t r;
	int saved = 0;

	r = iconv(d->cd, &inp, &inleft, &outp, &outleft);
	if (r == (size_t)-1)
		saved = errno;
	memmove(d->in, inp, inleft);
	d->in_len = inleft;
	d->out_pos = 0;
	d->out_len = DECODE_OUT_SIZE - outleft;
	if (saved == EILSEQ || (saved == EINVAL && d->eof)) {
		if (d->out_len > 0)
			return 0; /* hand out the good part; fail next time */
		errno = EILSEQ;
		return -1;
	}
	return 0;
}

ssize_t
decoder_read(void *ctx, void *buf, size_t n)
{
	struct decoder *d = ctx;
	size_t take;

	while (d->out_pos == d->out_len) {
		if (!d->eof && d->in_len < DECODE_IN_SIZE && read_more(d) < 0)
			return -1;
		if (d->eof && d->in_len == 0)
			return 0;
		if (decode(d) < 0)
			return -1;
	}
	take = d->out_len - d->out_pos;
	if (take > n)
		take = n;
	memcpy(buf, d->out + d->out_pos, take);
	d->out_pos += take;
	return (ssize_t)take;
}
