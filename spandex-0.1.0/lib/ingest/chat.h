/* chat: POST .../ingest/chat-completions (reference nemo-intake.md section 4.2): checks a
 * captured OpenAI-style request/response pair and maps it onto one LLM span. The span's
 * strings live in the caller's arena; its JSON objects hold one reference each. */
#ifndef SPANDEX_CHAT_H
#define SPANDEX_CHAT_H

#include <stdint.h>
#include <jansson.h>
#include "lib/model/span.h"
#include "lib/base/status.h"
#include "lib/model/verr.h"

#define CHAT_SOURCE "chat_completions"
#define CHAT_HASH_PREFIX "chatcmpl-hash" /* span id prefix when response.id is missing */

/* Validates body as a ChatCompletionsIngestRequest and, when valid, fills *s (span_init'd by
 * the caller) for workspace ws with ingest time now (us). Returns ST_OK, or ST_INVALID with
 * the problems added to v (loc starting at "body"). */
enum status chat_map(struct arena *a, const char *ws, json_t *body, int64_t now, struct span *s,
		     struct verrs *v);

#endif
