/* dialect: how the Intake API says an error (FastAPI's shapes, reference nemo-intake.md
 * section 2) and where its workspace and key come from. */
#include "lib/api/intake/intake.h"

#include <string.h>
#include "lib/json/jsonw.h"

static void intake_error(struct buf *out, int code, const char *msg)
{
	(void)code;
	buf_adds(out, "{\"detail\":");
	jsonw_string(out, msg, strlen(msg));
	buf_addc(out, '}');
}

/* HTTPValidationError: {"detail": [ValidationError...]}, as FastAPI's JSONResponse prints
 * it (jansson's compact form, which the golden replies were recorded from). */
static void intake_invalid(struct buf *out, json_t *items)
{
	buf_adds(out, "{\"detail\":");
	jsonw_jansson(out, items, JSON_COMPACT);
	buf_addc(out, '}');
}

const struct http_dialect intake_dialect = {
    .error = intake_error,
    .invalid = intake_invalid,
    /* The standard OTLP path /v1/traces (otel-egp.md 1.1) has no workspace segment:
     * OTEL_EXPORTER_OTLP_HEADERS=x-workspace=<name>. */
    .ws_header = "X-Workspace",
    .ws_default = "default",
    .ws_refusal = ST_BAD_REQUEST,
    .key = HTTP_KEY_BEARER,
};
