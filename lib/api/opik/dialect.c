/* dialect: how Opik says an error (Dropwizard's {"code","message"}; 422 {"errors":[...]},
 * opik.md §1) and where its workspace and key come from. */
#include "lib/api/opik/surface.h"

#include <string.h>
#include "lib/json/jsonw.h"

static void opik_error(struct buf *out, int code, const char *msg)
{
	buf_printf(out, "{\"code\":%d,\"message\":", code);
	jsonw_string(out, msg, strlen(msg));
	buf_addc(out, '}');
}

/* {"errors":["<field> <message>", ...]}: each item's loc after "body", and its msg. */
static void opik_invalid(struct buf *out, json_t *items)
{
	size_t i, j;
	json_t *it, *l;
	buf_adds(out, "{\"errors\":[");
	json_array_foreach(items, i, it)
	{
		struct buf b;
		buf_init(&b);
		json_array_foreach(json_object_get(it, "loc"), j, l)
		{
			if (json_is_string(l) && !strcmp(json_string_value(l), "body") && j == 0)
				continue;
			if (b.len)
				buf_addc(&b, '.');
			if (json_is_integer(l))
				buf_printf(&b, "%lld", (long long)json_integer_value(l));
			else
				buf_adds(&b, json_string_value(l) ? json_string_value(l) : "");
		}
		const char *msg = json_string_value(json_object_get(it, "msg"));
		buf_printf(&b, "%s%s", b.len ? " " : "", msg ? msg : "is invalid");
		if (i)
			buf_addc(out, ',');
		jsonw_string(out, b.p, b.len);
		buf_free(&b);
	}
	buf_adds(out, "]}");
}

const struct http_dialect opik_dialect = {
    .error = opik_error,
    .invalid = opik_invalid,
    .ws_header = "Comet-Workspace",
    .ws_default = "default",
    .ws_refusal = ST_BAD_REQUEST,
    .key = &http_key_raw,
    .prefix = "/api",
    .strict_ints = true,
    .first_param = true,
};
