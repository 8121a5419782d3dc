/* fuzz body: a request body's Content-Encoding undone as lib/http does it (gzip with several
 * members, deflate), under a 1 MiB limit that a bomb must hit with a 413, not past it. The
 * first byte picks the coding. */
#include "t/fuzz/fuzz.h"
#include <stdlib.h>
#include "lib/http/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	struct arena *a = arena_new();
	struct http_conn conn = {0};
	struct http_req req;
	memset(&req, 0, sizeof req);
	req.arena = a;
	req.priv = &conn;
	req.content_encoding = (const char *[]){"gzip", "deflate", "x-gzip", "br"}[data[0] & 3];
	char *copy = arena_alloc(a, size);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = 0;
	req.body = copy;
	req.body_len = size - 1;
	req.max_body = 1 << 20;
	if (http_decode_body(&req) == ST_OK && req.body_len > req.max_body)
		abort(); /* past the limit: a finding */
	free(conn.inflated);
	arena_free(a);
	return 0;
}
