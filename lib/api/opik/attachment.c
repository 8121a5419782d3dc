/* attachment: Opik's attachment routes (opik.md; Opik's AttachmentResource) over the media
 * files ingest moved out of spans (docs/media.md) and those uploaded for them (upload.c): the
 * list of a span's or a trace's, and the download of one. An uploaded attachment has its own
 * name; one ingest moved out has its media file's, <sha256>.<ext>. */
#include "lib/api/opik/surface.h"

#include <string.h>
#include <unistd.h>
#include "lib/base/hash.h"
#include "lib/ingest/media.h"
#include "lib/json/jsonw.h"

/* The distinct media a line references, in order of first reference. */
struct refs {
	struct arena *a;
	struct http_req *req; /* whose workspace's files a tag names (ref_add) */
	const char **hex;
	const char **name, **mime; /* an upload's own name and type (upload.c), else NULL */
	size_t n, cap, nup;
};

/* One more of the media the line references: once (a file uploaded under two names shows
 * under each; a reference elsewhere in the line to an uploaded file, not again). */
static void add(struct refs *r, const char *hex, const char *name, const char *mime)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->hex[i], hex) && (!name || !r->name[i]))
			return;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		const char **v = arena_alloc(r->a, 3 * r->cap * sizeof *v);
		if (r->n) {
			memcpy(v, r->hex, r->n * sizeof *v);
			memcpy(v + r->cap, r->name, r->n * sizeof *v);
			memcpy(v + 2 * r->cap, r->mime, r->n * sizeof *v);
		}
		r->hex = v, r->name = v + r->cap, r->mime = v + 2 * r->cap;
	}
	r->name[r->n] = name ? arena_strdup(r->a, name) : NULL;
	r->mime[r->n] = mime ? arena_strdup(r->a, mime) : NULL;
	r->hex[r->n++] = arena_strdup(r->a, hex);
}

static void ref_add(void *ctx, const char *ref)
{
	struct refs *r = ctx;
	char hex[STORE_MEDIA_HEX + 1];
	/* A Langfuse tag's file as well, when the workspace holds it (store_media_refs). */
	if (store_media_named(api_store(r->req), r->req->ws, ref, hex) != ST_OK)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->hex[i], hex))
			return;
	add(r, hex, NULL, NULL);
}

/* The attachments uploaded for the row (OPIK_RAW_ATTACHMENTS), by their own names. */
static void uploaded(const char *line, size_t len, struct refs *r)
{
	struct span s;
	json_t *root, *x;
	size_t i, rn = strlen(STORE_MEDIA_REF);
	if (!span_parse(line, len, &s, &root))
		return;
	json_array_foreach(span_raw(&s, OPIK_RAW_ATTACHMENTS), i, x)
	{
		const char *f = json_string_value(json_object_get(x, "file_name"));
		const char *ref = json_string_value(json_object_get(x, "ref"));
		const char *mime = json_string_value(json_object_get(x, "mime_type"));
		if (f && ref && !strncmp(ref, STORE_MEDIA_REF, rn) &&
		    store_media_name(ref + rn, STORE_MEDIA_HEX)) {
			char hex[STORE_MEDIA_HEX + 1];
			memcpy(hex, ref + rn, STORE_MEDIA_HEX);
			hex[STORE_MEDIA_HEX] = 0;
			add(r, hex, f, mime);
		}
	}
	json_decref(root);
}

/* Whether the row line[0..len) has an uploaded attachment named name: its file into hex. */
static bool named(struct http_req *req, const char *line, size_t len, const char *name,
		  char hex[STORE_MEDIA_HEX + 1])
{
	struct refs r = {.a = req->arena};
	uploaded(line, len, &r);
	for (size_t i = 0; i < r.n; i++)
		if (r.name[i] && !strcmp(r.name[i], name)) {
			memcpy(hex, r.hex[i], STORE_MEDIA_HEX + 1);
			return true;
		}
	return false;
}

/* The line of the span or the trace (its root) entity_id names; false when there is none. */
static bool entity_line(struct http_req *req, const char *type, const char *id, const char **line,
			size_t *len)
{
	if (!strcmp(type, "trace")) {
		struct query q;
		struct query_trace t;
		api_query_init(req, &q);
		if (query_trace_find(&q, id, &t) != ST_OK)
			return false;
		*line = t.root.line;
		*len = t.root.len;
		return true;
	}
	struct buf *b = arena_buf(req->arena);
	struct span s;
	json_t *root;
	if (store_get(api_store(req), req->ws, id, b) != ST_OK ||
	    !span_parse(b->p, b->len, &s, &root))
		return false;
	bool row = opik_is_trace_row(&s);
	json_decref(root);
	*line = b->p;
	*len = b->len;
	return !row;
}

/* Where a download of name goes: the path parameter's base (base64 of the UI's URL, Opik's
 * AttachmentResource), or this server's own path. */
static const char *link_of(struct http_req *req, const char *type, const char *id, const char *name,
			   const char *mime)
{
	const char *path = http_param(req, "path");
	uint8_t base[1024];
	size_t n = 0;
	const char *prefix = "";
	if (path && hash_b64_decode(path, strlen(path), base, sizeof base - 1, &n) && n > 7 &&
	    (!memcmp(base, "http://", 7) || (n > 8 && !memcmp(base, "https://", 8))) &&
	    !memchr(base, 0, n) && !memchr(base, '"', n)) {
		while (n && base[n - 1] == '/')
			n--;
		prefix = arena_strndup(req->arena, (const char *)base, n);
	}
	return arena_printf(req->arena,
			    "%s/v1/private/attachment/download?workspace_name=%s&entity_type=%s"
			    "&entity_id=%s&file_name=%s&mime_type=%s",
			    prefix, req->ws, type, api_url_escape(req->arena, id),
			    api_url_escape(req->arena, name), api_url_escape(req->arena, mime));
}

/* GET attachment/list: an AttachmentPage of the media the entity references, one page. */
enum status opik_attachment_list(struct http_req *req)
{
	const char *type = req->pv[0].s, *id = req->pv[1].s;
	long long page = req->pv[2].i, size = req->pv[3].i;
	const char *line = NULL;
	size_t len = 0;
	struct refs r = {.a = req->arena, .req = req};
	if (entity_line(req, type, id, &line, &len)) {
		uploaded(line, len, &r);
		store_media_refs(line, len, ref_add, &r);
	}
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"page\":");
	jsonw_int(out, page);
	buf_adds(out, ",\"content\":[");
	size_t shown = 0, first = (size_t)((page - 1) * size);
	for (size_t i = first; i < r.n && shown < (size_t)size; i++) {
		int fd;
		uint64_t bytes;
		uint8_t head[64];
		if (store_media_open(api_store(req), req->ws, r.hex[i], &fd, &bytes) != ST_OK)
			continue; /* a reference without its file: spandex verify names it */
		ssize_t hn = pread(fd, head, sizeof head, 0);
		close(fd);
		const char *mime = media_sniff(head, hn > 0 ? (size_t)hn : 0);
		mime = mime ? mime : MEDIA_UNKNOWN;
		const char *name = r.name && r.name[i] ? r.name[i]
						       : arena_printf(req->arena, "%s%s", r.hex[i],
								      media_ext(mime));
		mime = r.mime && r.mime[i] ? r.mime[i] : mime;
		buf_adds(out, shown++ ? ",{\"link\":" : "{\"link\":");
		const char *link = link_of(req, type, id, name, mime);
		jsonw_string(out, link, strlen(link));
		buf_adds(out, ",\"file_name\":");
		jsonw_string(out, name, strlen(name));
		buf_adds(out, ",\"file_size\":");
		jsonw_int(out, (int64_t)bytes);
		buf_adds(out, ",\"mime_type\":");
		jsonw_string(out, mime, strlen(mime));
		buf_addc(out, '}');
	}
	buf_printf(out, "],\"size\":%zu,\"total\":%zu,\"sortableBy\":[]}", shown, r.n);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* GET attachment/download: the bytes of file_name (<sha256>, with or without its extension)
 * of the request's workspace. workspace_name, when given, must be that workspace: the key was
 * checked for it. */
enum status opik_attachment_download(struct http_req *req)
{
	const char *name = req->pv[0].s, *ws = req->pv[1].s;
	const char *type = req->pv[3].s, *id = req->pv[4].s, *line;
	char hex[STORE_MEDIA_HEX + 1] = "";
	size_t n = strcspn(name, "."), len;
	/* An upload's own name on its entity first, then a media file's <sha256>[.ext]. */
	if (!(type && id && entity_line(req, type, id, &line, &len) &&
	      named(req, line, len, name, hex)) &&
	    n == STORE_MEDIA_HEX && store_media_name(name, n)) {
		memcpy(hex, name, n);
		hex[n] = 0;
	}
	struct err e = {0};
	enum status st = ws && strcmp(ws, req->ws) ? ST_NOT_FOUND : api_reply_media(req, hex, &e);
	if (st == ST_NOT_FOUND)
		return http_fail(req, st, "Attachment not found");
	if (st != ST_OK)
		return http_fail_logged(req, &e, "%s", status_message(st));
	return ST_OK;
}
