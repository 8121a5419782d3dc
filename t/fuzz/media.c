/* fuzz media: the payloads ingest moves out of a span's texts (lib/ingest/media.c), found in
 * hostile text without a parse: data URIs, base64 literals, "\/" escapes and what ends them.
 * The first byte picks the threshold (small, so that short inputs hold payloads); the rest is
 * the text, in a buffer of its own size, so ASan sees any read past it. What a text becomes
 * must be the text with each payload replaced by a reference, every reference well formed;
 * the decoder and the sniffer read the same bytes. No store: the files are not written. */
#include "t/fuzz/fuzz.h"
#include <stdlib.h>
#include "lib/ingest/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	struct arena *a = arena_new();
	struct media_to m = {.st = NULL, .ws = "fz", .a = a, .min = 1 + data[0] % 64};
	size_t n = size - 1;
	char *text = malloc(n ? n : 1);
	memcpy(text, data + 1, n);
	const char *out;
	size_t outn;
	struct err e = {0};
	if (media_text(&m, text, n, &out, &outn, &e) == ST_OK) {
		if (out == text && m.moved)
			abort(); /* moved something and gave the text back unchanged */
		if (store_media_refs(out, outn, NULL, NULL) < m.moved)
			abort(); /* a reference that does not read back as one */
	}
	uint8_t *bytes = malloc(n / 4 * 3 + 3);
	size_t len;
	if (media_b64_decode(text, n, bytes, &len))
		media_sniff(bytes, len);
	media_sniff(text, n);
	store_media_refs(text, n, NULL, NULL);
	free(bytes);
	free(text);
	arena_free(a);
	return 0;
}
