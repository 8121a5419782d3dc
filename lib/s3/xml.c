/* xml: the few elements of S3's XML answers spandex reads (the error Code, a ListObjectsV2
 * page's Keys, Sizes, LastModified, IsTruncated and NextContinuationToken), found by name:
 * S3 writes them flat, without attributes or CDATA, and escapes only the five predefined
 * entities (and numeric references), which are undone here. */
#include "lib/s3/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"

/* The text of the first <name>...</name> in [p, end), or NULL. */
static const char *elem(const char *p, const char *end, const char *name, size_t *len)
{
	char open[64], close[64];
	int on = snprintf(open, sizeof open, "<%s>", name);
	int cn = snprintf(close, sizeof close, "</%s>", name);
	const char *a = memmem(p, (size_t)(end - p), open, (size_t)on);
	if (!a)
		return NULL;
	a += on;
	const char *z = memmem(a, (size_t)(end - a), close, (size_t)cn);
	if (!z)
		return NULL;
	*len = (size_t)(z - a);
	return a;
}

/* XML text with its entities undone into out (cap bytes, NUL-terminated); false when it does
 * not fit or holds an entity S3 does not write. */
static bool unescape(const char *s, size_t n, char *out, size_t cap)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {
	    {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '&') {
			size_t k = 0, nents = sizeof ents / sizeof *ents;
			while (k < nents && strncmp(s + i, ents[k].ent, strlen(ents[k].ent)))
				k++;
			if (k < nents) {
				c = ents[k].c;
				i += strlen(ents[k].ent) - 1;
			} else if (i + 2 < n && s[i + 1] == '#') {
				char *end;
				long v = s[i + 2] == 'x' ? strtol(s + i + 3, &end, 16)
							 : strtol(s + i + 2, &end, 10);
				/* Keys here are ASCII: a reference beyond it is not one of ours. */
				if (end >= s + n || *end != ';' || v <= 0 || v > 127)
					return false;
				c = (char)v;
				i = (size_t)(end - s);
			} else {
				return false;
			}
		}
		if (o + 1 >= cap)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

void s3_error_code(const char *body, size_t n, char *code, size_t cn)
{
	size_t len;
	const char *c = body ? elem(body, body + n, "Code", &len) : NULL;
	code[0] = '\0';
	if (c && !unescape(c, len, code, cn))
		code[0] = '\0';
}

bool s3_list_parse(const char *body, size_t n, size_t plen, s3_list_fn fn, void *ctx, bool *more,
		   char *tok, size_t tn, size_t *count, bool *stop)
{
	const char *end = body + n, *p = body;
	size_t len;
	*more = false;
	*stop = false;
	*count = 0;
	tok[0] = '\0';
	if (!memmem(body, n, "<ListBucketResult", 17))
		return false;
	const char *t = elem(body, end, "IsTruncated", &len);
	*more = t && len == 4 && !memcmp(t, "true", 4);
	if ((t = elem(body, end, "NextContinuationToken", &len)) && !unescape(t, len, tok, tn))
		return false;
	char key[S3_MAX_KEY + 1], when[64];
	while ((p = memmem(p, (size_t)(end - p), "<Contents>", 10))) {
		const char *ce = memmem(p, (size_t)(end - p), "</Contents>", 11);
		if (!ce)
			return false;
		const char *k = elem(p, ce, "Key", &len);
		if (!k || !unescape(k, len, key, sizeof key) || strlen(key) < plen)
			return false;
		struct s3_obj o = {.key = key + plen};
		const char *sz = elem(p, ce, "Size", &len);
		if (sz)
			o.size = strtoull(sz, NULL, 10);
		const char *lm = elem(p, ce, "LastModified", &len);
		if (lm && len < sizeof when) {
			memcpy(when, lm, len);
			when[len] = '\0';
			if (!time_parse(when, false, &o.mtime))
				o.mtime = 0;
		}
		(*count)++;
		p = ce + 11;
		if (!*stop && !fn(ctx, &o))
			*stop = true;
	}
	return true;
}

void s3_dirs_parse(const char *body, size_t n, size_t plen, s3_dir_fn fn, void *ctx)
{
	const char *end = body + n, *p = body;
	char dir[S3_MAX_KEY + 1];
	size_t len;
	while ((p = memmem(p, (size_t)(end - p), "<CommonPrefixes>", 16))) {
		const char *ce = memmem(p, (size_t)(end - p), "</CommonPrefixes>", 17);
		if (!ce)
			return;
		const char *k = elem(p, ce, "Prefix", &len);
		if (k && unescape(k, len, dir, sizeof dir) && strlen(dir) > plen &&
		    !fn(ctx, dir + plen))
			return;
		p = ce + 17;
	}
}

void s3_uri_encode(struct buf *out, const char *s, size_t n, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash)) {
			buf_addc(out, (char)c);
		} else {
			char pct[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_add(out, pct, 3);
		}
	}
}
