/* views: which judgements Opik's feedback scores and comments show (docs/judgements.md, its two
 * columns), handed down to the judgement queries (jfilter's view). */
#include "lib/api/opik/judgements/judged.h"

#include <math.h>

/* Opik scores are numbers: a named judgement with one. */
static bool shows_score(const struct judgement *j)
{
	return j->name && !isnan(j->value) && j->kind != JK_TEXT && j->kind != JK_STATE;
}

static bool shows_comment(const struct judgement *j)
{
	return j->kind == JK_COMMENT;
}

const struct judgement_view opik_view_score = {
    .what = "Opik feedback scores",
    .shows = shows_score,
};

const struct judgement_view opik_view_comment = {
    .what = "Opik comments",
    .shows = shows_comment,
};
