/* dialect: how the Intake API says an error (FastAPI's shapes, reference nemo-intake.md
 * section 2) and where its workspace and key come from. */
#include "lib/api/intake/intake.h"

const struct http_dialect intake_dialect = {
    .error = http_fastapi_error,
    .invalid = http_fastapi_invalid,
    /* The standard OTLP path /v1/traces (otel-egp.md 1.1) has no workspace segment:
     * OTEL_EXPORTER_OTLP_HEADERS=x-workspace=<name>. */
    .ws_header = "X-Workspace",
    .ws_default = "default",
    .ws_refusal = ST_BAD_REQUEST,
    .key = HTTP_KEY_BEARER,
};
