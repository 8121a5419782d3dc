/* dialect: how Scale GP says an error (FastAPI's shapes, otel-egp.md §4.1), where its
 * workspace (x-selected-account-id) and key (x-api-key) come from, and how it takes a body. */
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
