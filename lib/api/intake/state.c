/* state: a session's open or closed state, spandex's own member of the Session (docs/api-intake.md,
 * "spandex's extensions"): the label of the newest state judgement of the session (JK_STATE,
 * "active" or "inactive"), which Opik's threads API writes when a thread is opened or closed. */
#include "lib/api/intake/judgements.h"

#include <string.h>

/* The newest so far: by its last change (updated, else created), then by when it was stored. */
struct newest {
	const struct judgement *j;
	int64_t at, ingested;
};

static void pick(void *ctx, size_t which, const struct judgement *j)
{
	(void)which;
	struct newest *n = ctx;
	int64_t at = j->updated_at != JUDGEMENT_NONE ? j->updated_at : j->created_at;
	if (!j->label || (n->j && (at < n->at || (at == n->at && j->ingested_at <= n->ingested))))
		return;
	*n = (struct newest){j, at, j->ingested_at};
}

enum status intake_session_state(struct jquery *q, const char *id, const char **state)
{
	static const struct jfilter f = {.targets = 1u << JT_SESSION, .kinds = 1u << JK_STATE};
	struct newest n = {0};
	const struct jfilter *keep = q->f;
	q->f = &f;
	enum status st = query_judgements_of(q, JT_SESSION, &id, 1, pick, &n);
	q->f = keep;
	*state = st == ST_OK && n.j ? n.j->label : NULL;
	return st;
}
