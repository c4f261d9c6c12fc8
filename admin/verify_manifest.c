/*
 * verify_manifest.c - see verify_manifest.h.
 */
#include "verify_manifest.h"

#include <string.h>

#include "problems.h"

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "HASH  NAME" -> digest and name; -1 if the line is not one. */
static int
parse_line(const char *line, size_t len, unsigned char d[SHA256_DIGEST],
    const char **name, size_t *name_len)
{
	int i, hi, lo;

	if (len < 2 * SHA256_DIGEST + 3 || line[64] != ' ' || line[65] != ' ')
		return -1;
	for (i = 0; i < SHA256_DIGEST; i++) {
		if ((hi = hex_digit(line[2 * i])) < 0 ||
		    (lo = hex_digit(line[2 * i + 1])) < 0)
			return -1;
		d[i] = (unsigned char)(hi << 4 | lo);
	}
	*name = line + 66;
	*name_len = len - 66;
	return 0;
}

static struct member_digest *
find_member(struct verifier *v, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < v->ndigests; i++)
		if (strlen(v->digests[i].name) == len &&
		    memcmp(v->digests[i].name, name, len) == 0)
			return &v->digests[i];
	return NULL;
}

static int
check_line(struct verifier *v, const char *path, unsigned lineno,
    const char *line, size_t len)
{
	unsigned char d[SHA256_DIGEST];
	struct member_digest *md;
	const char *name;
	size_t nlen;

	if (parse_line(line, len, d, &name, &nlen) < 0)
		return problem("%s: SHA256SUMS line %u: not a sha256sum line",
		    path, lineno);
	if (!(md = find_member(v, name, nlen)))
		return problem("%s: SHA256SUMS line %u lists %.*s, which the "
		    "archive does not hold", path, lineno, (int)nlen, name);
	md->listed = 1;
	if (memcmp(md->digest, d, SHA256_DIGEST) != 0)
		return problem("%s %s: SHA-256 does not match SHA256SUMS", path,
		    md->name);
	return 0;
}

int
verify_manifest(struct verifier *v, const char *path)
{
	const char *p = (const char *)v->manifest.data;
	const char *end = p + v->manifest.len, *nl;
	unsigned lineno = 0;
	size_t i;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		lineno++;
		if (!nl)
			return problem("%s: SHA256SUMS line %u: no newline at its "
			    "end", path, lineno);
		if (check_line(v, path, lineno, p, (size_t)(nl - p)) < 0)
			return -1;
		p = nl + 1;
	}
	for (i = 0; i < v->ndigests; i++)
		if (!v->digests[i].listed && problem("%s: SHA256SUMS has no "
		    "line for %s", path, v->digests[i].name) < 0)
			return -1;
	return 0;
}
