/* media: base64 payloads moved out of spans at ingest (docs/media.md). An image, a recording
 * or a document a client sends inline (a data URI, an Anthropic or Gemini block, an OpenAI
 * input_audio, a GenAI blob part, any string that is base64 through and through) is written
 * once into the workspace's content-addressed media files (store_media_put), and the span
 * keeps a reference to it where the base64 was, so a list or a search of spans reads a
 * hundred bytes instead of megabytes. Strings in the caller's arena; nothing to free. */
#ifndef SPANDEX_INGEST_MEDIA_H
#define SPANDEX_INGEST_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/model/span.h"
#include "lib/store/store.h"

/* The threshold: a payload of at least this many bytes (decoded) moves. Below it a file (a
 * 4 KiB block at least, a directory entry, a sync) costs more than the text it saves: at
 * 16 KiB the reference is 1/150 of the base64 it stands for. SPANDEX_MEDIA_MIN sets it, from
 * MEDIA_MIN_FLOOR to MEDIA_MIN_CEIL (a value outside is taken as the nearer bound), or "off". */
#define MEDIA_MIN_DEFAULT (16u << 10)
#define MEDIA_MIN_FLOOR (1u << 10)
#define MEDIA_MIN_CEIL (8u << 20)
#define MEDIA_SETTING "SPANDEX_MEDIA_MIN"
#define MEDIA_OFF "off"
/* The largest payload (decoded) a span may carry: it is decoded and hashed in memory, once.
 * A larger one is refused (413), whatever the body limit (SPANDEX_MAX_BODY) lets in. */
#define MEDIA_MAX_BYTES (64u << 20)
/* What a media file is served as when its bytes are none of the types media_sniff knows. */
#define MEDIA_UNKNOWN "application/octet-stream"

/* The threshold a setting names (NULL: MEDIA_MIN_DEFAULT): 0 for MEDIA_OFF. *bad (may be NULL)
 * is set when the setting is neither a number nor MEDIA_OFF (the default is taken). */
size_t media_min(const char *setting, bool *bad);

/* The media type of bytes p[0..n) by their first bytes (magic numbers), never by what a client
 * declared: image/png, image/jpeg, image/gif, image/webp, image/bmp, image/avif,
 * application/pdf, audio/wav, audio/mpeg, audio/ogg, audio/flac, audio/aac, audio/mp4,
 * audio/webm, video/mp4; NULL when it is none of them. */
const char *media_sniff(const void *p, size_t n);
/* The file name extension of a type media_sniff gives, with its dot (".png"); ".bin" for
 * NULL. */
const char *media_ext(const char *type);

/* RFC 4648 base64 of s[0..n) into out (room for n / 4 * 3 + 3 bytes), as ingest takes it: one
 * alphabet (standard, or URL-safe), "\/" (a JSON escape of '/') read as '/', padding absent or
 * complete, and the unused bits of the last character zero, so that encoding the bytes again
 * gives the same text. False otherwise (the text stays in the span as it came). */
bool media_b64_decode(const char *s, size_t n, uint8_t *out, size_t *outn);

/* Where payloads go: the store and workspace (st NULL: found and referenced, not written;
 * for tests), the arena of the new strings, and the threshold (media_min; 0: nothing moves).
 * moved and bytes count what media_span and media_text moved. */
struct media_to {
	struct store *st;
	const char *ws;
	struct arena *a;
	size_t min;
	size_t moved;
	uint64_t bytes;
};
/* Moves the payloads of one text t[0..n) (a span's input or output, an attribute's value: JSON
 * text or not): *out, *outn the text with a reference in place of each (t itself when none
 * moved). ST_TOO_LARGE (e says which) for a payload over MEDIA_MAX_BYTES; the store's status
 * when a file cannot be written. */
enum status media_text(struct media_to *m, const char *t, size_t n, const char **out, size_t *outn,
		       struct err *e);
/* The same for a span's input, output and every string in its raw attributes. */
enum status media_span(struct media_to *m, struct span *s, struct err *e);

/* Stores p[0..n), uploaded by a client as the bytes whose SHA-256 is hex (a media API's upload,
 * docs/media.md, "Uploads"), as ws's media file hex: ST_BAD_REQUEST when they hash to another,
 * ST_TOO_LARGE over MEDIA_MAX_BYTES (nothing stored), else store_media_put's status. */
enum status media_upload(struct store *st, const char *ws, const char *hex, const void *p, size_t n,
			 struct err *e);

#endif
