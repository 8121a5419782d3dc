/* catalog_value: the value rules of the conventions table (catalog.h): what is a token count,
 * what is a cost, and the rounding costs keep. */
#ifndef SPANDEX_MODEL_CATALOG_VALUE_H
#define SPANDEX_MODEL_CATALOG_VALUE_H

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
#define CATALOG_COST_DECIMALS 1e6 /* reference section 5: micro-USD */

#endif
