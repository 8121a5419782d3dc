/* judgement: the one record behind every API's scores, annotations, comments and thread
 * states, its canonical line, and what the views each API hands down ask of it. */
#include "lib/model/judgement.h"

#include <math.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/json/jsonw.h"
#include "lib/model/line.h"

const char *const judgement_kind_names[JK__COUNT + 1] = {
    "number", "category", "boolean", "text", "comment", "object", "state", NULL,
};
const char *const judgement_source_names[JS__COUNT + 1] = {
    "human", "api", "evaluator", "sdk", "online", NULL,
};
const char *const judgement_target_names[JT__COUNT + 1] = {"span", "trace", "session", NULL};

void judgement_init(struct judgement *j)
{
	memset(j, 0, sizeof(*j));
	j->value = NAN;
	j->created_at = j->updated_at = j->ingested_at = JUDGEMENT_NONE;
}

void judgement_clear(struct judgement *j)
{
	json_decref(j->payload);
	j->payload = NULL;
}

void judgement_copy(struct judgement *dst, const struct judgement *src)
{
	*dst = *src;
	dst->payload = json_deep_copy(src->payload);
}

const char *judgement_target_id(const struct judgement *j)
{
	return j->target == JT_SPAN    ? j->span_id
	       : j->target == JT_TRACE ? j->trace_id
				       : j->session_id;
}

const char *judgement_api_name(const struct judgement *j)
{
	return judgement_api_valid(j->api) ? j->api : "other";
}

bool judgement_api_is(const struct judgement *j, const char *api)
{
	return !strcmp(judgement_api_name(j), api);
}

bool judgement_api_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || n > JUDGEMENT_MAX_API || s[0] < 'a' || s[0] > 'z' ||
	    s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-")])
		return false;
	return true;
}

int judgement_kind_parse(const char *s)
{
	return line_lookup(judgement_kind_names, JK__COUNT, s);
}

int judgement_source_parse(const char *s)
{
	return line_lookup(judgement_source_names, JS__COUNT, s);
}

int judgement_target_parse(const char *s)
{
	return line_lookup(judgement_target_names, JT__COUNT, s);
}

void judgement_render(const struct judgement *j, struct buf *out)
{
	/* "id" first: the store reads a version's id off the start of its line
	 * (rec_line_has_id). */
	buf_adds(out, "{\"id\":");
	jsonw_string(out, j->id, strlen(j->id));
	line_str(out, "workspace", j->workspace);
	line_str(out, "target", judgement_target_names[j->target]);
	line_str(out, "span_id", j->span_id);
	line_str(out, "trace_id", j->trace_id);
	line_str(out, "session_id", j->session_id);
	line_str(out, "project", j->project);
	line_str(out, "name", j->name);
	line_str(out, "kind", judgement_kind_names[j->kind]);
	line_num(out, "value", j->value);
	line_str(out, "label", j->label);
	line_str(out, "text", j->text);
	line_obj(out, "payload", j->payload, false);
	line_str(out, "source", judgement_source_names[j->source]);
	line_str(out, "api", judgement_api_name(j));
	line_str(out, "subtype", j->subtype);
	line_str(out, "author", j->author);
	line_str(out, "error", j->error);
	line_time(out, "created_at", j->created_at);
	line_time(out, "updated_at", j->updated_at);
	if (j->deleted) {
		line_key(out, "deleted");
		buf_adds(out, "true");
	}
	line_time(out, "ingested_at", j->ingested_at);
	buf_addc(out, '}');
}

/* The members a canonical line may have: any other one makes it no judgement. */
static const char *const members[] = {
    "id",	  "workspace",	"target",  "span_id",	  "trace_id", "session_id",
    "project",	  "name",	"kind",	   "value",	  "label",    "text",
    "payload",	  "source",	"api",	   "subtype",	  "author",   "error",
    "created_at", "updated_at", "deleted", "ingested_at",
};

bool judgement_parse(const char *line, size_t len, struct judgement *j, json_t **root)
{
	judgement_init(j);
	*root = line_parse(line, len);
	json_t *o = *root, *v;
	const char *k;
	if (!json_is_object(o))
		goto bad;
	json_object_foreach(o, k, v)
	{
		if (line_lookup(members, (int)(sizeof members / sizeof *members), k) < 0)
			goto bad;
	}
	j->id = line_get_str(o, "id");
	j->workspace = line_get_str(o, "workspace");
	int target = judgement_target_parse(line_get_str(o, "target"));
	int kind = judgement_kind_parse(line_get_str(o, "kind"));
	int source = judgement_source_parse(line_get_str(o, "source"));
	j->api = line_get_str(o, "api");
	if (!j->id || !*j->id || target < 0 || kind < 0 || source < 0 ||
	    !judgement_api_valid(j->api))
		goto bad;
	j->target = target;
	j->kind = kind;
	j->source = source;
	j->span_id = line_get_str(o, "span_id");
	j->trace_id = line_get_str(o, "trace_id");
	j->session_id = line_get_str(o, "session_id");
	j->project = line_get_str(o, "project");
	j->name = line_get_str(o, "name");
	j->value = line_get_num(o, "value");
	j->label = line_get_str(o, "label");
	j->text = line_get_str(o, "text");
	j->payload = line_get_obj(o, "payload");
	j->subtype = line_get_str(o, "subtype");
	j->author = line_get_str(o, "author");
	j->error = line_get_str(o, "error");
	j->deleted = json_is_true(json_object_get(o, "deleted"));
	if (!line_get_time(o, "created_at", &j->created_at) || j->created_at == JUDGEMENT_NONE ||
	    !line_get_time(o, "updated_at", &j->updated_at) ||
	    !line_get_time(o, "ingested_at", &j->ingested_at) || j->ingested_at == JUDGEMENT_NONE)
		goto bad;
	return true;
bad:
	judgement_clear(j);
	json_decref(*root);
	*root = NULL;
	return false;
}

const char *judgement_key_id(struct arena *a, const char *prefix, const char *const *parts,
			     size_t n)
{
	const char *p[8];
	char hex[33];
	if (n > 8)
		n = 8;
	for (size_t i = 0; i < n; i++)
		p[i] = parts[i] ? parts[i] : "";
	/* The prefix as given, its dash included ("eval-"): hash_stable_id would add one. */
	hash_stable_hex(p, n, hex);
	return arena_printf(a, "%s%s", prefix ? prefix : "", hex);
}

/* ---- what a view asks ---- */

bool judgement_is_label(const struct judgement *j)
{
	return j->subtype &&
	       !strncmp(j->subtype, JUDGEMENT_LABEL_PREFIX, strlen(JUDGEMENT_LABEL_PREFIX));
}

bool judgement_named_value(const struct judgement *j)
{
	return j->name && (JUDGEMENT_VALUE_KINDS >> j->kind & 1);
}

bool judgement_shows(const struct judgement *j, const struct judgement_view *v)
{
	return !j->deleted && v->shows(j);
}

/* The mean of judgement values (judgement.h). */
void judgement_mean_add(struct judgement_mean *m, double v)
{
	m->sum += v;
	m->scaled += ldexp(v, -64);
	m->n++;
}

double judgement_mean_of(const struct judgement_mean *m)
{
	if (!m->n)
		return NAN;
	if (isfinite(m->sum))
		return m->sum / (double)m->n;
	return ldexp(m->scaled / (double)m->n, 64);
}
