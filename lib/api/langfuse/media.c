/* media: Langfuse's media API (its Fern definition's media.yml; web/src/pages/api/public/media)
 * onto the workspace's content-addressed media files (docs/media.md, "Uploads"): a client asks
 * for an upload URL with the SHA-256 of its bytes, PUTs them there, reports the upload, and
 * later asks for a download URL. Both URLs are this server's own, signed (lib/auth, auth_sign)
 * and good for LF_MEDIA_URL_TTL_S, so that an SDK fetches them without a key as it would an
 * S3 presigned URL. Nothing but the file is kept: its name is the hash, the media id the
 * hash's first 22 base64url digits (Langfuse's getMediaId), its time the upload's. */
#include "lib/api/langfuse/surface.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/auth/auth.h"
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/ingest/media.h"
#include "lib/json/jsonw.h"

/* Langfuse's MediaContentType (packages/shared/src/domain/media.ts): the types it takes. */
static const char *const content_types[] = {
    "image/png",
    "image/jpeg",
    "image/jpg",
    "image/webp",
    "image/gif",
    "image/svg+xml",
    "image/tiff",
    "image/bmp",
    "image/avif",
    "image/heic",
    "audio/mpeg",
    "audio/mp3",
    "audio/wav",
    "audio/ogg",
    "audio/oga",
    "audio/aac",
    "audio/mp4",
    "audio/flac",
    "audio/opus",
    "audio/webm",
    "video/mp4",
    "video/webm",
    "video/ogg",
    "video/mpeg",
    "video/quicktime",
    "video/x-msvideo",
    "video/x-matroska",
    "text/plain",
    "text/html",
    "text/css",
    "text/csv",
    "text/markdown",
    "text/x-python",
    "application/javascript",
    "text/x-typescript",
    "application/x-yaml",
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip",
    "application/json",
    "application/xml",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/rtf",
    "application/x-ndjson",
    "application/vnd.apache.parquet",
    "application/gzip",
    "application/x-tar",
    "application/x-7z-compressed",
    NULL};

/* The largest upload: a media file's limit, or the body limit when it is lower (the PUT is one
 * body; SPANDEX_MAX_BODY and nginx's client_max_body_size decide it). */
static size_t upload_max(struct http_req *req)
{
	unsigned long long body = http_env_count(req, "SPANDEX_MAX_BODY", HTTP_MAX_BODY_DEFAULT);
	return body < MEDIA_MAX_BYTES ? (size_t)body : MEDIA_MAX_BYTES;
}

/* The media id of a hash (32 bytes): Langfuse's getMediaId, the first LF_MEDIA_ID digits of its
 * base64url (RFC 4648 section 5). */
static void media_id(const uint8_t *h, char out[STORE_MEDIA_TAG_ID + 1])
{
	static const char d[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned acc = 0, bits = 0;
	size_t k = 0;
	for (size_t i = 0; k < STORE_MEDIA_TAG_ID; i++) {
		acc = (acc << 8 | h[i]) & 0xffff;
		for (bits += 8; bits >= 6 && k < STORE_MEDIA_TAG_ID; bits -= 6)
			out[k++] = d[(acc >> (bits - 6)) & 63];
	}
	out[k] = 0;
}

/* What a URL's signature covers: its method, workspace, id, and then the parts its query
 * carries, one a line. */
static const char *signed_text(struct http_req *req, const char *method, const char *id,
			       const char *rest)
{
	return arena_printf(req->arena, "%s\n%s\n%s\n%s", method, req->ws, id, rest);
}

static const char *sign(struct http_req *req, const char *text)
{
	char sig[65];
	struct err e = {0};
	if (auth_sign(req->root, text, strlen(text), sig, &e) != ST_OK) {
		http_fail_logged(req, &e, "Media URLs cannot be signed now");
		return NULL;
	}
	return arena_strdup(req->arena, sig);
}

/* ---- POST /api/public/media ---- */

/* A string member, or NULL (with *bad when present and not a string, nor null when nullable). */
static const char *member(json_t *o, const char *k, bool nullable, bool *bad)
{
	json_t *v = json_object_get(o, k);
	if (json_is_string(v))
		return json_string_value(v);
	if (v && !(nullable && json_is_null(v)))
		*bad = true;
	return NULL;
}

/* The body of GetMediaUploadUrlRequest checked as Langfuse's zod schema does (its trace form:
 * a dataset item's media has no place here); false when the 400 is written. */
static bool upload_request(struct http_req *req, json_t *o, const char **type, long long *len,
			   uint8_t hash[32])
{
	bool bad = false;
	const char *trace = member(o, "traceId", false, &bad);
	member(o, "observationId", true, &bad);
	const char *field = member(o, "field", false, &bad);
	const char *sha = member(o, "sha256Hash", false, &bad);
	json_t *cl = json_object_get(o, "contentLength");
	*type = member(o, "contentType", false, &bad);
	size_t n = 0;
	if (bad || !trace || !field ||
	    (strcmp(field, "input") && strcmp(field, "output") && strcmp(field, "metadata"))) {
		langfuse_bad(
		    req, "traceId",
		    "Provide either traceId with field input/output/metadata, or datasetId + "
		    "datasetItemId with field input/expectedOutput/metadata.");
		return false;
	}
	size_t k = 0;
	while (*type && content_types[k] && strcmp(content_types[k], *type))
		k++;
	if (!*type || !content_types[k]) {
		langfuse_bad(req, "contentType", "Invalid content type");
		return false;
	}
	if (!json_is_integer(cl) || json_integer_value(cl) < 1) {
		langfuse_bad(req, "contentLength", "Expected a positive integer");
		return false;
	}
	*len = json_integer_value(cl);
	if (!sha || strlen(sha) != 44 ||
	    strspn(sha, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
			"wxyz0123456789+/=") != 44 ||
	    !hash_b64_decode(sha, 44, hash, 32, &n) || n != 32) {
		langfuse_bad(req, "sha256Hash",
			     "Must be a 44 character base64 encoded SHA-256 hash");
		return false;
	}
	return true;
}

enum status langfuse_media_create(struct http_req *req)
{
	json_t *o;
	const char *type;
	long long len;
	uint8_t hash[32];
	char hex[65], id[STORE_MEDIA_TAG_ID + 1];
	if (langfuse_json_body(req, &o) != ST_OK || !o ||
	    !upload_request(req, o, &type, &len, hash))
		return ST_OK;
	if ((unsigned long long)len > upload_max(req))
		return http_fail(req, ST_BAD_REQUEST, "File size must be less than %zu bytes",
				 upload_max(req) + 1);
	hash_hex(hash, 32, hex);
	media_id(hash, id);
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"uploadUrl\":");
	/* Stored already (and kept from a sweep a while longer): nothing to upload. */
	if (store_media_touch(api_store(req), req->ws, hex, (uint64_t)len) == ST_OK) {
		buf_adds(out, "null");
	} else {
		long long exp = time_now() / 1000000 + LF_MEDIA_URL_TTL_S;
		const char *text = signed_text(
		    req, "PUT", id,
		    arena_printf(req->arena, "%s\n%lld\n%s\n%lld", hex, len, type, exp));
		const char *sig = sign(req, text);
		if (!sig)
			return ST_UNAVAILABLE;
		const char *url = arena_printf(
		    req->arena,
		    "%s/api/public/media/upload/%s/%s?hash=%s&length=%lld&type=%s&expires=%lld"
		    "&signature=%s",
		    api_base_url(req), req->ws, id, hex, len, api_url_escape(req->arena, type), exp,
		    sig);
		jsonw_string(out, url, strlen(url));
	}
	buf_printf(out, ",\"mediaId\":\"%s\"}", id);
	http_reply_json(req, 201, out->p, out->len);
	return ST_OK;
}

/* ---- PUT /api/public/media/upload/{workspace}/{id} ---- */

/* The signature and expiry of a signed URL's request, before its body is read. */
static enum status check_signed(struct http_req *req, const char *text)
{
	const char *sig = http_param(req, "signature");
	long long exp = req->pv[0].i;
	if (!auth_signed(req->root, text, strlen(text), sig))
		return http_fail(req, ST_FORBIDDEN,
				 "The signature of this media URL does not match");
	if (exp < time_now() / 1000000)
		return http_fail(req, ST_FORBIDDEN, "This media URL has expired");
	return ST_OK;
}

const struct http_pspec langfuse_media_upload_params[LF_MEDIA_UPLOAD_PARAMS] = {
    {.name = "expires", .type = PT_INT, .required = true, .min = 0, .max = 1LL << 40},
    {.name = "length", .type = PT_INT, .required = true, .min = 1, .max = MEDIA_MAX_BYTES},
    {.name = "hash", .type = PT_STRING, .required = true},
    {.name = "type", .type = PT_STRING, .required = true},
    {.name = "signature", .type = PT_STRING, .required = true},
};

enum status langfuse_media_upload_admit(struct http_req *req)
{
	long long len = req->pv[1].i;
	const char *hash = req->pv[2].s, *type = req->pv[3].s;
	const char *text = signed_text(
	    req, "PUT", req->id,
	    arena_printf(req->arena, "%s\n%lld\n%s\n%lld", hash, len, type, req->pv[0].i));
	enum status st = check_signed(req, text);
	if (st != ST_OK)
		return st;
	/* Signed for one type, as an S3 presigned PUT is (its Content-Type a signed header). */
	const char *ct = http_header(req, "Content-Type");
	if (!ct || strcmp(ct, type))
		return http_fail(req, ST_FORBIDDEN,
				 "This media URL takes a Content-Type of %s only", type);
	const char *cl = http_header(req, "Content-Length");
	if (cl && *cl && strtoll(cl, NULL, 10) != len)
		return http_fail(req, ST_BAD_REQUEST,
				 "This media URL takes %lld bytes; the request has %s", len, cl);
	return ST_OK;
}

enum status langfuse_media_upload(struct http_req *req)
{
	long long len = req->pv[1].i;
	struct err e = {0};
	if ((long long)req->body_len != len)
		return http_fail(req, ST_BAD_REQUEST, "This media URL takes %lld bytes; %zu came",
				 len, req->body_len);
	enum status st =
	    media_upload(api_store(req), req->ws, req->pv[2].s, req->body, req->body_len, &e);
	if (st == ST_BAD_REQUEST || st == ST_TOO_LARGE)
		return http_fail_err(req, &e);
	if (st != ST_OK)
		return http_fail_logged(req, &e, "The media file cannot be written now");
	http_reply(req, 200, "text/plain", "", 0);
	return ST_OK;
}

/* ---- PATCH and GET /api/public/media/{id}, GET .../download/{workspace}/{id} ---- */

/* The media file the id in the path names into hex; false when the 404 is recorded. */
static bool find(struct http_req *req, char hex[65])
{
	char prefix[STORE_MEDIA_TAG_HEX + 1];
	if (store_media_tag_prefix(req->id, strlen(req->id), prefix) &&
	    store_media_find(api_store(req), req->ws, prefix, hex) == ST_OK)
		return true;
	http_fail(req, ST_NOT_FOUND, "Media asset %s not found in project %s", req->id, req->ws);
	return false;
}

enum status langfuse_media_patch(struct http_req *req)
{
	json_t *o;
	char hex[65];
	int64_t at;
	if (langfuse_json_body(req, &o) != ST_OK || !o)
		return ST_OK;
	json_t *up = json_object_get(o, "uploadedAt"),
	       *code = json_object_get(o, "uploadHttpStatus");
	json_t *err = json_object_get(o, "uploadHttpError"),
	       *ms = json_object_get(o, "uploadTimeMs");
	/* PatchMediaBodySchema: what is reported is checked; the file is the record. */
	if (!json_is_string(up) || !time_parse(json_string_value(up), false, &at))
		return langfuse_bad(req, "uploadedAt", "Invalid date");
	if (!json_is_integer(code) || json_integer_value(code) < 1)
		return langfuse_bad(req, "uploadHttpStatus", "Expected a positive integer");
	if (err && !json_is_string(err) && !json_is_null(err))
		return langfuse_bad(req, "uploadHttpError", "Expected string, received number");
	if (ms && !json_is_number(ms) && !json_is_null(ms))
		return langfuse_bad(req, "uploadTimeMs", "Expected number");
	if (!find(req, hex))
		return ST_NOT_FOUND;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* GetMediaResponse of the file hex: its type (what its bytes are, media_sniff), size, time
 * and a signed download URL. */
enum status langfuse_media_get(struct http_req *req)
{
	char hex[65], t[40], u[40];
	int fd;
	uint64_t size;
	struct stat sb;
	if (!find(req, hex))
		return ST_NOT_FOUND;
	enum status st = store_media_open(api_store(req), req->ws, hex, &fd, &size);
	if (st != ST_OK)
		return st == ST_NOT_FOUND ? http_fail(req, st, "Media asset not found")
					  : http_fail(req, st, "The media file cannot be read now");
	uint8_t head[64];
	ssize_t hn = pread(fd, head, sizeof head, 0);
	int64_t mtime = fstat(fd, &sb) == 0 ? (int64_t)sb.st_mtim.tv_sec * 1000000 : time_now();
	close(fd);
	const char *type = media_sniff(head, hn > 0 ? (size_t)hn : 0);
	long long exp = time_now() / 1000000 + LF_MEDIA_URL_TTL_S;
	const char *sig =
	    sign(req, signed_text(req, "GET", hex, arena_printf(req->arena, "%lld", exp)));
	if (!sig)
		return ST_UNAVAILABLE;
	const char *url =
	    arena_printf(req->arena, "%s/api/public/media/download/%s/%s?expires=%lld&signature=%s",
			 api_base_url(req), req->ws, hex, exp, sig);
	time_format(mtime, t);
	time_format(exp * 1000000, u);
	struct buf *out = arena_buf(req->arena);
	buf_printf(out, "{\"mediaId\":\"%s\",\"contentType\":\"%s\",\"contentLength\":%llu,",
		   req->id, type ? type : MEDIA_UNKNOWN, (unsigned long long)size);
	buf_printf(out, "\"uploadedAt\":\"%s\",\"url\":", t);
	jsonw_string(out, url, strlen(url));
	buf_printf(out, ",\"urlExpiry\":\"%s\"}", u);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

const struct http_pspec langfuse_media_download_params[LF_MEDIA_DOWNLOAD_PARAMS] = {
    {.name = "expires", .type = PT_INT, .required = true, .min = 0, .max = 1LL << 40},
    {.name = "signature", .type = PT_STRING, .required = true},
};

enum status langfuse_media_download_admit(struct http_req *req)
{
	return check_signed(
	    req, signed_text(req, "GET", req->id, arena_printf(req->arena, "%lld", req->pv[0].i)));
}

enum status langfuse_media_download(struct http_req *req)
{
	struct err e = {0};
	enum status st = api_reply_media(req, req->id, &e);
	if (st == ST_NOT_FOUND)
		return http_fail(req, st, "Media asset not found");
	if (st != ST_OK)
		return http_fail_logged(req, &e, "%s", status_message(st));
	return ST_OK;
}
