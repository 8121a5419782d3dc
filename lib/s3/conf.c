/* conf: the bucket's settings (SPANDEX_S3, SPANDEX_S3_ENDPOINT, SPANDEX_S3_REGION and the AWS
 * credentials) checked once, so a typo is named at start-up rather than at the first upload. */
#include "lib/s3/s3.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* S3's bucket names (the general-purpose rules): 3-63 characters of [a-z0-9.-], starting and
 * ending with a letter or digit. */
static bool bucket_ok(const char *b, size_t n)
{
	if (n < 3 || n > 63 || !isalnum((unsigned char)b[0]) || !isalnum((unsigned char)b[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' ||
		      b[i] == '-'))
			return false;
	return true;
}

/* A prefix of keys: printable ASCII without blanks, no empty, "." or ".." segment. */
static bool prefix_ok(const char *p, size_t n)
{
	size_t seg = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			if (seg == 0 || (seg == 1 && p[i - 1] == '.') ||
			    (seg == 2 && p[i - 1] == '.' && p[i - 2] == '.'))
				return false;
			seg = 0;
			continue;
		}
		if (p[i] <= ' ' || p[i] > '~' || p[i] == '\\')
			return false;
		seg++;
	}
	return true;
}

static enum status endpoint_parse(struct s3_conf *c, const char *ep, struct err *e)
{
	size_t n = strlen(ep);
	while (n && ep[n - 1] == '/')
		n--;
	const char *host = !strncmp(ep, "http://", 7)	 ? ep + 7
			   : !strncmp(ep, "https://", 8) ? ep + 8
							 : NULL;
	if (!host)
		return err_set(e, ST_BAD_REQUEST,
			       "SPANDEX_S3_ENDPOINT '%.200s' is not an http:// or https:// URL",
			       ep);
	const char *slash = strchr(host, '/');
	if (host >= ep + n || (slash && slash < ep + n) || strpbrk(host, "?# \t"))
		return err_set(e, ST_BAD_REQUEST,
			       "SPANDEX_S3_ENDPOINT '%.200s': give scheme, host and port only "
			       "(http://host:port); the bucket goes in SPANDEX_S3",
			       ep);
	if (n >= sizeof c->endpoint)
		return err_set(e, ST_BAD_REQUEST, "SPANDEX_S3_ENDPOINT is too long");
	memcpy(c->endpoint, ep, n);
	c->endpoint[n] = '\0';
	return ST_OK;
}

enum status s3_conf_parse(struct s3_conf *c, const char *url, const char *endpoint,
			  const char *region, const char *key_id, const char *secret, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (!url || !*url)
		return err_set(e, ST_NOT_FOUND, "SPANDEX_S3 is not set");
	if (strncmp(url, "s3://", 5))
		return err_set(e, ST_BAD_REQUEST,
			       "SPANDEX_S3 '%.200s' is not of the form s3://BUCKET/PREFIX", url);
	const char *b = url + 5, *slash = strchr(b, '/');
	size_t bn = slash ? (size_t)(slash - b) : strlen(b);
	if (!bucket_ok(b, bn))
		return err_set(e, ST_BAD_REQUEST,
			       "SPANDEX_S3 '%.200s': the bucket name must be 3-63 characters of "
			       "a-z, 0-9, '.' and '-'",
			       url);
	memcpy(c->bucket, b, bn);
	if (slash) {
		const char *p = slash + 1;
		size_t pn = strlen(p);
		while (pn && p[pn - 1] == '/')
			pn--;
		if (pn && (pn >= sizeof c->prefix - 1 || !prefix_ok(p, pn)))
			return err_set(e, ST_BAD_REQUEST,
				       "SPANDEX_S3 '%.200s': the prefix must be printable, without "
				       "blanks or empty, '.' or '..' segments",
				       url);
		memcpy(c->prefix, p, pn);
	}
	const char *r = region && *region ? region : "us-east-1";
	if (strlen(r) >= sizeof c->region ||
	    strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(r))
		return err_set(e, ST_BAD_REQUEST, "SPANDEX_S3_REGION '%.64s' is not a region name",
			       r);
	strcpy(c->region, r);
	enum status st = ST_OK;
	if (endpoint && *endpoint)
		st = endpoint_parse(c, endpoint, e);
	else
		snprintf(c->endpoint, sizeof c->endpoint, "https://s3.%s.amazonaws.com", c->region);
	if (st != ST_OK)
		return st;
	if (!key_id || !*key_id || !secret || !*secret)
		return err_set(
		    e, ST_BAD_REQUEST,
		    "SPANDEX_S3 is set but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is "
		    "not");
	if (strlen(key_id) >= sizeof c->key_id || strlen(secret) >= sizeof c->secret ||
	    strpbrk(key_id, ": \t\r\n") || strpbrk(secret, " \t\r\n"))
		return err_set(e, ST_BAD_REQUEST,
			       "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is too long or holds a "
			       "blank (or the key id a ':')");
	strcpy(c->key_id, key_id);
	strcpy(c->secret, secret);
	c->stall_sec = S3_STALL_SEC;
	return ST_OK;
}

enum status s3_conf_timeout(struct s3_conf *c, const char *v, struct err *e)
{
	char *end;
	if (!v || !*v)
		return ST_OK;
	long n = strtol(v, &end, 10);
	if (*end || n < 1 || n > S3_STALL_MAX)
		return err_set(e, ST_BAD_REQUEST,
			       "SPANDEX_S3_TIMEOUT '%.32s' is not a number of seconds (1 to %d)", v,
			       S3_STALL_MAX);
	c->stall_sec = (int)n;
	return ST_OK;
}

void s3_conf_name(const struct s3_conf *c, char *out, size_t n)
{
	snprintf(out, n, "s3://%s%s%s at %s", c->bucket, c->prefix[0] ? "/" : "", c->prefix,
		 c->endpoint);
}
