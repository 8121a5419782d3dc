/* upload: Opik's attachment upload (its AttachmentResource and AttachmentService, as a backend
 * on local storage, MinIO, answers it): upload-start hands the client one URL of this server,
 * a PUT of the bytes there stores them as a media file of the workspace (docs/media.md) and
 * names it in its entity's row, upload-complete has nothing left to do, and delete takes names
 * off the row. The row holds the entity's attachments as OPIK_RAW_ATTACHMENTS: [{file_name,
 * mime_type, file_size, ref}], ref the file's spandex-media:// reference, so the file lives
 * as long as a line references it (the sweep, erasure, export and backup follow the lines). */
#include "lib/api/opik/surface.h"

#include <string.h>
#include "lib/base/hash.h"
#include "lib/ingest/media.h"
#include "lib/json/jsonw.h"

/* The parameters of the PUT, in routes.c's order (OPIK_UPLOAD_PARAMS). */
enum { UP_FILE, UP_MIME, UP_ENTITY_TYPE, UP_ENTITY_ID, UP_PROJECT };

/* The base URL a client's request names (path: base64 of the URL its SDK talks to, as Opik's
 * decodeBaseUrl reads it), or this server's own. */
static const char *base_of(struct http_req *req, const char *path)
{
	uint8_t url[1024];
	size_t n = 0;
	if (path && hash_b64_decode(path, strlen(path), url, sizeof url - 1, &n) && n > 7 &&
	    (!memcmp(url, "http://", 7) || (n > 8 && !memcmp(url, "https://", 8))) &&
	    !memchr(url, 0, n) && !memchr(url, '"', n) && !memchr(url, '?', n)) {
		while (n && url[n - 1] == '/')
			n--;
		return arena_strndup(req->arena, (const char *)url, n);
	}
	return api_base_url(req);
}

/* The body of an attachment request: an object with entity_type (trace or span) and
 * entity_id, problems into v (initialised here). */
static enum status entity_body(struct http_req *req, json_t **body, struct verrs *v,
			       const char **type, const char **id)
{
	enum status st = opik_json_object(req, body, v);
	if (st != ST_OK)
		return st;
	opik_need_str(v, *body, "entity_type", type);
	opik_need_str(v, *body, "entity_id", id);
	if (*type && strcmp(*type, "trace") && strcmp(*type, "span"))
		verrs_add(v, json_pack("[s]", "entity_type"), "enum",
			  "entity_type must be one of trace, span", json_string(*type));
	return ST_OK;
}

/* POST attachment/upload-start: StartMultipartUploadResponse {upload_id, pre_sign_urls}, one
 * URL as Opik's prepareMinIOUploadResponse makes it, under the upload_id "BEMinIO" that tells
 * its SDKs to PUT the whole file there with their key. */
enum status opik_upload_start(struct http_req *req)
{
	json_t *body;
	struct verrs v;
	const char *name = NULL, *type = NULL, *id = NULL;
	enum status st = entity_body(req, &body, &v, &type, &id);
	if (st != ST_OK)
		return st;
	opik_need_str(&v, body, "file_name", &name);
	if (!json_is_integer(json_object_get(body, "num_of_file_parts")))
		verrs_add(&v, json_pack("[s]", "num_of_file_parts"), "missing",
			  "num_of_file_parts must not be null", json_null());
	if (json_array_size(v.list))
		return http_fail_invalid(req, &v);
	const char *mime = json_string_value(json_object_get(body, "mime_type"));
	const char *project = json_string_value(json_object_get(body, "project_name"));
	struct buf *url = arena_buf(req->arena);
	buf_printf(url, "%s/v1/private/attachment/upload?file_name=%s",
		   base_of(req, json_string_value(json_object_get(body, "path"))),
		   api_url_escape(req->arena, name));
	if (mime && *mime)
		buf_printf(url, "&mime_type=%s", api_url_escape(req->arena, mime));
	buf_printf(url, "&entity_type=%s&entity_id=%s", type, api_url_escape(req->arena, id));
	if (project && *project)
		buf_printf(url, "&project_name=%s", api_url_escape(req->arena, project));
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"upload_id\":\"" OPIK_UPLOAD_ID "\",\"pre_sign_urls\":[");
	jsonw_string(out, url->p, url->len);
	buf_adds(out, "]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- the entity's row ---- */

/* What a merge of the row does: adds one attachment (name, mime, size, ref), or takes off the
 * names given. */
struct attach {
	const char *ws;
	enum opik_entity ent;
	const char *name, *mime, *ref;
	uint64_t size;
	json_t *drop; /* delete: the file names (an array), else NULL */
};

static bool dropped(const struct attach *t, const char *name)
{
	size_t i;
	json_t *x;
	if (!t->drop)
		return name && t->name && !strcmp(name, t->name);
	json_array_foreach(t->drop, i, x) if (name && json_is_string(x) &&
					      !strcmp(json_string_value(x), name)) return true;
	return false;
}

static enum status merge_attach(void *ctx, struct arena *a, const char *id, const struct span *cur,
				struct span *out, struct err *e)
{
	struct attach *t = ctx;
	(void)e;
	bool live = cur && !span_is_deleted(cur);
	if (live) {
		span_copy(out, cur);
	} else if (t->drop) {
		return ST_OK; /* nothing to take off */
	} else {
		/* Before its create (the SDK's queues are not ordered): a row the create completes,
		 * keeping what was attached (write.c, keep_from). */
		opik_partial_row(a, t->ws, t->ent, id, NULL, out);
		json_object_set_new(out->raw_attributes, OPIK_RAW_PENDING, json_object());
	}
	json_t *old = span_raw(out, OPIK_RAW_ATTACHMENTS), *list = json_array(), *x;
	size_t i;
	json_array_foreach(old, i, x)
	{
		if (!dropped(t, json_string_value(json_object_get(x, "file_name"))))
			json_array_append(list, x);
	}
	if (!t->drop)
		json_array_append_new(list, json_pack("{s:s,s:s,s:I,s:s}", "file_name", t->name,
						      "mime_type", t->mime, "file_size",
						      (json_int_t)t->size, "ref", t->ref));
	json_object_set_new(out->raw_attributes, OPIK_RAW_ATTACHMENTS, list);
	return ST_OK;
}

/* The row of entity type/id (a trace's: its own, else its root's, opik_trace_target). */
static const char *row_of(struct http_req *req, const char *type, const char *id)
{
	return strcmp(type, "trace") ? id : opik_trace_target(req, id);
}

/* t applied to the row of entity type/id (store_update, through lib/ingest); 204. */
static enum status change_row(struct http_req *req, const char *type, const char *id,
			      struct attach *t)
{
	struct ingest_to to = api_ingest_to(req);
	struct err e = {0};
	const char *row = row_of(req, type, id);
	t->ws = req->ws;
	t->ent = strcmp(type, "trace") ? OPIK_SPAN : OPIK_TRACE;
	enum status st = ingest_update(&to, &row, 1, merge_attach, t, &e);
	if (st != ST_OK)
		return http_fail_err(req, &e);
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* PUT attachment/upload: the bytes, stored once by their hash, named file_name on the entity;
 * 204 as Opik's uploadAttachment. */
enum status opik_upload(struct http_req *req)
{
	const char *name = req->pv[UP_FILE].s, *type = req->pv[UP_ENTITY_TYPE].s;
	const char *id = req->pv[UP_ENTITY_ID].s;
	uint8_t dig[32];
	char hex[STORE_MEDIA_HEX + 1];
	struct err e = {0};
	hash_sha256(req->body, req->body_len, dig);
	hash_hex(dig, sizeof dig, hex);
	enum status st = media_upload(api_store(req), req->ws, hex, req->body, req->body_len, &e);
	if (st == ST_TOO_LARGE)
		return http_fail_err(req, &e);
	if (st != ST_OK)
		return http_fail_logged(req, &e, "The attachment cannot be stored now");
	const char *sniffed = media_sniff(req->body, req->body_len);
	const char *mime = req->pv[UP_MIME].s && *req->pv[UP_MIME].s ? req->pv[UP_MIME].s
			   : sniffed				     ? sniffed
								     : MEDIA_UNKNOWN;
	struct attach t = {
	    .name = name,
	    .mime = mime,
	    .size = req->body_len,
	    .ref = arena_printf(req->arena, STORE_MEDIA_REF "%s?type=%s&bytes=%zu", hex,
				sniffed ? sniffed : MEDIA_UNKNOWN, req->body_len),
	};
	return change_row(req, type, id, &t);
}

/* POST attachment/upload-complete: nothing is left to do once the PUT has stored the file
 * (Opik's completeMultiPartUpload on MinIO); the body is checked as CompleteMultipartUploadRequest.
 */
enum status opik_upload_complete(struct http_req *req)
{
	json_t *body;
	struct verrs v;
	const char *s, *type = NULL, *id = NULL;
	enum status st = entity_body(req, &body, &v, &type, &id);
	if (st != ST_OK)
		return st;
	opik_need_str(&v, body, "file_name", &s);
	opik_need_str(&v, body, "upload_id", &s);
	if (!json_is_integer(json_object_get(body, "file_size")))
		verrs_add(&v, json_pack("[s]", "file_size"), "missing",
			  "file_size must not be null", json_null());
	if (json_array_size(v.list))
		return http_fail_invalid(req, &v);
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* POST attachment/delete: DeleteAttachmentsRequest {file_names, entity_type, entity_id,
 * container_id}: the names taken off the entity's row (their files go with the next sweep,
 * unless another line references them); 204. */
enum status opik_attachments_delete(struct http_req *req)
{
	json_t *body;
	struct verrs v;
	const char *type = NULL, *id = NULL;
	enum status st = entity_body(req, &body, &v, &type, &id);
	if (st != ST_OK)
		return st;
	opik_need_strs(&v, body, "file_names", 1, false);
	if (json_array_size(v.list))
		return http_fail_invalid(req, &v);
	struct attach t = {.drop = json_object_get(body, "file_names")};
	return change_row(req, type, id, &t);
}
