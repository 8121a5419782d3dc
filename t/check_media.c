/* check_media: payloads moved out of spans (lib/ingest/media.c) and the media files they go to
 * (lib/store/media.c): what is found in each shape clients send, base64's edge cases, the
 * threshold and the limit, the text around a payload kept byte for byte, the types sniffed,
 * and that a content is stored once however often it is sent. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/ingest/media.h"

#define MIN 1024 /* the threshold of these tests (the floor) */

static struct arena *A;
static char root[64];

static void setup(void)
{
	A = arena_new();
	snprintf(root, sizeof root, "/tmp/check_media.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	arena_free(A);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* Standard base64 of p[0..n), with padding (url: the URL-safe alphabet, no padding). */
static char *b64(const void *v, size_t n, bool url)
{
	static const char std[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char web[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *al = url ? web : std;
	const uint8_t *p = v;
	char *out = arena_alloc(A, n / 3 * 4 + 5), *o = out;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t x = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = al[x >> 18];
		*o++ = al[x >> 12 & 63];
		*o++ = al[x >> 6 & 63];
		*o++ = al[x & 63];
	}
	if (n - i == 1) {
		uint32_t x = (uint32_t)p[i] << 16;
		*o++ = al[x >> 18];
		*o++ = al[x >> 12 & 63];
		if (!url) {
			*o++ = '=';
			*o++ = '=';
		}
	} else if (n - i == 2) {
		uint32_t x = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = al[x >> 18];
		*o++ = al[x >> 12 & 63];
		*o++ = al[x >> 6 & 63];
		if (!url)
			*o++ = '=';
	}
	*o = 0;
	return out;
}

/* n bytes of a PNG (its signature, then a pattern): what the tests move. */
static uint8_t *png(size_t n, unsigned seed)
{
	uint8_t *p = arena_alloc(A, n);
	static const uint8_t sig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 8));
	memcpy(p, sig, n < sizeof sig ? n : sizeof sig);
	return p;
}

static struct media_to dry(void)
{
	return (struct media_to){.st = NULL, .ws = "ws1", .a = A, .min = MIN};
}

/* Moves t's payloads (no store): the new text. */
static const char *moved(struct media_to *m, const char *t)
{
	const char *out;
	size_t n;
	struct err e = {0};
	ck_assert_msg(media_text(m, t, strlen(t), &out, &n, &e) == ST_OK, "%s", err_text(&e));
	ck_assert_uint_eq(strlen(out), n);
	return out;
}

/* The reference media_text writes for bytes p[0..n). */
static const char *ref_of(const void *p, size_t n, const char *type)
{
	uint8_t dig[32];
	char hex[65];
	hash_sha256(p, n, dig);
	hash_hex(dig, 32, hex);
	return arena_printf(A, "%s%s?type=%s&bytes=%zu", STORE_MEDIA_REF, hex, type, n);
}

START_TEST(sniff)
{
	static const struct {
		const char *bytes;
		size_t n;
		const char *type;
	} cases[] = {
	    {"\x89PNG\r\n\x1a\n....", 12, "image/png"},
	    {"\xff\xd8\xff\xe0....", 8, "image/jpeg"},
	    {"GIF89a......", 12, "image/gif"},
	    {"RIFF\x10\0\0\0WEBPVP8 ", 16, "image/webp"},
	    {"RIFF\x10\0\0\0WAVEfmt ", 16, "audio/wav"},
	    {"%PDF-1.7\n", 9, "application/pdf"},
	    {"ID3\x04\0\0\0\0", 8, "audio/mpeg"},
	    {"\xff\xfb\x90\x64", 4, "audio/mpeg"},
	    {"\xff\xf1\x50\x80", 4, "audio/aac"},
	    {"OggS\0\x02", 6, "audio/ogg"},
	    {"fLaC\0\0\0\x22", 8, "audio/flac"},
	    {"\0\0\0\x20"
	     "ftypisom\0\0\x02\0",
	     16, "video/mp4"},
	    {"\0\0\0\x20"
	     "ftypM4A \0\0\x02\0",
	     16, "audio/mp4"},
	    {"\0\0\0\x20"
	     "ftypavif\0\0\0\0",
	     16, "image/avif"},
	    {"\x1a\x45\xdf\xa3\x9f", 5, "video/webm"},
	    {"FORM\0\0\0\x10"
	     "AIFFCOMM",
	     16, "audio/aiff"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_str_eq(media_sniff(cases[i].bytes, cases[i].n), cases[i].type);
	/* Text, HTML, SVG and a lie are none of them: served as bytes to download. */
	ck_assert_ptr_null(media_sniff("hello", 5));
	ck_assert_ptr_null(media_sniff("<svg xmlns=", 11));
	ck_assert_ptr_null(media_sniff("<html><script>", 14));
	ck_assert_ptr_null(media_sniff("\x89PN", 3));
	ck_assert_ptr_null(media_sniff("", 0));
	/* BMP's "BM" counts only with its own size in the header. */
	uint8_t bmp[30] = {'B', 'M', 30, 0, 0, 0, 0, 0, 0, 0};
	ck_assert_str_eq(media_sniff(bmp, sizeof bmp), "image/bmp");
	bmp[2] = 31;
	ck_assert_ptr_null(media_sniff(bmp, sizeof bmp));
}
END_TEST

static bool dec(const char *s, const char *want, size_t wn)
{
	uint8_t out[64];
	size_t n;
	if (!media_b64_decode(s, strlen(s), out, &n))
		return false;
	ck_assert_uint_eq(n, wn);
	ck_assert_mem_eq(out, want, wn);
	return true;
}

START_TEST(base64)
{
	ck_assert(dec("", "", 0));
	ck_assert(dec("aGk=", "hi", 2));
	ck_assert(dec("aGk", "hi", 2)); /* padding may be left out */
	ck_assert(dec("aGVsbG8=", "hello", 5));
	ck_assert(dec("aGVsbG8", "hello", 5));
	ck_assert(dec("aGVs", "hel", 3));
	ck_assert(dec("+/+/", "\xfb\xff\xbf", 3));
	ck_assert(dec("-_-_", "\xfb\xff\xbf", 3));     /* URL-safe */
	ck_assert(dec("+\\/+\\/", "\xfb\xff\xbf", 3)); /* "\/", as JSON may escape '/' */
	ck_assert(!dec("+/-_", NULL, 0));	       /* two alphabets */
	ck_assert(!dec("aGk==", NULL, 0));	       /* padding past a whole group */
	ck_assert(!dec("aG=k", NULL, 0));	       /* padding inside */
	ck_assert(!dec("aGVsbG8==", NULL, 0));
	ck_assert(!dec("a", NULL, 0));	  /* 6 bits are no byte */
	ck_assert(!dec("aGl=", NULL, 0)); /* unused bits set: not what an encoder writes */
	ck_assert(!dec("aGVsbG9=", NULL, 0));
	ck_assert(!dec("aG k=", NULL, 0)); /* a space */
	ck_assert(!dec("aG\nk=", NULL, 0));
	ck_assert(!dec("aGk!", NULL, 0));
	ck_assert(!dec("\\aGk", NULL, 0));
}
END_TEST

START_TEST(settings)
{
	bool bad;
	ck_assert_uint_eq(media_min(NULL, &bad), MEDIA_MIN_DEFAULT);
	ck_assert(!bad);
	ck_assert_uint_eq(media_min("", NULL), MEDIA_MIN_DEFAULT);
	ck_assert_uint_eq(media_min("off", &bad), 0);
	ck_assert_uint_eq(media_min("65536", &bad), 65536);
	ck_assert(!bad);
	ck_assert_uint_eq(media_min("1", &bad), MEDIA_MIN_FLOOR);
	ck_assert_uint_eq(media_min("0", &bad), MEDIA_MIN_FLOOR);
	ck_assert_uint_eq(media_min("99999999999999999999999", &bad), MEDIA_MIN_CEIL);
	ck_assert_uint_eq(media_min("12k", &bad), MEDIA_MIN_DEFAULT);
	ck_assert(bad);
	ck_assert_uint_eq(media_min("-5", &bad), MEDIA_MIN_DEFAULT);
	ck_assert(bad);
}
END_TEST

/* Each shape clients send, found and replaced, the JSON around it the same. */
START_TEST(shapes)
{
	size_t n = 3000;
	uint8_t *img = png(n, 1);
	const char *b = b64(img, n, false), *ref = ref_of(img, n, "image/png");
	static const char *const forms[] = {
	    /* OpenAI chat: image_url data URI; a file part; the Responses API's input_image */
	    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is "
	    "this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,%s\","
	    "\"detail\":\"high\"}}]}]}",
	    "{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\",\"file_data\":\"data:application/"
	    "pdf;base64,%s\"}}",
	    "[{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,%s\"}]",
	    /* OpenAI input_audio */
	    "{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"%s\",\"format\":\"wav\"}}",
	    /* Anthropic image and document blocks */
	    "{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\","
	    "\"media_type\":\"image/png\",\"data\":\"%s\"}}]}",
	    "{\"type\":\"document\",\"source\":{\"type\":\"base64\",\"media_type\":\"application/"
	    "pdf\",\"data\":\"%s\"}}",
	    /* Gemini, REST and SDK spellings */
	    "{\"contents\":[{\"parts\":[{\"inline_data\":{\"mime_type\":\"image/png\",\"data\":"
	    "\"%s\"}}]}]}",
	    "{\"parts\":[{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"%s\"}}]}",
	    /* The GenAI conventions' blob part (gen_ai.input.messages) */
	    "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Describe\"},{\"type\":"
	    "\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\",\"content\":\"%s\"}]}]",
	    /* The AI SDK's file part, Opik's bare string, pretty-printed JSON */
	    "[{\"type\":\"file\",\"mediaType\":\"image/png\",\"data\":\"%s\"}]",
	    "{\"image\": \"%s\"}",
	    "{\n  \"data\" : \"%s\" ,\n  \"x\": 1\n}",
	    /* A text that is the payload, a data URI, or one in Markdown */
	    "%s",
	    "data:image/png;base64,%s",
	    "Look: ![shot](data:image/png;base64,%s) and tell me.",
	    /* JSON inside a JSON string (escaped quotes) */
	    "{\"input\":\"{\\\"data\\\":\\\"%s\\\"}\"}",
	};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		struct media_to m = dry();
		const char *t = arena_printf(A, forms[i], b);
		const char *out = moved(&m, t);
		ck_assert_msg(m.moved == 1, "form %zu: %zu moved", i, m.moved);
		ck_assert_uint_eq(m.bytes, n);
		ck_assert_ptr_null(strstr(out, b));
		ck_assert_msg(strstr(out, ref), "form %zu: %s", i, out);
		/* Only the payload changed: what is around it reads as before. */
		bool uri = strstr(forms[i], "data:") != NULL;
		const char *at = strstr(t, uri ? "data:" : b);
		size_t pre = (size_t)(at - t),
		       post = strlen(t) - pre -
			      (uri ? strlen("data:") + strcspn(at + 5, ",") + 1 + strlen(b)
				   : strlen(b));
		ck_assert_mem_eq(out, t, pre);
		ck_assert_str_eq(out + pre + strlen(ref), t + strlen(t) - post);
		if (t[0] == '{' || t[0] == '[') {
			json_error_t je;
			json_t *j = json_loads(out, 0, &je);
			ck_assert_msg(j != NULL, "form %zu no longer JSON: %s", i, je.text);
			json_decref(j);
		}
	}
}
END_TEST

/* What stays text: below the threshold, not base64, a string that is not all base64. */
START_TEST(kept)
{
	uint8_t *img = png(MIN - 1, 2);
	const char *small = b64(img, MIN - 1, false);
	struct media_to m = dry();
	const char *t = arena_printf(A, "{\"data\":\"%s\"}", small);
	ck_assert_ptr_eq(moved(&m, t), t);
	t = arena_printf(A, "data:image/png;base64,%s", small);
	ck_assert_ptr_eq(moved(&m, t), t);
	/* Invalid base64 in a data URI: a character out of place, or a space inside. */
	uint8_t *big = png(4000, 3);
	char *b = b64(big, 4000, false);
	char *bad = arena_printf(A, "data:image/png;base64,%s", b);
	bad[strlen(bad) / 2] = '!';
	ck_assert_ptr_eq(moved(&m, bad), bad);
	bad = arena_printf(A, "{\"url\":\"data:image/png;base64,%s\"}", b);
	bad[strlen(bad) / 2] = ' ';
	ck_assert_ptr_eq(moved(&m, bad), bad);
	/* A literal that is base64 with text after it, or two alphabets. */
	t = arena_printf(A, "{\"data\":\"%s and more\"}", b);
	ck_assert_ptr_eq(moved(&m, t), t);
	char *mixed = arena_strdup(A, b);
	for (char *c = mixed; *c; c++)
		if (*c == '+') {
			*c = '-';
			break;
		}
	if (strchr(mixed, '/') || strchr(mixed, '+')) {
		t = arena_printf(A, "{\"data\":\"%s\"}", mixed);
		ck_assert_ptr_eq(moved(&m, t), t);
	}
	/* Long runs that are no payload: a number, a word in a text. */
	char *digits = arena_alloc(A, 6001);
	memset(digits, '7', 6000);
	digits[6000] = 0;
	t = arena_printf(A, "{\"n\":%s}", digits);
	ck_assert_ptr_eq(moved(&m, t), t);
	/* Off: nothing moves. */
	m.min = 0;
	t = arena_printf(A, "data:image/png;base64,%s", b);
	ck_assert_ptr_eq(moved(&m, t), t);
	ck_assert_uint_eq(m.moved, 0);
}
END_TEST

/* Two payloads in one text, the same one twice, the URL-safe alphabet, "\/" escapes. */
START_TEST(several)
{
	uint8_t *a = png(2000, 4), *b = png(5000, 5);
	const char *ba = b64(a, 2000, false), *bb = b64(b, 5000, true);
	char *esc = arena_alloc(A, strlen(ba) * 2 + 1), *o = esc;
	for (const char *c = ba; *c; c++) {
		if (*c == '/')
			*o++ = '\\';
		*o++ = *c;
	}
	*o = 0;
	struct media_to m = dry();
	const char *t =
	    arena_printf(A, "[\"data:image/png;base64,%s\",\"%s\",\"%s\",\"%s\"]", ba, bb, ba, esc);
	const char *out = moved(&m, t);
	ck_assert_uint_eq(m.moved, 4);
	const char *ra = ref_of(a, 2000, "image/png"), *rb = ref_of(b, 5000, "image/png");
	ck_assert_str_eq(out, arena_printf(A, "[\"%s\",\"%s\",\"%s\",\"%s\"]", ra, rb, ra, ra));
}
END_TEST

/* A payload over MEDIA_MAX_BYTES is refused (the API's 413), not kept in the line. */
START_TEST(over_limit)
{
	size_t n = (size_t)MEDIA_MAX_BYTES / 3 * 4 + 8;
	char *t = xmalloc(n + 1);
	memset(t, 'A', n);
	t[n] = 0;
	struct media_to m = dry();
	const char *out;
	size_t on;
	struct err e = {0};
	ck_assert_int_eq(media_text(&m, t, n, &out, &on, &e), ST_TOO_LARGE);
	ck_assert_ptr_nonnull(strstr(e.msg, "MEDIA_MAX_BYTES"));
	free(t);
}
END_TEST

/* Spans: input, output and raw attributes, written to the store once per content. */
START_TEST(store_once)
{
	struct store st;
	store_init(&st, root, true);
	uint8_t *img = png(20000, 6);
	const char *b = b64(img, 20000, false);
	struct span s;
	span_init(&s);
	s.input = arena_printf(A,
			       "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/"
			       "png;base64,%s\"}}]",
			       b);
	s.output = arena_printf(A, "{\"data\":\"%s\"}", b);
	s.raw_attributes = json_pack("{s:s,s:{s:[s]}}", "gen_ai.input.messages",
				     arena_printf(A,
						  "[{\"parts\":[{\"type\":\"blob\",\"content\":"
						  "\"%s\"}]}]",
						  b),
				     "nested", "list", b);
	struct media_to m = {.st = &st, .ws = "ws1", .a = A, .min = MIN};
	struct err e = {0};
	ck_assert_int_eq(media_span(&m, &s, &e), ST_OK);
	ck_assert_uint_eq(m.moved, 4);
	const char *ref = ref_of(img, 20000, "image/png");
	ck_assert_ptr_nonnull(strstr(s.input, ref));
	ck_assert_ptr_nonnull(strstr(s.output, ref));
	char *raw = json_dumps(s.raw_attributes, JSON_COMPACT);
	ck_assert_ptr_null(strstr(raw, b));
	ck_assert_uint_eq(store_media_refs(raw, strlen(raw), NULL, NULL), 2);
	free(raw);
	json_decref(s.raw_attributes);
	/* One file, its bytes those sent. */
	const char *hex = ref + strlen(STORE_MEDIA_REF);
	char name[65];
	memcpy(name, hex, 64);
	name[64] = 0;
	int fd;
	uint64_t size;
	ck_assert_int_eq(store_media_open(&st, "ws1", name, &fd, &size), ST_OK);
	ck_assert_uint_eq(size, 20000);
	uint8_t *back = arena_alloc(A, 20000);
	ck_assert_int_eq(read(fd, back, 20000), 20000);
	close(fd);
	ck_assert_mem_eq(back, img, 20000);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "test $(find %s/ws1/media -type f | wc -l) = 1", root);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "test -f %s/ws1/media/%.2s/%s", root, name, name);
	ck_assert_int_eq(system(cmd), 0);
	/* Unknown names and hostile ones are not found. */
	ck_assert_int_eq(store_media_open(&st, "ws1", "../../etc/passwd", &fd, &size),
			 ST_NOT_FOUND);
	name[0] = name[0] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(store_media_open(&st, "ws1", name, &fd, &size), ST_NOT_FOUND);
	ck_assert_int_eq(store_media_open(&st, "WS", name, &fd, &size), ST_NOT_FOUND);
}
END_TEST

static void count_ref(void *ctx, const char *hex)
{
	ck_assert_uint_eq(strlen(hex), 64);
	++*(int *)ctx;
}

START_TEST(refs)
{
	const char *h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *t = arena_printf(A,
				     "{\"input\":\"x " STORE_MEDIA_REF
				     "%s?type=image/png&bytes=3 " STORE_MEDIA_REF
				     "%s0 " STORE_MEDIA_REF "%.63s " STORE_MEDIA_REF "%s\"}",
				     h, h, h, h);
	int n = 0;
	/* A name of 65 digits or of 63 is none. */
	ck_assert_uint_eq(store_media_refs(t, strlen(t), count_ref, &n), 2);
	ck_assert_int_eq(n, 2);
	ck_assert(store_media_name(h, 64));
	ck_assert(!store_media_name(
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", 64));
}
END_TEST

static void take_prefix(void *ctx, const char *prefix)
{
	char **out = ctx;
	strcpy(*out, prefix);
	*out += strlen(prefix) + 1;
}

/* Langfuse's tags: the id, the first 22 base64url digits of the hash, names the file whose
 * name starts with the hash's first 33 hex digits; an upload is stored only as the bytes its
 * hash names. */
START_TEST(tags)
{
	/* SHA-256 of "hello": 2cf24dba...; its media id as Langfuse's getMediaId makes it. */
	const char *hex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
	const char *t = "{\"a\":\"@@@langfuseMedia:type=image\\/png|id=LPJNul-wow4m6Dsqxbninh|"
			"source=bytes@@@\",\"b\":\"@@@langfuseMedia:type=x|id=short|source=s@@@ "
			"@@@langfuseMedia:id=LPJNul-wow4m6Dsqxbninh@@@ @@@langfuseMedia:id=LPJN\"}";
	char got[4][STORE_MEDIA_HEX + 1], *at = got[0];
	ck_assert_uint_eq(store_media_refs(t, strlen(t), take_prefix, &at), 2);
	ck_assert_str_eq(got[0], "2cf24dba5fb0a30e26e83b2ac5b9e29e1");
	ck_assert_str_eq(got[0] + 34, got[0]);
	/* The shape, not one client's name: any name of letters before "Media:" (after a stray
	 * "@"), none without a name or with another character in it. */
	const char *shape =
	    "@@@@otherMedia:id=LPJNul-wow4m6Dsqxbninh@@@ "
	    "@@@Media:id=LPJNul-wow4m6Dsqxbninh@@@ @@@lang-fuseMedia:id=LPJNul-wow4m6Dsqxbninh@@@";
	at = got[0];
	ck_assert_uint_eq(store_media_refs(shape, strlen(shape), take_prefix, &at), 1);
	ck_assert_str_eq(got[0], "2cf24dba5fb0a30e26e83b2ac5b9e29e1");
	/* References and tags are the one list, in the order they come. */
	const char *mixed =
	    arena_printf(A,
			 "@@@langfuseMedia:id=LPJNul-wow4m6Dsqxbninh@@@ " STORE_MEDIA_REF
			 "%s @@@langfuseMedia:type=a|id=LPJNul-wow4m6Dsqxbninh@@@",
			 hex);
	at = got[0];
	ck_assert_uint_eq(store_media_refs(mixed, strlen(mixed), take_prefix, &at), 3);
	ck_assert_str_eq(got[0], "2cf24dba5fb0a30e26e83b2ac5b9e29e1");
	ck_assert_str_eq(got[0] + 34, hex);
	ck_assert_str_eq(got[0] + 34 + 65, "2cf24dba5fb0a30e26e83b2ac5b9e29e1");
	char prefix[STORE_MEDIA_TAG_HEX + 1], found[65];
	ck_assert(!store_media_tag_prefix("LPJNul+wow4m6Dsqxbninh", 22, prefix));
	ck_assert(store_media_tag_prefix("LPJNul-wow4m6Dsqxbninh", 22, prefix));

	struct store st;
	store_init(&st, root, true);
	struct err e = {0};
	ck_assert_int_eq(store_media_find(&st, "ws2", prefix, found), ST_NOT_FOUND);
	ck_assert_int_eq(store_media_named(&st, "ws2", prefix, found), ST_NOT_FOUND);
	ck_assert_int_eq(media_upload(&st, "ws2", hex, "hellO", 5, &e), ST_BAD_REQUEST);
	ck_assert_int_eq(store_media_find(&st, "ws2", prefix, found), ST_NOT_FOUND);
	ck_assert_int_eq(media_upload(&st, "ws2", hex, "hello", 5, &e), ST_OK);
	ck_assert_int_eq(store_media_find(&st, "ws2", prefix, found), ST_OK);
	ck_assert_str_eq(found, hex);
	/* A tag's prefix names the file whole; a reference's name is the name. */
	memset(found, 0, sizeof found);
	ck_assert_int_eq(store_media_named(&st, "ws2", prefix, found), ST_OK);
	ck_assert_str_eq(found, hex);
	ck_assert_int_eq(store_media_named(&st, "ws3", hex, found), ST_OK);
	ck_assert_str_eq(found, hex);
	ck_assert_int_eq(store_media_touch(&st, "ws2", hex, 5), ST_OK);
	ck_assert_int_eq(store_media_touch(&st, "ws2", hex, 6), ST_NOT_FOUND);
	ck_assert_int_eq(store_media_find(&st, "ws2", "2cf24dbz", found), ST_NOT_FOUND);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("media");
	TCase *tc = tcase_create("media");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sniff);
	tcase_add_test(tc, base64);
	tcase_add_test(tc, settings);
	tcase_add_test(tc, shapes);
	tcase_add_test(tc, kept);
	tcase_add_test(tc, several);
	tcase_add_test(tc, over_limit);
	tcase_add_test(tc, store_once);
	tcase_add_test(tc, refs);
	tcase_add_test(tc, tags);
	suite_add_tcase(s, tc);
	return s;
}
