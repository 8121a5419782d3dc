/* atif_check: validation of an ATIF trajectory request (atif.h), nothing else. */
#ifndef SPANDEX_ATIF_CHECK_H
#define SPANDEX_ATIF_CHECK_H

#include <stdbool.h>
#include <jansson.h>
#include "lib/model/verr.h"

/* Embedded subagent trajectories nest at most this deep (H's atif_max_subagent_depth
 * default). Under JSONX_MAX_DEPTH no parsed body reaches it; it bounds the recursion for
 * bodies built in memory. */
#define ATIF_MAX_SUBAGENT_DEPTH 64
/* Validation only (atif_map calls it): true when body is a valid AtifIngestRequest; the
 * problems go to v otherwise. */
bool atif_check(struct verrs *v, json_t *body);

#endif
