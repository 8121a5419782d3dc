/* views: which judgements NeMo Intake's two shapes show (docs/judgements.md, its two columns):
 * annotations and evaluator results, handed down to the judgement queries (jfilter's view). */
#include "lib/api/intake/judgements.h"

bool intake_is_annotation(const struct judgement *j)
{
	return judgement_api_is(j, INTAKE_API) && judgement_is_label(j);
}

/* Its own annotations, and every comment as a note; both shapes require a session_id (a
 * comment on a trace names one once its spans are stored). */
static bool shows_annotation(const struct judgement *j)
{
	return j->session_id && (intake_is_annotation(j) || j->kind == JK_COMMENT);
}

/* A named value on a span, whoever wrote it, but a human label (NeMo's own annotations: only
 * they are written so); the shape requires the span's session_id. */
static bool shows_evaluator(const struct judgement *j)
{
	return judgement_named_value(j) && j->span_id && j->session_id && j->target == JT_SPAN &&
	       !judgement_is_label(j);
}

const struct judgement_view intake_view_annotation = {
    .what = "NeMo Intake annotations (a note)",
    .shows = shows_annotation,
};

/* Its record tells it all but the session's presence as the line has it (a score filter reads
 * the records alone). */
const struct judgement_view intake_view_evaluator = {
    .what = "NeMo Intake evaluator results",
    .shows = shows_evaluator,
    .kinds = JUDGEMENT_VALUE_KINDS,
    .targets = 1u << JT_SPAN,
    .span = true,
    .session = true,
    .named = true,
    .no_label = true,
};
