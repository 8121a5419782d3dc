/* price: the model price table (prices/prices.tsv, or the file SPANDEX_PRICES names) and the
 * costs it gives a span that arrived without any, as Langfuse does. Off unless a table is
 * configured: the NeMo service computes no costs, and spandex answers like it by default.
 * The table is cached per process and parsed again when its file changes; nothing here
 * needs freeing by the caller. */
#ifndef SPANDEX_MODEL_PRICE_H
#define SPANDEX_MODEL_PRICE_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/base/status.h"
#include "lib/model/span.h"

#define PRICE_MAX_MODELS 4096 /* lines of one table: a price list, not a catalog */
#define PRICE_COMPUTED_KEY "spandex.cost"	 /* raw_attributes marker: "computed" */
#define PRICE_TABLE_KEY "spandex.price_table" /* raw_attributes: the table's "taken" date */

struct price_row {
	char *model;
	double in, out, cached; /* USD per million tokens; cached < 0: none (input price) */
};
struct prices {
	char taken[32]; /* the "# taken: YYYY-MM-DD" line */
	struct price_row *rows;
	size_t n;
};

/* The table at path, or NULL when path is NULL or empty (pricing off). A file that cannot be
 * read or parsed is an error (e), never a silent "no prices". */
const struct prices *prices_load(const char *path, struct err *e);

/* The row for model: its own line, else the longest line that is a prefix of it followed by
 * '-', ':' or '@', also after a provider prefix ("openai/..."); case-insensitive. NULL if none. */
const struct price_row *prices_find(const struct prices *p, const char *model);

/* When s has no cost at all, a model with a row and input or output tokens: sets its costs
 * (cached input tokens at the cached price; 6 decimals) and marks them computed in
 * raw_attributes (PRICE_COMPUTED_KEY, PRICE_TABLE_KEY). With recompute, a span whose costs are
 * marked computed is priced again (the table changed). True when the costs were set. */
bool prices_apply(const struct prices *p, struct span *s, bool recompute);

/* True when b's costs (each of the three, absent alike) and its PRICE_TABLE_KEY equal a's:
 * pricing a again changed nothing worth a new version. */
bool prices_same(const struct span *a, const struct span *b);

#endif
