/*
 * manifest.c - see manifest.h.
 */
#include "manifest.h"

#include <errno.h>
#include <string.h>

#include "fail.h"

void
manifest_init(struct manifest *m)
{
	buf_init(&m->lines, 0);
}

void
manifest_free(struct manifest *m)
{
	buf_free(&m->lines);
}

int
manifest_add(struct manifest *m, struct sha256 *c, const char *name)
{
	unsigned char digest[SHA256_DIGEST];
	char hex[SHA256_HEX];

	sha256_final(c, digest);
	sha256_hex(digest, hex);
	if (strpbrk(name, "\n\\")) {
		errno = EINVAL;
		return fail_sys("%s: %s: a name sha256sum would escape",
		    MANIFEST_NAME, name);
	}
	if (buf_append(&m->lines, hex, SHA256_HEX - 1) < 0 ||
	    buf_append(&m->lines, "  ", 2) < 0 ||
	    buf_append(&m->lines, name, strlen(name)) < 0 ||
	    buf_append(&m->lines, "\n", 1) < 0)
		return fail_nomem(MANIFEST_NAME);
	return 0;
}

const void *
manifest_data(const struct manifest *m)
{
	return m->lines.data;
}

size_t
manifest_size(const struct manifest *m)
{
	return m->lines.len;
}
