/* catalog: the value rules of the semantic attribute catalog (reference nemo-intake.md
 * section 5), shared by every ingest format that fills token counts and costs.
 * catalog_apply itself is declared in lib/span.h. Nothing here allocates. */
#ifndef SPANDEX_CATALOG_H
#define SPANDEX_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

/* True when v is a non-negative integer token count (an integral float counts; booleans and
 * strings do not); *out gets it. */
bool catalog_count(json_t *v, int64_t *out);
/* True when v is a finite non-negative USD amount; *out gets it rounded to 6 decimals. */
bool catalog_cost(json_t *v, double *out);
/* d rounded to the 6 decimals costs keep (micro-USD). */
double catalog_round_cost(double d);

#endif

/* The evaluation context of an ingest body (reference sections 4.2 and 4.3): the optional
 * members experiment_context {experiment_id (required), test_case_id} (P's canonical form) and
 * evaluation_context (SpanEvaluationContext of the Get Span page, plus H's evaluation_name /
 * test_case_name). */
struct verrs;
/* Checks those members of body (an object) with loc as body's location. */
void catalog_context_check(struct verrs *v, json_t *loc, json_t *body);
/* The Span evaluation_context for a checked body, as a new object, or NULL when it has none.
 * experiment_context wins over evaluation_context (P); H names map to evaluation_id and
 * test_case_id. */
json_t *catalog_context(json_t *body);
