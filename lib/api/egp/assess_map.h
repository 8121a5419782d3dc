/* assess_map: Scale GP's span assessments (reference judgement.md section 3) over the one judgement
 * record (lib/model/judgement.h): the checks of a create and a PATCH body with FastAPI's errors,
 * the type rule, the SpanAssessment shape of every judgement the API shows (its own, another
 * API's comments, another API's named values on a span as metadata), and the narrowing of a
 * judgement query to the types asked for. How each type is stored:
 *   comment    a comment (text)
 *   rating     a number named EGP_RATING_NAME (every API that shows named values shows it)
 *   approval   a boolean, label "approved" (1) or "rejected" (0), no name
 *   rubric, metadata, overwrite   an object (payload)
 * with subtype the type, and a comment beside any type as the text. What these allocate lives
 * in the caller's arena. */
#ifndef SPANDEX_API_EGP_ASSESS_MAP_H
#define SPANDEX_API_EGP_ASSESS_MAP_H

#include <stdbool.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/model/judgement.h"
#include "lib/model/verr.h"
#include "lib/query/judgements.h"

/* AssessmentType, in the SDK's order. */
enum egp_assess_type {
	ASSESS_COMMENT,
	ASSESS_RATING,
	ASSESS_APPROVAL,
	ASSESS_RUBRIC,
	ASSESS_METADATA,
	ASSESS_OVERWRITE,
	ASSESS__COUNT
};
extern const char *const egp_assess_types[ASSESS__COUNT + 1];

#define EGP_RATING_NAME "rating" /* the name a rating is stored under */
/* This surface's name in a judgement's "api" (judgement_api_valid; "sgp" as it always was). */
#define EGP_API "sgp"
/* Its view (views.c): span assessments (its own, every comment, another API's named value on
 * a span). */
extern const struct judgement_view egp_view_assessment;
#define EGP_NOBODY "anonymous" /* created_by of what nobody wrote (keys off) */
/* A list answers at most this many assessments of a span or trace (the oldest): SGP's list
 * has no pages (judgement.md 3.4), so this bounds one reply. */
#define EGP_MAX_ASSESSMENTS 10000

/* The type j reads as: its own, comment for another API's comment, metadata for another API's
 * named value; -1 when &egp_view_assessment does not show j. */
int egp_assess_type_of(const struct judgement *j);

/* What Scale GP may do with a judgement it shows: change its own as SGP does, edit and delete
 * another API's comment (as Opik and NeMo do), never change another API's named value. */
enum egp_assess_owner { ASSESS_OWN, ASSESS_FOREIGN_COMMENT, ASSESS_READ_ONLY };
enum egp_assess_owner egp_assess_owner(const struct judgement *j);

/* Checks each member of a body at ["body", name]: a create's (assessment_type and trace_id
 * required, span_id an id) or a PATCH's (every member optional, null clears it; span_id and
 * trace_id are no members of an update and are ignored). Types, ranges and limits only; the
 * type rule is egp_assess_fits. */
void egp_assess_check(struct verrs *v, json_t *body, bool create);

/* The content members of j as SGP shows them: {"assessment_type", <its field>, "comment"}, a
 * new object (in the arena while the request's JSON is). */
json_t *egp_assess_content(const struct judgement *j);
/* body's content members over content (a PATCH's merge, or a create's from {}): a member given
 * replaces the one there, null removes it; other members of body are not content. */
void egp_assess_merge(json_t *content, json_t *body);
/* The type rule (judgement.md 3.2): the field of assessment_type present, no other but
 * comment. False with pydantic's value_error at ["body"] (input: the body) otherwise. */
bool egp_assess_fits(struct verrs *v, json_t *content, json_t *body);
/* Sets j's value, kind, name, label, text, payload and subtype from a content that fits. */
void egp_assess_apply(struct arena *a, json_t *content, struct judgement *j);

/* Appends j (any judgement &egp_view_assessment shows) as a SpanAssessment of account. */
void egp_assess_render(struct buf *out, const struct judgement *j, const char *account);

/* Narrows f (a view's filter) to the judgements that may read as one of types (bits of enum
 * egp_assess_type): what the index can tell (kinds, and for one type only SGP writes, its API
 * and subtype); egp_assess_type_of decides. */
void egp_assess_narrow(struct jfilter *f, unsigned types);

#endif
