/* media: the reply of a workspace's media file (store.h, "Media files"), for every surface
 * that serves them (NeMo Intake's media route, Opik's attachment download): here, as lib/http
 * knows no store. Its type is what its bytes are (media_sniff), never what a client declared;
 * bytes of no type it knows go out as a download that no browser renders (docs/media.md,
 * "Content-Type"). */
#include "lib/api/common/api.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "lib/ingest/media.h"

/* Whether an If-None-Match value (RFC 9110 section 13.1.2) names etag (quoted), or is "*". */
static bool etag_matches(const char *inm, const char *etag)
{
	if (!inm)
		return false;
	for (const char *s = inm; *s;) {
		s += strspn(s, " \t,");
		if (!strncmp(s, "W/", 2))
			s += 2;
		size_t n = strcspn(s, " \t,");
		if ((n == 1 && *s == '*') || (n == strlen(etag) && !strncmp(s, etag, n)))
			return true;
		s += n;
	}
	return false;
}

enum status api_reply_media(struct http_req *req, const char *hex, struct err *e)
{
	int fd;
	uint64_t size;
	char prefix[STORE_MEDIA_TAG_HEX + 1], found[STORE_MEDIA_HEX + 1];
	/* A client's tag names the file by the first digits of its hash (store.h,
	 * STORE_MEDIA_TAG_KIND).
	 */
	if (hex && store_media_tag_prefix(hex, strlen(hex), prefix) &&
	    store_media_find(api_store(req), req->ws, prefix, found) == ST_OK)
		hex = arena_strdup(req->arena, found);
	enum status st = store_media_open(api_store(req), req->ws, hex, &fd, &size);
	if (st != ST_OK)
		return err_set(e, st, "media %s of %s: %s", hex, req->ws,
			       st == ST_NOT_FOUND ? "no such file" : status_message(st));
	uint8_t head[64];
	ssize_t hn = pread(fd, head, sizeof head, 0);
	const char *type = media_sniff(head, hn > 0 ? (size_t)hn : 0);
	char etag[STORE_MEDIA_HEX + 3];
	snprintf(etag, sizeof etag, "\"%s\"", hex);
	/* Immutable: the name is the hash of the bytes. Private: a key may guard them. A sandbox
	 * and nosniff, so that no browser runs what a file holds, opened on the API's origin. */
	const char *headers =
	    arena_printf(req->arena,
			 "ETag: %s\r\nCache-Control: private, max-age=31536000, immutable\r\n"
			 "X-Content-Type-Options: nosniff\r\n"
			 "Content-Security-Policy: default-src 'none'; sandbox\r\n"
			 "Content-Disposition: %s; filename=\"%s%s\"\r\n",
			 etag, type ? "inline" : "attachment", hex, media_ext(type));
	if (etag_matches(http_header(req, "If-None-Match"), etag)) {
		close(fd);
		http_reply_with(req, 304, NULL, headers, NULL, 0);
		return ST_OK;
	}
	void *m = size ? mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
	close(fd);
	if (m == MAP_FAILED)
		return err_set(e, ST_UNAVAILABLE, "media %s of %s: cannot be read", hex, req->ws);
	http_reply_with(req, 200, type ? type : MEDIA_UNKNOWN, headers, m ? m : "", (size_t)size);
	if (m)
		munmap(m, (size_t)size);
	return ST_OK;
}

const char *api_base_url(struct http_req *req)
{
	const char *set = http_env(req, "SPANDEX_PUBLIC_URL");
	if (set && *set) {
		size_t n = strlen(set);
		while (n && set[n - 1] == '/')
			n--;
		return arena_strndup(req->arena, set, n);
	}
	const char *host = http_header(req, "Host"), *port = http_env(req, "SERVER_PORT");
	const char *proto = http_header(req, "X-Forwarded-Proto"), *https = http_env(req, "HTTPS");
	if (!proto || (strcmp(proto, "http") && strcmp(proto, "https")))
		proto = https && *https && strcmp(https, "off") ? "https" : "http";
	if (!host || !*host || strpbrk(host, " \t\"/\\?#@"))
		return "";
	bool usual = !port || !*port || strspn(port, "0123456789") != strlen(port) ||
		     !strcmp(port, strcmp(proto, "https") ? "80" : "443");
	if (strchr(host, ':') || usual)
		return arena_printf(req->arena, "%s://%s", proto, host);
	return arena_printf(req->arena, "%s://%s:%s", proto, host, port);
}

const char *api_url_escape(struct arena *a, const char *s)
{
	struct buf *b = arena_buf(a);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			buf_addc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
	return arena_strndup(a, b->p, b->len);
}
