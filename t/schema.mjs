// schema: the response schemas of the Intake v2 read API, copied by hand from the OpenAPI
// YAML of the seed pages, and a small validator for them (required fields, JSON types with
// integer apart from number, date-time strings, enums, no unknown fields).
//   Span, SpanEvaluationContext, SpanKind, SpanStatus: ../shared/seeds/nemo-intake-v2-get-span.txt
//   SpanGroupsPage, SpanGroup, SpanGroupBy, PaginationData: nemo-intake-v2-list-span-groups.txt
//   TracesPage, Trace, ExperimentContext: nemo-intake-v2-list-traces.txt
//   SpansPage: reference/nemo-intake.md §7.1 ("SpansPage{data:[Span],pagination,sort,filter}",
//     the envelope of TracesPage with Span items); Session: reference §7.3 (no seed page).
//   HTTPValidationError / ValidationError: every seed page; the 400 body
//     ({detail: string}) is the BadRequestError of the List Span Groups page.

const SPAN_KIND = ['LLM', 'CHAIN', 'TOOL', 'RETRIEVER', 'EMBEDDING', 'AGENT', 'RERANKER',
	'EVALUATOR', 'GUARDRAIL', 'UNKNOWN'];
const SPAN_STATUS = ['success', 'error', 'cancelled', 'unknown'];

const str = { type: 'string' };
const int = { type: 'integer' };
const num = { type: 'number' };
const dt = { type: 'string', format: 'date-time' };
const anyObj = { type: 'object', additionalProperties: {} };

const PaginationData = {
	type: 'object',
	properties: { page: int, page_size: int, current_page_size: int, total_pages: int, total_results: int },
	required: ['page', 'page_size', 'current_page_size', 'total_pages', 'total_results'],
};

const SpanEvaluationContext = {
	type: 'object',
	properties: {
		evaluation_id: str, evaluation_sha: str, evaluation_run_id: str, dataset_id: str,
		dataset_name: str, dataset_version: str, test_case_id: str, metadata: anyObj,
	},
	required: [],
};

export const Span = {
	type: 'object',
	properties: {
		span_id: str, session_id: str, workspace: str, project: str,
		evaluation_context: SpanEvaluationContext, parent_span_id: str,
		kind: { type: 'string', enum: SPAN_KIND }, name: str, source: str, trace_id: str,
		started_at: dt, ended_at: dt, status: { type: 'string', enum: SPAN_STATUS },
		error_type: str, error_message: str, provider: str, model: str, prompt_id: str,
		prompt_name: str, prompt_version: str, agent_id: str, agent_name: str, tool_name: str,
		input_tokens: int, output_tokens: int, cached_tokens: int, total_tokens: int,
		usage_details: { type: 'object', additionalProperties: int },
		cost_total_usd: num, cost_input_usd: num, cost_output_usd: num,
		cost_details: { type: 'object', additionalProperties: num },
		input: str, output: str, raw_attributes: str, ingested_at: dt,
	},
	required: ['span_id', 'session_id', 'workspace', 'kind', 'source', 'started_at', 'status', 'ingested_at'],
};

export const SpansPage = {
	type: 'object',
	properties: { data: { type: 'array', items: Span }, pagination: PaginationData, sort: str, filter: anyObj },
	required: ['data'],
};

const SpanGroup = {
	type: 'object',
	properties: { group: { type: 'object', additionalProperties: str }, span_count: int },
	required: ['group', 'span_count'],
};

export const SpanGroupsPage = {
	type: 'object',
	properties: {
		data: { type: 'array', items: SpanGroup },
		pagination: PaginationData,
		sort: str,
		filter: anyObj,
		grouped_by: { type: 'array', items: { type: 'string', enum: ['trace_id', 'session_id'] } },
	},
	required: ['data', 'grouped_by'],
};

const ExperimentContext = {
	type: 'object',
	properties: { experiment_id: str, test_case_id: str },
	required: ['experiment_id'],
};

// spandex's rollup of evaluator results on a Trace and a Session (issue 34): NeMo's
// EvaluationSessionResponse.evaluator_scores, dict[str, float], the mean per evaluator name.
const scores = { type: 'object', additionalProperties: num };

export const Trace = {
	type: 'object',
	properties: {
		id: str, root_span_id: str, session_id: str, workspace: str, name: str,
		experiment_context: ExperimentContext, started_at: dt, ended_at: dt, duration_ms: num,
		status: { type: 'string', enum: SPAN_STATUS },
		input_tokens: int, output_tokens: int, cached_tokens: int, total_tokens: int,
		cost_usd: num, cost_input_usd: num, cost_output_usd: num, span_count: int, error_count: int,
		evaluator_scores: scores,
	},
	required: ['id', 'session_id', 'workspace', 'started_at', 'status'],
};

export const TracesPage = {
	type: 'object',
	properties: { data: { type: 'array', items: Trace }, pagination: PaginationData, sort: str, filter: anyObj },
	required: ['data'],
};

export const Session = {
	type: 'object',
	properties: {
		id: str, workspace: str, started_at: dt, status: { type: 'string', enum: SPAN_STATUS },
		trace_count: int, span_count: int, ended_at: dt, duration_ms: num,
		input_tokens: int, output_tokens: int, cached_tokens: int, total_tokens: int,
		cost_usd: num, cost_input_usd: num, cost_output_usd: num, evaluator_scores: scores,
	},
	required: ['id', 'workspace', 'started_at', 'status', 'trace_count', 'span_count'],
};

// spandex's own GET spans/stats (no seed page: docs/api-intake.md, "spandex's extensions").
const statSums = {
	span_count: int, error_count: int, trace_count: int, input_tokens: int, output_tokens: int,
	cached_tokens: int, total_tokens: int, cost_usd: num, cost_input_usd: num, cost_output_usd: num,
};
export const SpanStats = {
	type: 'object',
	properties: {
		start: dt, end: dt, bucket_seconds: int, ...statSums,
		duration_ms: { type: 'object', properties: { p50: num, p95: num } },
		buckets: { type: 'array', items: { type: 'object', properties: { start: dt, ...statSums }, required: ['start', 'span_count', 'error_count', 'trace_count'] } },
		slowest_traces: { type: 'array', items: Trace },
		costliest_traces: { type: 'array', items: Trace },
		filter: anyObj,
	},
	required: ['start', 'end', 'bucket_seconds', 'span_count', 'error_count', 'trace_count', 'duration_ms', 'buckets', 'slowest_traces', 'costliest_traces'],
};

export const BadRequestError = {
	type: 'object',
	properties: { detail: str },
	required: ['detail'],
};

const ValidationError = {
	type: 'object',
	properties: {
		loc: { type: 'array', items: { type: ['string', 'integer'] } },
		msg: str, type: str, input: {}, ctx: anyObj,
	},
	required: ['loc', 'msg', 'type'],
};

export const HTTPValidationError = {
	type: 'object',
	properties: { detail: { type: 'array', items: ValidationError } },
	required: ['detail'],
};

// RFC 3339 date-time, the format the seeds name; the offset is required.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOf(v) {
	if (v === null) return 'null';
	if (Array.isArray(v)) return 'array';
	if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
	return typeof v;
}

// Type check where "number" admits integers (JSON Schema) but "integer" does not admit 1.5.
function typeOk(want, v) {
	const t = typeOf(v);
	const wants = Array.isArray(want) ? want : [want];
	return wants.some((w) => w === t || (w === 'number' && t === 'integer'));
}

// Problems of value v against schema s, as "path: message" strings (empty when valid).
export function validate(s, v, path = '$') {
	const errs = [];
	if (s.type && !typeOk(s.type, v)) {
		errs.push(`${path}: expected ${s.type}, got ${typeOf(v)} ${JSON.stringify(v)}`);
		return errs;
	}
	if (s.enum && !s.enum.includes(v)) errs.push(`${path}: ${JSON.stringify(v)} is not one of ${s.enum.join(', ')}`);
	if (s.format === 'date-time' && (!DATE_TIME.test(v) || Number.isNaN(Date.parse(v))))
		errs.push(`${path}: ${JSON.stringify(v)} is not a date-time`);
	if (s.type === 'array' && s.items) v.forEach((e, i) => errs.push(...validate(s.items, e, `${path}[${i}]`)));
	if (s.type === 'object') {
		for (const k of s.required || []) if (!(k in v)) errs.push(`${path}: missing required ${k}`);
		for (const [k, x] of Object.entries(v)) {
			if (s.properties && k in s.properties) errs.push(...validate(s.properties[k], x, `${path}.${k}`));
			else if (s.additionalProperties) errs.push(...validate(s.additionalProperties, x, `${path}.${k}`));
			else if (s.properties) errs.push(`${path}: unknown field ${k}`);
		}
	}
	return errs;
}

// Scale GP v5 (../shared/seeds/scale-egp-v5-spans-search.txt): Span, PaginatedList_Span_,
// ApplicationOperationStatus and ApplicationOperationType, Identity. input_tokens and
// output_tokens are the newest versions' additions (reference otel-egp.md §4.4).
const SGP_STATUS = ['SUCCESS', 'ERROR', 'CANCELED'];
const SGP_TYPE = ['TEXT_INPUT', 'TEXT_OUTPUT', 'COMPLETION_INPUT', 'COMPLETION', 'KB_RETRIEVAL',
	'KB_INPUT', 'RERANKING', 'EXTERNAL_ENDPOINT', 'PROMPT_ENGINEERING', 'DOCUMENT_INPUT',
	'MAP_REDUCE', 'DOCUMENT_SEARCH', 'DOCUMENT_PROMPT', 'CUSTOM', 'CODE_EXECUTION',
	'DATA_MANIPULATION', 'EVALUATION', 'FILE_RETRIEVAL', 'KB_ADD_CHUNK', 'KB_MANAGEMENT',
	'GUARDRAIL', 'OUTPUT_GUARDRAIL', 'TRACER', 'AGENT_TRACER', 'AGENT_WORKFLOW', 'STANDALONE'];
const Identity = {
	type: 'object',
	properties: { id: str, object: { type: 'string', enum: ['identity'] }, type: { type: 'string', enum: ['user', 'service_account'] } },
	required: ['id', 'type'],
};
export const SgpSpan = {
	type: 'object',
	properties: {
		id: str, object: { type: 'string', enum: ['span'] }, created_by: Identity, name: str, trace_id: str,
		parent_id: str, group_id: str, start_timestamp: dt, end_timestamp: dt, input: anyObj,
		output: anyObj, metadata: anyObj, expected: anyObj,
		status: { type: 'string', enum: SGP_STATUS }, type: { type: 'string', enum: SGP_TYPE },
		application_interaction_id: str, application_variant_id: str, account_id: str,
		input_tokens: int, output_tokens: int,
	},
	required: ['id', 'name', 'trace_id', 'start_timestamp', 'account_id'],
};
export const PaginatedListSpan = {
	type: 'object',
	properties: { object: { type: 'string', enum: ['list'] }, items: { type: 'array', items: SgpSpan }, limit: int, total: int, has_more: { type: 'boolean' } },
	required: ['items', 'total', 'has_more'],
};

// Scale GP span assessments (reference judgement.md 3.3; the SDK's types/span_assessment.py):
// SpanAssessment, the list's {items}, and SpanAssessmentDeleteResponse.
const ASSESSMENT_TYPE = ['comment', 'rating', 'approval', 'rubric', 'metadata', 'overwrite'];
export const SpanAssessment = {
	type: 'object',
	properties: {
		assessment_id: str, assessment_type: { type: 'string', enum: ASSESSMENT_TYPE }, created_by: str,
		span_id: str, trace_id: str, account_id: str, approval: { type: 'string', enum: ['approved', 'rejected'] },
		comment: str, created_at: dt, metadata: anyObj, object: { type: 'string', enum: ['span.assessment'] },
		overwrite: anyObj, rating: int, rubric: { type: 'object', additionalProperties: str }, updated_at: dt,
	},
	required: ['assessment_id', 'assessment_type', 'created_by', 'span_id', 'trace_id'],
};
export const SpanAssessmentList = {
	type: 'object',
	properties: { items: { type: 'array', items: SpanAssessment } },
	required: ['items'],
};
export const SpanAssessmentDeleteResponse = {
	type: 'object',
	properties: { id: str, deleted: { type: 'boolean' }, object: { type: 'string', enum: ['span.assessment'] } },
	required: ['id', 'deleted'],
};
