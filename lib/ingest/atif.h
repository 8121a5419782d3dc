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
#include "lib/ingest/atif_check.h"
#include "lib/model/judgement.h"
#include "lib/model/span.h"
#include "lib/base/status.h"
#include "lib/model/verr.h"

#define ATIF_SOURCE "atif"
/* created_by of the evaluator results a verifier yields (Observe Agents page). */
#define ATIF_EVALUATOR_CREATED_BY "intake:atif_importer"

/* Validates body as an AtifIngestRequest and, when valid, maps it for workspace ws at ingest
 * time now (us): *spans gets an arena array of *n spans, the root trajectory span first.
 * Returns ST_OK, or ST_INVALID with the problems added to v (loc starting at "body"). */
enum status atif_map(struct arena *a, const char *ws, json_t *body, int64_t now,
		     struct span **spans, size_t *n, struct verrs *v);

/* The evaluator results of a mapped trajectory (reference 4.3 item 5; NeMo Helix
 * trajectory_to_evaluator_results): one judgement per reward of each verifier span among
 * spans[0..n) (the rewards atif_map left in its nemo.evaluator_results attribute), on that
 * span, with id "eval-" + stable_id(verifier span id, reward name), so a re-import replaces
 * them; created at now by ATIF_EVALUATOR_CREATED_BY, through the API named api (the surface's
 * name for itself). *js gets an arena array of *nj (NULL and 0 when the trajectory has no
 * verifier result). */
void atif_judgements(struct arena *a, const char *api, const struct span *spans, size_t n,
		     int64_t now, struct judgement **js, size_t *nj);

#endif
