/* catalog_value: the value rules of the conventions table (catalog.h): what is a token count,
 * what is a cost, and the rounding costs keep. */
#ifndef SPANDEX_MODEL_CATALOG_VALUE_H
#define SPANDEX_MODEL_CATALOG_VALUE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

/* The largest token count one field of a span takes (input, output, cached, total, a
 * usage_details member): the index record holds each count in 32 bits (lib/store/store.h), so
 * a span and the rollups summed from its record agree; no model call comes near 4 billion
 * tokens. A larger value is no count: it is refused as a negative one is (docs/limits.md). */
#define CATALOG_MAX_TOKENS 4294967295LL
/* The largest cost of one span, in USD: far above any model call, and small enough that a cost
 * in micro-USD (1e15) is exact in a double and 9,000 of them add up in an int64_t (the stats'
 * sums saturate past that). A larger value is no cost (docs/limits.md). */
#define CATALOG_MAX_USD 1e9

/* True when v is a non-negative integer (an integral float counts; booleans and strings do
 * not), such as a version; *out gets it. */
bool catalog_whole(json_t *v, int64_t *out);
/* True when v is a non-negative integer token count of at most CATALOG_MAX_TOKENS (an integral
 * float counts; booleans and strings do not); *out gets it. */
bool catalog_count(json_t *v, int64_t *out);
/* True when counts a + b are together a count (at most CATALOG_MAX_TOKENS); *out gets it. A
 * total worked out from parts that is not one is left absent, as none was sent. */
bool catalog_count_sum(int64_t a, int64_t b, int64_t *out);
/* True when v is a finite USD amount from 0 to CATALOG_MAX_USD; *out gets it rounded to 6
 * decimals. */
bool catalog_cost(json_t *v, double *out);
/* d rounded to the 6 decimals costs keep (micro-USD). */
double catalog_round_cost(double d);
#define CATALOG_COST_DECIMALS 1e6 /* reference section 5: micro-USD */

#endif
