/* dialect: how Scale GP says an error (FastAPI's shapes, otel-egp.md §4.1), where its
 * workspace (x-selected-account-id) and key (x-api-key) come from, and how it takes a body. */
#include <stdio.h>
#include <string.h>
#include "lib/api/egp/surface.h"

const struct http_dialect egp_dialect = {
    .error = http_fastapi_error,
    .invalid = http_fastapi_invalid,
    .ws_header = "x-selected-account-id",
    .ws_default = "default",
    /* An account is a workspace, by the same rules: another name is a 422. */
    .ws_refusal = ST_INVALID,
    .key = &http_key_x_api_key,
};

enum status egp_invalid(struct http_req *req, json_t *loc, const char *type, const char *msg,
			json_t *input)
{
	struct verrs v;
	verrs_init(&v);
	verrs_add(&v, loc, type, msg, input ? input : json_null());
	return http_fail_invalid(req, &v);
}

void egp_too_long(struct verrs *v, const char *key, int max, json_t *list)
{
	char m[96];
	snprintf(m, sizeof m, "List should have at most %d items after validation, not %zu", max,
		 json_array_size(list));
	verrs_add_ctx(v, json_pack("[s,s]", "body", key), "too_long", m, json_incref(list),
		      json_pack("{s:s,s:i,s:i}", "field_type", "List", "max_length", max,
				"actual_length", (int)json_array_size(list)));
}
