// api: the viewer's only way to the server, the public NeMo Intake v2 API of this origin
// (reference nemo-intake.md sections 2, 3 and 7; judgement.md section 1 for annotations and
// evaluator results, the only things it writes), and two reads of the Opik API spandex serves
// beside it (a trace's and a thread's own scores and comments, which NeMo's shapes cannot
// carry). Every failure becomes an ApiError whose message is the API's own `detail` (Opik's
// `message`); a 401 asks for a key once (kept in localStorage) and retries, for a write as for
// a read.

export const PREFIX = '/apis/intake/v2/workspaces/';
// Opik's REST API (docs/api-opik.md): the workspace in Comet-Workspace, the same key sent
// raw in Authorization, as Opik's clients send it.
export const OPIK_PREFIX = '/api/v1/private/';
const KEY_STORE = 'spandex.key';

export class ApiError extends Error {
	constructor(status, detail, url, method = 'GET', body = null) {
		super(detail);
		this.name = 'ApiError';
		this.status = status;
		this.detail = detail;
		this.url = url;
		this.method = method;
		this.body = body;
	}
}

// The `detail` of an error body: a string ({"detail": "..."}), or FastAPI's 422 list of
// {loc, msg}, or Opik's {"code", "message"}; anything else is described by its status.
export function detailOf(body, status, statusText) {
	if (body && typeof body.detail === 'string') return body.detail;
	if (body && typeof body.message === 'string') return body.message;
	if (body && Array.isArray(body.detail)) {
		return body.detail.map((d) => {
			const loc = Array.isArray(d?.loc) ? d.loc.join('.') : '';
			return loc ? `${loc}: ${d?.msg ?? ''}` : String(d?.msg ?? '');
		}).join('; ');
	}
	return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
}

// One key per workspace (KEYS_STORE: {workspace: key}), so that switching between
// workspaces whose keys differ does not end in a 403; KEY_STORE holds the last key given, which
// a workspace without a key of its own is asked with (SPANDEX_TOKEN, or a key of every
// workspace, serves them all). The workspace shown is the one the prompt's key is kept for.
const KEYS_STORE = 'spandex.keys';
let shownWs = null;
export function setWorkspace(ws) {
	shownWs = ws;
}

function storedKeys() {
	try {
		const v = JSON.parse(localStorage.getItem(KEYS_STORE) || '{}');
		return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
	} catch {
		return {};
	}
}

// Whether workspace ws has a key of its own in this browser.
const ownKey = (ws) => typeof storedKeys()[ws] === 'string' || typeof memoryKeys[ws] === 'string';

// The key a request of workspace ws is sent with: its own, else the last one given.
export function getKey(ws = shownWs) {
	const own = ws ? storedKeys()[ws] ?? memoryKeys[ws] : undefined;
	if (typeof own === 'string') return own;
	try {
		return localStorage.getItem(KEY_STORE) || memoryKey;
	} catch {
		return memoryKey;
	}
}

// Keeps key for workspace ws (the one shown), and as the last key given; '' forgets ws's.
export function setKey(key, ws = shownWs) {
	const keys = storedKeys();
	if (key && ws) keys[ws] = key;
	else if (ws) delete keys[ws];
	try {
		if (key) localStorage.setItem(KEY_STORE, key);
		else localStorage.removeItem(KEY_STORE);
		localStorage.setItem(KEYS_STORE, JSON.stringify(keys));
	} catch {
		// storage refused (private mode): the keys live until the page closes
	}
	if (ws) {
		if (key) memoryKeys[ws] = key;
		else delete memoryKeys[ws];
	}
	memoryKey = key || '';
	for (const fn of keyListeners) fn(!!key);
}

let memoryKey = '';
const memoryKeys = {};
const keyListeners = new Set();
export const onKeyChange = (fn) => keyListeners.add(fn);

// The app installs the prompt: async (reason) => key or null (cancelled).
let prompt = null;
export function setKeyPrompt(fn) {
	prompt = fn;
}

// One prompt at a time: requests that meet a 401 meanwhile wait for the same answer.
let asking = null;
function askKey(reason, ws) {
	if (!asking) {
		asking = Promise.resolve(prompt ? prompt(reason, ws) : null).finally(() => {
			asking = null;
		});
	}
	return asking;
}

export function url(path, params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v === undefined || v === null || v === '') continue;
		q.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
	}
	const qs = q.toString();
	return PREFIX + path + (qs ? `?${qs}` : '');
}

// method PREFIX+path with params (objects are sent as JSON, the API's `filter=` form) and a
// JSON body (none: undefined); with opik (a workspace) OPIK_PREFIX+path of Opik's API instead.
// Resolves to the parsed body (null for a write answered with none: 204); rejects with
// ApiError, or an AbortError when signal aborts. A 401 asks for the key and sends the request
// again: the API refused it before doing anything; a GET refused 429 (the slots of expensive
// queries) is sent again after its Retry-After. With blob, a success resolves to the body's
// bytes (a Blob) instead, cached as the server says (a media file's are immutable).
async function send(method, path, { params, body: payload, signal, opik, blob, quiet = false } = {}) {
	const target = opik === undefined ? url(path, params) : OPIK_PREFIX + path;
	// The request's workspace: its key is that workspace's.
	const ws = opik ?? (path.includes('/') ? decodeURIComponent(path.slice(0, path.indexOf('/'))) : null);
	for (let attempt = 0; ; attempt++) {
		const key = getKey(ws);
		const headers = { Accept: blob ? '*/*' : 'application/json' };
		if (key) headers.Authorization = opik === undefined ? `Bearer ${key}` : key;
		if (opik !== undefined) headers['Comet-Workspace'] = opik;
		if (payload !== undefined) headers['Content-Type'] = 'application/json';
		let res;
		try {
			res = await fetch(target, {
				method, headers, signal, cache: blob ? 'default' : 'no-store', credentials: 'same-origin',
				body: payload === undefined ? undefined : JSON.stringify(payload),
			});
		} catch (e) {
			if (e?.name === 'AbortError') throw e;
			throw new ApiError(0, `The API could not be reached (${e?.message || 'network error'}). Is spandex running?`, target, method);
		}
		if (blob && res.ok) return res.blob();
		const text = await res.text();
		let body = null;
		try {
			body = text ? JSON.parse(text) : null;
		} catch {
			body = null;
		}
		if (res.status === 401 && attempt < 5 && prompt && !quiet) {
			// Another request may have stored a new key while this one was on the wire.
			if (getKey(ws) !== key) continue;
			const reason = key ? 'The API did not accept this key.' : null;
			const fresh = await askKey(reason, ws);
			if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
			if (fresh) continue;
		}
		// A read refused with a key that is not this workspace's own (another workspace's, kept
		// as the last one given): this workspace's key is asked for, and kept for it.
		if (res.status === 403 && method === 'GET' && key && ws && !ownKey(ws) && attempt < 5 && prompt && !quiet) {
			const fresh = await askKey(`This key may not read workspace ${ws}: give a key of ${ws}.`, ws);
			if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
			if (fresh) continue;
		}
		// An expensive query refused while others hold the program's slots (429, issue 30):
		// sent again after Retry-After, a few times, as a reader would.
		if (res.status === 429 && method === 'GET' && attempt < 5) {
			const wait = Math.min(10, Number(res.headers.get('Retry-After')) || 1) * 1000;
			await new Promise((resolve) => setTimeout(resolve, wait));
			if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
			continue;
		}
		if (!res.ok) throw new ApiError(res.status, detailOf(body, res.status, res.statusText), target, method, body);
		if (method !== 'GET' && !text) return null;
		if (body === null || typeof body !== 'object') {
			throw new ApiError(res.status, `The API answered ${res.status} with a body that is not JSON.`, target, method);
		}
		return body;
	}
}

// GET PREFIX+path with params: the parsed body (send, above).
export const get = (path, params, { signal, quiet } = {}) => send('GET', path, { params, signal, quiet });
// POST PREFIX+path with body as JSON: the parsed answer (send, above).
export const post = (path, body, { signal } = {}) => send('POST', path, { body, signal });
// DELETE PREFIX+path: null (204), or the answer's body.
export const del = (path, { signal } = {}) => send('DELETE', path, { signal });

// Saves GET PREFIX+path with params (an export route: spandex's own, GET spans/export and
// traces/export) as the file name: the answer streamed into a file the user picks where the
// browser can (the File System Access API: Chromium), else into a Blob the browser downloads
// (Chromium keeps a large one on disk, not in memory). The key, a 401 and a 429 as send's.
// Resolves to true once saved, false when the user cancelled the file picker; rejects with
// ApiError.
export async function download(path, params, name, { signal } = {}) {
	let sink = null;
	if (typeof window.showSaveFilePicker === 'function') {
		try {
			// Asked first: the click that started this is what lets the page ask.
			const file = await window.showSaveFilePicker({ suggestedName: name });
			sink = await file.createWritable();
		} catch (e) {
			if (e?.name === 'AbortError') return false;
			sink = null; // not allowed here: the Blob instead
		}
	}
	const target = url(path, params);
	const ws = decodeURIComponent(path.slice(0, path.indexOf('/')));
	try {
		for (let attempt = 0; ; attempt++) {
			const key = getKey(ws);
			const headers = key ? { Authorization: `Bearer ${key}` } : {};
			let res;
			try {
				res = await fetch(target, { headers, signal, cache: 'no-store', credentials: 'same-origin' });
			} catch (e) {
				if (e?.name === 'AbortError') throw e;
				throw new ApiError(0, `The API could not be reached (${e?.message || 'network error'}). Is spandex running?`, target);
			}
			if (res.status === 401 && attempt < 5 && prompt) {
				if (getKey(ws) !== key) continue;
				if (await askKey(key ? 'The API did not accept this key.' : null, ws)) continue;
			}
			if (res.status === 429 && attempt < 5) {
				await new Promise((resolve) => setTimeout(resolve, Math.min(10, Number(res.headers.get('Retry-After')) || 1) * 1000));
				continue;
			}
			if (!res.ok) {
				const text = await res.text();
				let body = null;
				try {
					body = JSON.parse(text);
				} catch {
					body = null;
				}
				throw new ApiError(res.status, detailOf(body, res.status, res.statusText), target, 'GET', body);
			}
			if (sink) {
				await res.body.pipeTo(sink, { signal }); // closes the file once written
				sink = null;
				return true;
			}
			const blob = await res.blob();
			const a = document.createElement('a');
			a.href = URL.createObjectURL(blob);
			a.download = name;
			document.body.append(a);
			a.click();
			a.remove();
			setTimeout(() => URL.revokeObjectURL(a.href), 60000);
			return true;
		}
	} finally {
		await sink?.abort().catch(() => {});
	}
}

const enc = encodeURIComponent;

export const api = {
	traces: (ws, params, o) => get(`${enc(ws)}/traces`, params, o),
	trace: (ws, id, o) => get(`${enc(ws)}/traces/${enc(id)}`, { mode: 'detailed' }, o),
	// The workspaces the key may read (spandex's GET /apis/intake/v2/workspaces; every one with
	// authentication off): their names, or null where the server has no such list (the NeMo
	// service: a 404 or 405), or where it refuses the key.
	workspaces: async ({ signal } = {}) => {
		const key = getKey();
		try {
			const res = await fetch(PREFIX.replace(/\/$/, ''), { headers: key ? { Authorization: `Bearer ${key}` } : {}, signal, cache: 'no-store', credentials: 'same-origin' });
			const body = res.ok ? await res.json() : null;
			return Array.isArray(body?.data) ? body.data.map((w) => w?.name).filter((n) => typeof n === 'string') : null;
		} catch (e) {
			if (e?.name === 'AbortError') throw e;
			return null;
		}
	},
	spans: (ws, params, o) => get(`${enc(ws)}/spans`, params, o),
	span: (ws, id, o) => get(`${enc(ws)}/spans/${enc(id)}`, null, o),
	// A media file ingest moved out of a span (docs/media.md): its bytes, a Blob.
	media: (ws, sha256, { signal } = {}) => send('GET', `${enc(ws)}/media/${enc(sha256)}`, { signal, blob: true }),
	session: (ws, id, o) => get(`${enc(ws)}/sessions/${enc(id)}`, null, o),
	groups: (ws, params, o) => get(`${enc(ws)}/spans/groups`, params, o),
	// spandex's own activity stats (docs/api-intake.md, "spandex's extensions"); other servers answer 4xx.
	stats: (ws, params, o) => get(`${enc(ws)}/spans/stats`, params, o),
	// spandex's own exports (what a list shows, every page, streamed) saved as a file.
	exportSpans: (ws, params, name, o) => download(`${enc(ws)}/spans/export`, params, name, o),
	exportTraces: (ws, params, name, o) => download(`${enc(ws)}/traces/export`, params, name, o),
	// Judgements (judgement.md section 1): a span's evaluator results (a plain array), the
	// annotations of a span or a session, and the annotations a person writes.
	spanResults: (ws, id, o) => get(`${enc(ws)}/spans/${enc(id)}/evaluator-results`, null, o),
	evaluatorResults: (ws, params, o) => get(`${enc(ws)}/evaluator-results`, params, o),
	annotations: (ws, params, o) => get(`${enc(ws)}/annotations`, params, o),
	annotate: (ws, body, o) => post(`${enc(ws)}/annotations`, body, o),
	unannotate: (ws, id, o) => del(`${enc(ws)}/annotations/${enc(id)}`, o),
	// Opik's reads (opikRead, below): a trace with its feedback_scores and comments, and a
	// thread (a session within one project) with its own.
	opikTrace: (ws, id, o) => opikRead('GET', ws, `traces/${enc(id)}`, undefined, o),
	opikThread: (ws, project, id, o) => opikRead('POST', ws, 'traces/threads/retrieve', { project_name: project, thread_id: id }, o),
	// A person's score of a whole trace: Opik's trace feedback score (source "ui", its author
	// the key), one of the trace's evaluator_scores in the list and its header.
	scoreTrace: (ws, id, score, { signal } = {}) => send('PUT', `traces/${enc(id)}/feedback-scores`, { body: { ...score, source: 'ui' }, signal, opik: ws }),
};

// A read of Opik's API: its answer, or null where this origin serves none (the NeMo service).
// That is known by an answer that is not in Opik's error shape (a 404 or 405 without its
// {code, message}), and kept for an hour in localStorage, as search's probe is, so such a
// server is asked rarely. Any other failure rejects as send's.
const OPIK_STORE = 'spandex.opik';
async function opikRead(method, ws, path, body, { signal } = {}) {
	if (keptProbe(OPIK_STORE) === false) return null;
	try {
		return await send(method, path, { body, signal, opik: ws });
	} catch (e) {
		if (!(e instanceof ApiError && [404, 405].includes(e.status) && typeof e.body?.code !== 'number')) throw e;
		keepProbe(OPIK_STORE, false);
		return null;
	}
}

// A probe's answer (whether the server has a feature: Opik's API, search's `search=`), kept
// in localStorage for an hour, so a server without it is asked rarely: the answer, or
// undefined when none is kept (or there is no storage: ask every time).
const PROBE_TTL_MS = 3600e3;
function keptProbe(key) {
	try {
		const known = JSON.parse(localStorage.getItem(key) || 'null');
		if (known && typeof known.ok === 'boolean' && Date.now() - known.at < PROBE_TTL_MS) return known.ok;
	} catch {
		// no storage
	}
	return undefined;
}
function keepProbe(key, ok) {
	try {
		localStorage.setItem(key, JSON.stringify({ ok, at: Date.now() }));
	} catch {
		// not kept
	}
}

// Whether GET traces takes `search=` (free text): spandex does; a server that does not (the
// NeMo service, an older spandex) answers 400 "Unsupported query parameter(s): search" and
// the box stays hidden. The answer is kept for an hour in localStorage, so the probe runs
// rarely.
const SEARCH_STORE = 'spandex.search';
export async function searchSupported(ws, { signal } = {}) {
	const known = keptProbe(SEARCH_STORE);
	if (known !== undefined) return known;
	let ok;
	try {
		await get(`${enc(ws)}/traces`, { page_size: 1, mode: 'summary', search: 'spandex' }, { signal });
		ok = true;
	} catch (e) {
		if (e?.name === 'AbortError') throw e;
		if (e instanceof ApiError && e.status === 400 && /search/.test(e.detail)) ok = false;
		else return false; // another failure (auth, workspace): decide later
	}
	keepProbe(SEARCH_STORE, ok);
	return ok;
}

// The model shown for a trace in tables: the trace's own `models` when the API rolls them up
// (NeMo Helix does), else the root span's model or the first LLM span's, read from the
// spans of that trace (one small request, two at most). Cached for the page's lifetime.
const modelCache = new Map();
// The model when already known (so a live reload draws it at once), else undefined.
export function knownModel(ws, trace) {
	if (Array.isArray(trace.models) && trace.models.length) return trace.models.join(', ');
	return modelCache.get(`${ws}\u0000${trace.id}`);
}
export async function traceModel(ws, trace, { signal } = {}) {
	if (Array.isArray(trace.models) && trace.models.length) return trace.models.join(', ');
	const ck = `${ws}\u0000${trace.id}`;
	if (modelCache.has(ck)) return modelCache.get(ck);
	const first = await api.spans(ws, { filter: { trace_id: trace.id }, sort: 'started_at', page_size: 5, mode: 'summary' }, { signal });
	const spans = first.data || [];
	const root = spans.find((s) => s.span_id === trace.root_span_id);
	let model = root?.model || spans.find((s) => s.kind === 'LLM' && s.model)?.model || '';
	if (!model && (first.pagination?.total_results ?? 0) > spans.length) {
		const llm = await api.spans(ws, { filter: { trace_id: trace.id, kind: 'LLM' }, sort: 'started_at', page_size: 1, mode: 'summary' }, { signal });
		model = llm.data?.[0]?.model || '';
	}
	if (!model) model = spans.find((s) => s.model)?.model || '';
	modelCache.set(ck, model);
	return model;
}
