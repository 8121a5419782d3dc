/* dialect: how the Intake API says an error (FastAPI's shapes, reference nemo-intake.md
 * section 2), where its workspace and key come from, and where its writes go. */
#include "lib/api/intake/intake.h"

/* OTLP where Langfuse's span processor posts it (instrumentation.md 3.1): Basic <public
 * key>:<secret key>, the public key (also sent as x-langfuse-public-key) the workspace, the
 * secret key a spandex key (docs/api-intake.md, "OTLP from instrumentation libraries"). */
static const struct http_dialect langfuse_dialect = {
    .error = http_fastapi_error,
    .invalid = http_fastapi_invalid,
    .ws_header = "X-Langfuse-Public-Key",
    .ws_default = "default",
    .ws_refusal = ST_BAD_REQUEST,
    .ws_from = http_ws_basic_user,
    .key = &http_key_basic,
};

/* OTLP where Opik's set-up posts it: the bare key and Comet-Workspace, as its REST API. */
static const struct http_dialect opik_otlp_dialect = {
    .error = http_fastapi_error,
    .invalid = http_fastapi_invalid,
    .ws_header = "Comet-Workspace",
    .ws_default = "default",
    .ws_refusal = ST_BAD_REQUEST,
    .key = &http_key_raw,
};

/* The OTLP paths of other libraries in the ingest program (lib/api/intake/routes.c). */
static const struct http_dialect_route intake_otlp_routes[] = {
    {INTAKE_LANGFUSE_OTLP, &langfuse_dialect},
    {INTAKE_OPIK_OTLP, &opik_otlp_dialect},
    {"/api" INTAKE_OPIK_OTLP, &opik_otlp_dialect},
    {NULL, NULL},
};

const struct http_dialect intake_dialect = {
    .error = http_fastapi_error,
    .invalid = http_fastapi_invalid,
    /* The standard OTLP path /v1/traces (otel-egp.md 1.1) has no workspace segment:
     * OTEL_EXPORTER_OTLP_HEADERS=x-workspace=<name>. */
    .ws_header = "X-Workspace",
    .ws_default = "default",
    .ws_refusal = ST_BAD_REQUEST,
    .key = &http_key_bearer,
    .routes = intake_otlp_routes,
};
