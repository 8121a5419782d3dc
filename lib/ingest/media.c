/* media: base64 payloads out of spans and into media files (media.h). One pass over each text
 * finds the payloads as they appear in it, JSON or not, without parsing it: a data URI
 * anywhere ("data:<type>;base64,<payload>", OpenAI's image_url and file_data, Langfuse's and
 * the AI SDK's inline media, Opik's), and a string literal (or a whole text) that is nothing
 * but base64 (Anthropic's and Gemini's "data", OpenAI's input_audio, the GenAI conventions'
 * blob "content", Opik's bare strings). The payload's bytes replace nothing else: the text
 * around it is kept byte for byte, so a JSON text stays the same JSON with a reference where
 * the base64 was. */
#include "lib/ingest/media.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"

size_t media_min(const char *setting, bool *bad)
{
	if (bad)
		*bad = false;
	if (!setting || !*setting)
		return MEDIA_MIN_DEFAULT;
	if (!strcmp(setting, MEDIA_OFF))
		return 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(setting, &end, 10);
	if (*end || end == setting || setting[0] == '-') {
		if (bad)
			*bad = true;
		return MEDIA_MIN_DEFAULT;
	}
	if (errno == ERANGE || v > MEDIA_MIN_CEIL)
		return MEDIA_MIN_CEIL;
	return v < MEDIA_MIN_FLOOR ? MEDIA_MIN_FLOOR : (size_t)v;
}

/* ---- what the bytes are ---- */

static bool at(const uint8_t *p, size_t n, size_t off, const char *magic, size_t mn)
{
	return n >= off + mn && !memcmp(p + off, magic, mn);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ISO BMFF (MP4, M4A, AVIF, HEIC): the major brand of the ftyp box. */
static const char *sniff_ftyp(const uint8_t *p, size_t n)
{
	if (!at(p, n, 4, "ftyp", 4) || n < 12)
		return NULL;
	static const struct {
		const char *brand, *type;
	} brands[] = {{"avif", "image/avif"}, {"avis", "image/avif"},	  {"heic", "image/heic"},
		      {"heix", "image/heic"}, {"mif1", "image/heic"},	  {"M4A ", "audio/mp4"},
		      {"M4B ", "audio/mp4"},  {"qt  ", "video/quicktime"}};
	for (size_t i = 0; i < sizeof brands / sizeof *brands; i++)
		if (!memcmp(p + 8, brands[i].brand, 4))
			return brands[i].type;
	return "video/mp4";
}

const char *media_sniff(const void *v, size_t n)
{
	const uint8_t *p = v;
	static const struct {
		size_t off;
		const char *magic;
		size_t n;
		const char *type;
	} magic[] = {
	    {0, "\x89PNG\r\n\x1a\n", 8, "image/png"},
	    {0, "\xff\xd8\xff", 3, "image/jpeg"},
	    {0, "GIF87a", 6, "image/gif"},
	    {0, "GIF89a", 6, "image/gif"},
	    {0, "%PDF-", 5, "application/pdf"},
	    {0, "OggS", 4, "audio/ogg"},
	    {0, "fLaC", 4, "audio/flac"},
	    {0, "ID3", 3, "audio/mpeg"},
	    {0, "\x1a\x45\xdf\xa3", 4, "video/webm"},
	};
	for (size_t i = 0; i < sizeof magic / sizeof *magic; i++)
		if (at(p, n, magic[i].off, magic[i].magic, magic[i].n))
			return magic[i].type;
	if (at(p, n, 0, "RIFF", 4) && at(p, n, 8, "WEBP", 4))
		return "image/webp";
	if (at(p, n, 0, "RIFF", 4) && at(p, n, 8, "WAVE", 4))
		return "audio/wav";
	if (at(p, n, 0, "FORM", 4) && (at(p, n, 8, "AIFF", 4) || at(p, n, 8, "AIFC", 4)))
		return "audio/aiff";
	/* BMP's two letters are too common alone: its header also holds the file's size. */
	if (at(p, n, 0, "BM", 2) && n >= 26 && le32(p + 2) == n && !le32(p + 6))
		return "image/bmp";
	const char *f = sniff_ftyp(p, n);
	if (f)
		return f;
	/* MPEG audio frames and ADTS (AAC): 11 sync bits, then a layer that is not 0. */
	if (n >= 4 && p[0] == 0xff && (p[1] & 0xf6) == 0xf0)
		return "audio/aac";
	if (n >= 4 && p[0] == 0xff && (p[1] & 0xe0) == 0xe0 && (p[1] & 0x06) &&
	    (p[2] & 0xf0) != 0xf0)
		return "audio/mpeg";
	return NULL;
}

const char *media_ext(const char *type)
{
	static const struct {
		const char *type, *ext;
	} exts[] = {{"image/png", ".png"},   {"image/jpeg", ".jpg"},	  {"image/gif", ".gif"},
		    {"image/webp", ".webp"}, {"image/bmp", ".bmp"},	  {"image/avif", ".avif"},
		    {"image/heic", ".heic"}, {"application/pdf", ".pdf"}, {"audio/wav", ".wav"},
		    {"audio/mpeg", ".mp3"},  {"audio/ogg", ".ogg"},	  {"audio/flac", ".flac"},
		    {"audio/aac", ".aac"},   {"audio/aiff", ".aiff"},	  {"audio/mp4", ".m4a"},
		    {"video/mp4", ".mp4"},   {"video/quicktime", ".mov"}, {"video/webm", ".webm"}};
	for (size_t i = 0; type && i < sizeof exts / sizeof *exts; i++)
		if (!strcmp(type, exts[i].type))
			return exts[i].ext;
	return ".bin";
}

/* ---- base64 ---- */

enum { B64_BAD = 0xff, B64_PAD = 0xfe };
/* The value of each byte: 0-63 in either alphabet (std: + /, url: - _), B64_PAD for '='. */
static uint8_t b64_val[256];
static void b64_init(void)
{
	static bool done;
	if (done)
		return;
	memset(b64_val, B64_BAD, sizeof b64_val);
	for (int i = 0; i < 26; i++) {
		b64_val['A' + i] = (uint8_t)i;
		b64_val['a' + i] = (uint8_t)(26 + i);
	}
	for (int i = 0; i < 10; i++)
		b64_val['0' + i] = (uint8_t)(52 + i);
	b64_val['+'] = b64_val['-'] = 62;
	b64_val['/'] = b64_val['_'] = 63;
	b64_val['='] = B64_PAD;
	done = true;
}

bool media_b64_decode(const char *s, size_t n, uint8_t *out, size_t *outn)
{
	b64_init();
	uint32_t acc = 0;
	size_t o = 0, chars = 0, pad = 0;
	bool std = false, url = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' && i + 1 < n && s[i + 1] == '/')
			c = (unsigned char)s[++i];
		uint8_t v = b64_val[c];
		if (v == B64_BAD || (pad && v != B64_PAD))
			return false;
		if (v == B64_PAD) {
			pad++;
			continue;
		}
		std |= c == '+' || c == '/';
		url |= c == '-' || c == '_';
		acc = acc << 6 | v;
		if (++chars % 4 == 0) {
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	size_t rest = chars % 4;
	if ((std && url) || rest == 1 || pad > 2 || (pad && (rest + pad) % 4))
		return false;
	/* The last character's unused bits are zero in any encoder's output. */
	if (rest == 2) {
		if (acc & 0xf)
			return false;
		out[o++] = (uint8_t)(acc >> 4);
	} else if (rest == 3) {
		if (acc & 0x3)
			return false;
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
	}
	*outn = o;
	return true;
}

/* ---- finding payloads in a text ---- */

/* The end of the run of base64 characters (either alphabet, '=', and the escape "\/") at
 * t[i], and in *chars how many characters of base64 it holds. */
static size_t run_end(const char *t, size_t n, size_t i, size_t *chars)
{
	size_t k = 0;
	while (i < n) {
		if (b64_val[(unsigned char)t[i]] != B64_BAD)
			i++;
		else if (t[i] == '\\' && i + 1 < n && t[i + 1] == '/')
			i += 2;
		else
			break;
		k++;
	}
	*chars = k;
	return i;
}

/* Whether a data URI's payload may end before t[i]: at the end of the text, the string that
 * holds it, or a delimiter of the text around it. Any other character makes it no base64. */
static bool uri_ends(const char *t, size_t n, size_t i)
{
	return i == n || strchr("\"')]}><, \t\r\n", t[i]) ||
	       (t[i] == '\\' && (i + 1 == n || t[i + 1] != '/'));
}

/* Whether a run closes a string literal at t[i]: '"', or '\"' in a JSON text inside one. */
static bool literal_ends(const char *t, size_t n, size_t i)
{
	return i < n && (t[i] == '"' || (t[i] == '\\' && i + 1 < n && t[i + 1] == '"'));
}

/* A payload found: t[start, end) is replaced; the base64 is t[b64, end). */
struct found {
	size_t start, b64, end, chars;
};

/* "data:" at t[i]: a media type and parameters (RFC 2397; "\/" read as '/'), then ";base64,"
 * and the payload. */
static bool data_uri(const char *t, size_t n, size_t i, struct found *f)
{
	static const char b64[] = ";base64,";
	size_t j = i + 5, lim = j + 256 < n ? j + 256 : n;
	while (j < lim && t[j] != ',' &&
	       (strchr("!#$&^_.+-/=;\\", t[j]) || (t[j] >= '0' && t[j] <= '9') ||
		((t[j] | 0x20) >= 'a' && (t[j] | 0x20) <= 'z')))
		j++;
	if (j >= n || t[j] != ',' || j + 1 - i < 5 + sizeof b64 - 1 ||
	    strncasecmp(t + j + 1 - (sizeof b64 - 1), b64, sizeof b64 - 1))
		return false;
	f->start = i;
	f->b64 = j + 1;
	f->end = run_end(t, n, f->b64, &f->chars);
	return uri_ends(t, n, f->end);
}

/* The next payload of at least min decoded bytes from t[*pos] on; false when none. */
static bool next_payload(const char *t, size_t n, size_t *pos, size_t min, struct found *f)
{
	size_t need = min / 3 * 4 + (min % 3 ? min % 3 + 1 : 0); /* characters of min bytes */
	for (size_t i = *pos; i < n; i++) {
		if (t[i] == 'd' && n - i > 13 && !memcmp(t + i, "data:", 5)) {
			if (data_uri(t, n, i, f) && f->chars >= need) {
				*pos = f->end;
				return true;
			}
			continue;
		}
		/* A string literal that is all base64, or a text that is. */
		if (t[i] != '"' && i)
			continue;
		size_t b = t[i] == '"' ? i + 1 : i;
		f->start = f->b64 = b;
		f->end = run_end(t, n, b, &f->chars);
		if (f->chars >= need && (literal_ends(t, n, f->end) || (!b && f->end == n))) {
			*pos = f->end;
			return true;
		}
		/* Past a long run (but its last letters, which may begin "data:"): nothing else in
		 * it starts a payload. */
		if (f->chars >= need && f->end > i + 5)
			i = f->end - 5;
	}
	*pos = n;
	return false;
}

/* Writes the payload's bytes as a media file and its reference into out. */
static enum status move_one(struct media_to *m, const uint8_t *bytes, size_t len, struct buf *out,
			    struct err *e)
{
	uint8_t dig[32];
	char hex[STORE_MEDIA_HEX + 1];
	hash_sha256(bytes, len, dig);
	hash_hex(dig, sizeof dig, hex);
	if (m->st) {
		enum status st = store_media_put(m->st, m->ws, hex, bytes, len, e);
		if (st != ST_OK)
			return st;
	}
	const char *type = media_sniff(bytes, len);
	buf_printf(out, "%s%s?type=%s&bytes=%zu", STORE_MEDIA_REF, hex, type ? type : MEDIA_UNKNOWN,
		   len);
	m->moved++;
	m->bytes += len;
	return ST_OK;
}

enum status media_text(struct media_to *m, const char *t, size_t n, const char **out, size_t *outn,
		       struct err *e)
{
	*out = t;
	*outn = n;
	if (!m->min || n < m->min)
		return ST_OK;
	b64_init();
	struct buf b;
	buf_init(&b);
	uint8_t *bytes = NULL;
	size_t pos = 0, copied = 0;
	struct found f;
	enum status st = ST_OK;
	while (st == ST_OK && next_payload(t, n, &pos, m->min, &f)) {
		if (f.chars / 4 * 3 > MEDIA_MAX_BYTES) {
			st = err_set(e, ST_TOO_LARGE,
				     "a base64 payload of about %zu bytes is over the limit of %u "
				     "(MEDIA_MAX_BYTES; docs/media.md)",
				     f.chars / 4 * 3, MEDIA_MAX_BYTES);
			break;
		}
		size_t len;
		bytes = xrealloc(bytes, f.chars / 4 * 3 + 3);
		/* Not base64 after all (a character out of place, two alphabets): kept as text. */
		if (!media_b64_decode(t + f.b64, f.end - f.b64, bytes, &len) || len < m->min)
			continue;
		buf_add(&b, t + copied, f.start - copied);
		st = move_one(m, bytes, len, &b, e);
		copied = f.end;
	}
	free(bytes);
	if (st == ST_OK && copied) {
		buf_add(&b, t + copied, n - copied);
		char *s = arena_alloc(m->a, b.len + 1);
		memcpy(s, b.p, b.len);
		s[b.len] = 0;
		*out = s;
		*outn = b.len;
	}
	buf_free(&b);
	return st;
}

/* One string member of a span. */
static enum status media_str(struct media_to *m, const char **s, struct err *e)
{
	if (!*s)
		return ST_OK;
	const char *out;
	size_t outn;
	enum status st = media_text(m, *s, strlen(*s), &out, &outn, e);
	if (st == ST_OK)
		*s = out;
	return st;
}

/* Every string in a JSON value (the raw attributes), in place. */
static enum status media_json(struct media_to *m, json_t *v, int depth, struct err *e)
{
	enum status st = ST_OK;
	if (depth > 64)
		return ST_OK; /* deeper than any parser lets a value be built */
	if (json_is_string(v)) {
		const char *out;
		size_t outn;
		st = media_text(m, json_string_value(v), json_string_length(v), &out, &outn, e);
		if (st == ST_OK && out != json_string_value(v))
			json_string_setn_nocheck(v, out, outn);
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			if ((st = media_json(m, x, depth + 1, e)) != ST_OK)
				break;
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; st == ST_OK && i < json_array_size(v); i++)
			st = media_json(m, json_array_get(v, i), depth + 1, e);
	}
	return st;
}

enum status media_span(struct media_to *m, struct span *s, struct err *e)
{
	if (!m->min)
		return ST_OK;
	enum status st = media_str(m, &s->input, e);
	if (st == ST_OK)
		st = media_str(m, &s->output, e);
	if (st == ST_OK && s->raw_attributes)
		st = media_json(m, s->raw_attributes, 0, e);
	return st;
}

enum status media_upload(struct store *st, const char *ws, const char *hex, const void *p, size_t n,
			 struct err *e)
{
	uint8_t dig[32];
	char got[65];
	if (n > MEDIA_MAX_BYTES)
		return err_set(e, ST_TOO_LARGE, "%zu bytes: media files are at most %u bytes", n,
			       MEDIA_MAX_BYTES);
	hash_sha256(p, n, dig);
	hash_hex(dig, sizeof dig, got);
	if (!hex || strcmp(got, hex))
		return err_set(e, ST_BAD_REQUEST,
			       "The bytes do not hash to the SHA-256 the upload was signed for");
	return store_media_put(st, ws, hex, p, n, e);
}
