/* fuzz request: the request line's path and query string as lib/http splits and decodes them
 * (percent-encoding, UTF-8, dot-segments, parameter limits), in plain CGI mode. */
#include "t/fuzz/fuzz.h"
#include <stdlib.h>
#include "lib/http/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	char *s = fuzz_str(a, data, size);
	char *q = strchr(s, '?');
	struct http_conn conn = {0};
	struct http_req req;
	memset(&req, 0, sizeof req);
	req.arena = a;
	req.priv = &conn;
	/* The URI as nginx passes it: the whole of it, and the query after '?'. */
	setenv("REQUEST_URI", *s == '/' ? s : "/", 1);
	setenv("QUERY_STRING", q ? q + 1 : "", 1);
	if (http_parse_path(&req) == ST_OK)
		http_parse_query(&req);
	arena_free(a);
	return 0;
}
