/* mcp: the Model Context Protocol server of lib/api/mcp (mcp_surface), at /mcp, naming where a
 * score or comment shows by the views the other surfaces hand down (mcp_views). */
#include "lib/api/egp/assess_map.h"
#include "lib/api/intake/judgements.h"
#include "lib/api/langfuse/scores.h"
#include "lib/api/mcp/surface.h"
#include "lib/api/opik/judgements/judged.h"

/* docs/judgements.md's columns, in its order. */
static const struct judgement_view *const views[] = {
    &intake_view_annotation,
    &intake_view_evaluator,
    &opik_view_score,
    &opik_view_comment,
    &egp_view_assessment,
    &langfuse_view_score,
    NULL,
};

int main(int argc, char **argv)
{
	mcp_views = views;
	return http_main(&mcp_surface, argc, argv);
}
