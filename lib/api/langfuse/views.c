/* views: which judgements Langfuse's scores show (docs/judgements.md, its column), and the view
 * that says so to another surface (MCP's shown_by, handed down by cgi-bin/mcp.c). */
#include "lib/api/langfuse/scores.h"

#include <math.h>

bool langfuse_score_shows(const struct judgement *j)
{
	return !j->deleted && j->name &&
	       (((j->kind == JK_NUMBER || j->kind == JK_BOOLEAN) && !isnan(j->value)) ||
		((j->kind == JK_CATEGORY || j->kind == JK_TEXT) && (j->label || !isnan(j->value))));
}

/* What its record tells: a named number, boolean, category or text. */
const struct judgement_view langfuse_view_score = {
    .what = "Langfuse scores",
    .shows = langfuse_score_shows,
    .kinds = 1u << JK_NUMBER | 1u << JK_BOOLEAN | 1u << JK_CATEGORY | 1u << JK_TEXT,
    .named = true,
};
