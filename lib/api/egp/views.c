/* views: which judgements Scale GP's span assessments show (docs/judgements.md, its column),
 * handed down to the judgement queries (jfilter's view). */
#include "lib/api/egp/assess_map.h"

/* Its own, every comment, and another API's named value on a span (as metadata); the shape
 * requires a span and its trace. */
static bool shows_assessment(const struct judgement *j)
{
	return j->span_id && j->trace_id &&
	       (judgement_api_is(j, EGP_API) || j->kind == JK_COMMENT ||
		(judgement_named_value(j) && j->target == JT_SPAN));
}

const struct judgement_view egp_view_assessment = {
    .what = "Scale GP span assessments",
    .shows = shows_assessment,
};
