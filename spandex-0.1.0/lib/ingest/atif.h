/* atif: POST .../ingest/atif (reference nemo-intake.md section 4.3): checks an ATIF
 * v1.0-v1.7 trajectory (Harbor RFC 0001) and maps it onto a tree of spans. The spans and
 * their strings live in the caller's arena; each span's JSON objects hold one reference
 * (span_clear releases them). */
#ifndef SPANDEX_ATIF_H
#define SPANDEX_ATIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/model/span.h"
#include "lib/base/status.h"
#include "lib/model/verr.h"

#define ATIF_SOURCE "atif"
/* Embedded subagent trajectories nest at most this deep (H's atif_max_subagent_depth
 * default). Under JSONX_MAX_DEPTH no parsed body reaches it; it bounds the recursion for
 * bodies built in memory. */
#define ATIF_MAX_SUBAGENT_DEPTH 64
/* created_by of the evaluator results a verifier yields (Observe Agents page). */
#define ATIF_EVALUATOR_CREATED_BY "intake:atif_importer"

/* Validates body as an AtifIngestRequest and, when valid, maps it for workspace ws at ingest
 * time now (us): *spans gets an arena array of *n spans, the root trajectory span first.
 * Returns ST_OK, or ST_INVALID with the problems added to v (loc starting at "body"). */
enum status atif_map(struct arena *a, const char *ws, json_t *body, int64_t now,
		     struct span **spans, size_t *n, struct verrs *v);

/* Validation only (atif_map calls it): true when body is a valid AtifIngestRequest; the
 * problems go to v otherwise. */
bool atif_check(struct verrs *v, json_t *body);

#endif
