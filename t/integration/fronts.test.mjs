// The same matrix through the three front ends of docs/operations.md: nginx (the harness),
// Apache with mod_proxy_fcgi and Apache with plain CGI (issue 31). Every route of the three
// APIs (NeMo, Opik, Scale GP) and the OTLP paths (the standard one, Langfuse's, Opik's), each
// route with the keys its role allows and refuses (none, read, write, another workspace's) in
// its API's own header, a chunked body to each API's write read back, the front end's own
// errors in the shape of the program that answers the path (a body over its limit, a program
// that is not there; Langfuse's public API and the MCP server's JSON-RPC too), and refusals decided before the body is read answered cleanly at every
// body size, many times over.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startServer, spandexCli, request, makeSpan, dayTime, WAIT_MS, WS_PREFIX, unknownPaths, isShaped404 } from '../harness.mjs';
import { startApache } from '../apache.mjs';

const servers = [];
after(async () => {
	for (const s of servers) await s.stop();
});

// Small enough that the early-refusal sizes below pass it (413 from the program itself).
const MAX_BODY = 65536;
const ENV = { SPANDEX_SYNC: '0', SPANDEX_MAX_BODY: String(MAX_BODY) };
const WS = 'mx';

async function keysFor(dataDir) {
	const keys = {};
	for (const [name, ws, role] of [['read', WS, 'read'], ['write', WS, 'write'], ['admin', WS, 'admin'],
		['other', 'elsewhere', 'admin']]) {
		const r = await spandexCli(['key', 'create', dataDir, '--workspace', ws, '--role', role, '--name', name]);
		assert.equal(r.code, 0, r.stderr);
		keys[name] = r.stdout.trim();
	}
	return keys;
}

// A span of OTLP/JSON named id, with a span id made from it (16 hex digits).
const spanHex = (id) => crypto.createHash('sha256').update(id).digest('hex').slice(0, 16);
const otlpBody = (id) => ({ resourceSpans: [{ scopeSpans: [{ spans: [{
	traceId: '0af7651916cd43dd8448eb211c80319c', spanId: spanHex(id), name: id,
	startTimeUnixNano: String(Date.parse(dayTime()) * 1e6), endTimeUnixNano: String(Date.parse(dayTime(5)) * 1e6),
}] }] }] });
const basic = (user, k) => `Basic ${Buffer.from(`${user}:${k}`).toString('base64')}`;

// Each API (each way a client names the workspace and sends the key): the headers its
// clients send, its error shape, one write of it (for the write keys, a chunked body and the
// front's body limit) and how that write reads back.
const APIS = {
	nemo: {
		headers: (k) => (k ? { Authorization: `Bearer ${k}` } : {}),
		write: (id) => ['POST', `${WS_PREFIX}/${WS}/ingest/spans`, { source: 'fronts', spans: [makeSpan(id, { started_at: dayTime() })] }],
		readBack: (id) => ['nemo', `${WS_PREFIX}/${WS}/spans/${id}`, (j) => j.span_id === id],
		shape: 'detail',
	},
	otlp: {
		headers: (k) => ({ 'X-Workspace': WS, ...(k ? { Authorization: `Bearer ${k}` } : {}) }),
		write: (id) => ['POST', '/v1/traces', otlpBody(id)],
		readBack: (id) => ['nemo', `${WS_PREFIX}/${WS}/spans/${spanHex(id)}`, (j) => j.name === id],
		shape: 'detail',
	},
	// Langfuse's span processor: Basic <public key = workspace>:<secret key = a spandex key>,
	// and the public key again in x-langfuse-public-key (docs/api-intake.md, "OTLP from
	// instrumentation libraries").
	langfuse: {
		headers: (k) => ({ 'x-langfuse-public-key': WS, ...(k ? { Authorization: basic(WS, k) } : {}) }),
		write: (id) => ['POST', '/api/public/otel/v1/traces', otlpBody(id)],
		readBack: (id) => ['nemo', `${WS_PREFIX}/${WS}/spans/${spanHex(id)}`, (j) => j.name === id],
		shape: 'detail',
	},
	// Opik's OTLP set-up: its REST API's bare key and Comet-Workspace, on the ingest program's
	// path under Opik's prefix, with the ingest program's (FastAPI's) errors.
	opikOtlp: {
		headers: (k) => ({ 'Comet-Workspace': WS, ...(k ? { authorization: k } : {}) }),
		write: (id) => ['POST', '/api/v1/private/otel/v1/traces', otlpBody(id)],
		readBack: (id) => ['nemo', `${WS_PREFIX}/${WS}/spans/${spanHex(id)}`, (j) => j.name === id],
		shape: 'detail',
	},
	opik: {
		headers: (k) => ({ 'Comet-Workspace': WS, ...(k ? { authorization: k } : {}) }),
		write: (id) => ['POST', '/api/v1/private/traces/batch', { traces: [{ id: uuid(id), name: id, start_time: dayTime() }] }],
		readBack: (id) => ['opik', `/v1/private/traces/${uuid(id)}`, (j) => j.id === uuid(id) && j.name === id],
		shape: 'opik',
	},
	sgp: {
		headers: (k) => ({ 'x-selected-account-id': WS, ...(k ? { 'x-api-key': k } : {}) }),
		write: (id) => ['POST', '/v5/spans', { id, trace_id: `t-${id}`, name: id, start_timestamp: dayTime() }],
		readBack: (id) => ['sgp', `/v5/spans/${id}`, (j) => j.id === id],
		shape: 'detail',
	},
};

// A UUID v7-looking id from a name, stable across the fronts (Opik ids are UUIDs).
function uuid(name) {
	const h = Buffer.from(name.padEnd(16, '.')).toString('hex').slice(0, 32).padEnd(32, '0');
	return `0190${h.slice(4, 8)}-${h.slice(8, 12)}-7${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// One 413 text on every front, whoever answers (issue 54): nginx's and Apache's own at their
// 8 MiB, a program's at its SPANDEX_MAX_BODY (MAX_BODY here, 64 KiB).
const tooLarge = (limit) => `Request body is larger than the limit of ${limit}`;
const message = (r, shape) => (shape === 'opik' ? r.json?.message : r.json?.detail);

function assertShape(r, shape, status, what) {
	assert.equal(r.status, status, `${what}: ${r.text}`);
	assert.match(r.headers['content-type'] || '', /^application\/json/, `${what}: content-type`);
	assert.ok(r.json && typeof r.json === 'object', `${what}: not JSON: ${r.text}`);
	if (shape === 'opik') {
		assert.deepEqual(Object.keys(r.json).sort(), ['code', 'message'], `${what}: ${r.text}`);
		assert.equal(r.json.code, status, what);
	} else if (shape === 'langfuse') {
		assert.equal(typeof r.json.message, 'string', `${what}: ${r.text}`);
	} else if (shape === 'jsonrpc') {
		// A JSON-RPC 2.0 error response without an id, as the MCP server answers a request it
		// refuses before it is a message, with the status in its data.
		assert.deepEqual(Object.keys(r.json).sort(), ['error', 'jsonrpc'], `${what}: ${r.text}`);
		assert.equal(r.json.jsonrpc, '2.0', `${what}: ${r.text}`);
		assert.ok(Number.isInteger(r.json.error?.code) && typeof r.json.error.message === 'string', `${what}: ${r.text}`);
		assert.equal(r.json.error.data?.http_status, status, `${what}: ${r.text}`);
	} else {
		assert.ok('detail' in r.json, `${what}: ${r.text}`);
	}
}

// One request (t/harness.mjs); chunked: Transfer-Encoding chunked, no Content-Length.
// Rejects on a reset or a connection closed without a reply.
function send(base, method, p, { headers = {}, body, chunked = false } = {}) {
	return request(method, p, { base, body, headers: chunked ? { ...headers, 'Transfer-Encoding': 'chunked' } : headers });
}

// A body larger than every front's limit (9 MiB). nginx and Apache CGI refuse it from its
// length alone, with their own 413; Apache's mod_proxy_fcgi passes it on as it comes, and the
// program refuses it (SPANDEX_MAX_BODY), in the same shape. The reply is read as soon as it
// is whole (the front may linger before it closes); an error while sending the rest is the
// front having stopped reading.
function oversized(base, p, headers) {
	const url = new URL(base);
	return new Promise((resolve, reject) => {
		const s = net.connect(Number(url.port), url.hostname);
		let raw = Buffer.alloc(0);
		const parse = (final) => {
			const cut = raw.indexOf('\r\n\r\n');
			if (cut < 0) return final ? reject(new Error(`no reply head: ${raw}`)) : undefined;
			const head = raw.subarray(0, cut).toString().split('\r\n');
			const hdrs = {};
			for (const l of head.slice(1)) {
				const i = l.indexOf(':');
				hdrs[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
			}
			let body = raw.subarray(cut + 4).toString();
			if (/chunked/i.test(hdrs['transfer-encoding'] || '')) {
				if (!final && !body.endsWith('0\r\n\r\n')) return undefined;
				let out = '';
				for (let rest = body; ;) {
					const nl = rest.indexOf('\r\n');
					const n = parseInt(rest.slice(0, nl), 16);
					if (!(n > 0)) break;
					out += rest.slice(nl + 2, nl + 2 + n);
					rest = rest.slice(nl + 4 + n);
				}
				body = out;
			} else if (!final && Buffer.byteLength(body) < Number(hdrs['content-length'] ?? Infinity)) {
				return undefined;
			}
			let json;
			try {
				json = JSON.parse(body);
			} catch {
				json = undefined;
			}
			s.destroy();
			resolve({ status: Number(head[0].split(' ')[1]), headers: hdrs, text: body, json });
		};
		s.on('connect', () => {
			const lines = [`POST ${p} HTTP/1.1`, `Host: ${url.host}`, 'Content-Type: application/json',
				`Content-Length: ${9 << 20}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
			s.write(`${lines.join('\r\n')}\r\n\r\n`);
			const chunk = Buffer.alloc(1 << 20, 'x');
			const more = (left) => {
				if (left > 0 && !s.destroyed) s.write(chunk, () => more(left - 1));
			};
			more(9);
		});
		s.on('data', (c) => {
			raw = Buffer.concat([raw, c]);
			parse(false);
		});
		s.on('error', () => {});
		s.on('close', () => parse(true));
		s.setTimeout(WAIT_MS, () => s.destroy(new Error(`no reply in ${WAIT_MS / 1000} s`)));
	});
}

// Every route of the three APIs, one line each, in an order where reads find the writes:
// [api (of APIS: its headers and error shape), role, method, path, body, keep]. The role is
// what the route's table in lib/api asks (HTTP_READ, HTTP_WRITE, HTTP_ADMIN, HTTP_PUBLIC), or
// 'none' for a path no route answers; it says what each key gets (KEY_CASES). path and body
// may be functions of ctx, which keep(reply, ctx) fills from an earlier reply (an id the
// server made). A route added to a program is one line here.
function routes() {
	const o = uuid('o-trace');
	const os_ = uuid('o-span');
	const day = dayTime().slice(0, 10);
	const nemo = `${WS_PREFIX}/${WS}`;
	const O = '/v1/private';
	const commentId = (key) => (r, ctx) => {
		ctx[key] = (r.headers.location || '').split('/').pop();
	};
	return [
		['nemo', 'write', 'POST', `${nemo}/ingest/spans`, { source: 'fronts', spans: [makeSpan('r-1', { trace_id: 'r-t', session_id: 'r-s', started_at: dayTime() })] }],
		['nemo', 'write', 'POST', `${nemo}/ingest/otlp/v1/traces`, { resourceSpans: [] }],
		['nemo', 'write', 'POST', `${nemo}/ingest/chat-completions`, {}],
		['nemo', 'write', 'POST', `${nemo}/ingest/atif`, {}],
		['nemo', 'write', 'POST', `${nemo}/ingest/otlp/v1/logs`, { resourceLogs: [] }],
		['otlp', 'write', 'POST', '/v1/traces', { resourceSpans: [] }],
		['otlp', 'write', 'POST', '/v1/logs', { resourceLogs: [] }],
		['langfuse', 'write', 'POST', '/api/public/otel/v1/traces', otlpBody('r-langfuse')],
		['opikOtlp', 'write', 'POST', '/v1/private/otel/v1/traces', otlpBody('r-opik-otlp')],
		['opikOtlp', 'write', 'POST', '/api/v1/private/otel/v1/traces', otlpBody('r-opik-otlp-api')],
		['nemo', 'read', 'GET', `${nemo}/spans?page_size=5`],
		['nemo', 'read', 'GET', `${nemo}/spans/groups?by=trace_id`],
		['nemo', 'read', 'GET', `${nemo}/spans/stats?start=${day}T00:00:00Z&end=${day}T23:59:59Z`],
		['nemo', 'read', 'GET', `${nemo}/spans/r-1`],
		['nemo', 'read', 'GET', `${nemo}/spans/${spanHex('r-langfuse')}`],
		['nemo', 'read', 'GET', `${nemo}/spans/${spanHex('r-opik-otlp-api')}`],
		['nemo', 'public', 'GET', '/healthz'],
		['nemo', 'read', 'GET', `${nemo}/traces`],
		['nemo', 'read', 'GET', `${nemo}/traces/r-t`],
		['nemo', 'read', 'GET', `${nemo}/sessions/r-s`],
		['nemo', 'none', 'GET', `${WS_PREFIX}/no-such-route`],
		['nemo', 'write', 'POST', `${nemo}/annotations`, { kind: 'note', session_id: 'r-s', span_id: 'r-1', text: 'looked at it' }, (r, ctx) => {
			ctx.ann = r.json?.annotation_id;
		}],
		['nemo', 'read', 'GET', `${nemo}/annotations?filter[session_id]=r-s`],
		['nemo', 'read', 'GET', (ctx) => `${nemo}/annotations/${ctx.ann}`],
		['nemo', 'write', 'DELETE', (ctx) => `${nemo}/annotations/${ctx.ann}`],
		['nemo', 'write', 'POST', `${nemo}/evaluator-results`, { span_id: 'r-1', session_id: 'r-s', name: 'faithfulness', data_type: 'NUMERIC', value: 0.8 }, (r, ctx) => {
			ctx.ev = r.json?.evaluator_result_id;
		}],
		['nemo', 'read', 'GET', `${nemo}/evaluator-results?sort=-value`],
		['nemo', 'read', 'GET', (ctx) => `${nemo}/evaluator-results/${ctx.ev}`],
		['nemo', 'read', 'GET', `${nemo}/spans/r-1/evaluator-results`],
		['opik', 'write', 'POST', `${O}/traces/batch`, { traces: [{ id: o, name: 'o', start_time: dayTime() }] }],
		['opik', 'write', 'POST', `${O}/spans/batch`, { spans: [{ id: os_, trace_id: o, name: 's', start_time: dayTime() }] }],
		['opik', 'read', 'POST', `${O}/traces/search`, { project_name: 'Default Project' }],
		['opik', 'read', 'POST', `${O}/spans/search`, { project_name: 'Default Project' }],
		['opik', 'write', 'POST', `${O}/traces`, { id: uuid('o-trace-2'), name: 'o2', start_time: dayTime() }],
		['opik', 'write', 'POST', `${O}/spans`, { id: uuid('o-span-2'), trace_id: o, name: 's2', start_time: dayTime() }],
		['opik', 'write', 'PUT', `${O}/traces/feedback-scores`, { scores: [{ id: o, name: 'q', value: 1, source: 'sdk' }] }],
		['opik', 'write', 'PUT', `${O}/spans/feedback-scores`, { scores: [{ id: os_, name: 'q', value: 1, source: 'sdk' }] }],
		['opik', 'write', 'PUT', `${O}/traces/${o}/feedback-scores`, { name: 'r', value: 1, source: 'sdk' }],
		['opik', 'write', 'PUT', `${O}/spans/${os_}/feedback-scores`, { name: 'r', value: 1, source: 'sdk' }],
		['opik', 'write', 'POST', `${O}/traces/${o}/feedback-scores/delete`, { name: 'r' }],
		['opik', 'write', 'POST', `${O}/spans/${os_}/feedback-scores/delete`, { name: 'r' }],
		['opik', 'read', 'POST', `${O}/projects/retrieve`, { name: 'Default Project' }, (r, ctx) => {
			ctx.project = r.json?.id;
		}],
		['opik', 'read', 'GET', (ctx) => `${O}/traces/feedback-scores/names?project_id=${ctx.project}`],
		['opik', 'read', 'GET', (ctx) => `${O}/spans/feedback-scores/names?project_id=${ctx.project}&type=general`],
		['opik', 'write', 'POST', `${O}/traces/${o}/comments`, { text: 'a trace comment' }, commentId('tc')],
		['opik', 'write', 'POST', `${O}/spans/${os_}/comments`, { text: 'a span comment' }, commentId('sc')],
		['opik', 'read', 'GET', (ctx) => `${O}/traces/${o}/comments/${ctx.tc}`],
		['opik', 'read', 'GET', (ctx) => `${O}/spans/${os_}/comments/${ctx.sc}`],
		['opik', 'write', 'PATCH', (ctx) => `${O}/traces/comments/${ctx.tc}`, { text: 'edited' }],
		['opik', 'write', 'PATCH', (ctx) => `${O}/spans/comments/${ctx.sc}`, { text: 'edited' }],
		['opik', 'write', 'POST', `${O}/traces/comments/delete`, (ctx) => ({ ids: [ctx.tc] })],
		['opik', 'write', 'POST', `${O}/spans/comments/delete`, (ctx) => ({ ids: [ctx.sc] })],
		['opik', 'write', 'PATCH', `${O}/traces/batch`, { ids: [o], update: { tags: ['b'] } }],
		['opik', 'write', 'PATCH', `${O}/spans/batch`, { ids: [os_], update: { trace_id: o, tags: ['b'] } }],
		['opik', 'write', 'PATCH', `${O}/traces/${o}`, { name: 'o-renamed' }],
		['opik', 'write', 'PATCH', `${O}/spans/${os_}`, { name: 's-renamed', trace_id: o }],
		['opik', 'read', 'GET', `${O}/traces/stats?project_name=Default%20Project`],
		['opik', 'read', 'GET', `${O}/spans/stats?project_name=Default%20Project`],
		['opik', 'read', 'GET', `${O}/traces/${o}`],
		['opik', 'read', 'GET', `/api${O}/spans/${os_}`],
		['opik', 'read', 'GET', `${O}/traces?project_name=Default%20Project`],
		['opik', 'read', 'GET', `${O}/spans?project_name=Default%20Project`],
		['opik', 'read', 'GET', `${O}/projects`],
		['opik', 'none', 'GET', `${O}/datasets`],
		['opik', 'admin', 'POST', `${O}/traces/delete`, { ids: [uuid('o-trace-2')] }],
		['opik', 'admin', 'DELETE', `${O}/traces/${o}`],
		['sgp', 'write', 'POST', '/v5/spans', { id: 'g-1', trace_id: 'g-t', name: 'g', start_timestamp: dayTime() }],
		['sgp', 'write', 'POST', '/v5/spans/batch', { items: [{ id: 'g-2', trace_id: 'g-t', name: 'g2', start_timestamp: dayTime() }] }],
		['sgp', 'write', 'PUT', '/v5/spans/batch', { items: [{ id: 'g-2', trace_id: 'g-t', name: 'g2b', start_timestamp: dayTime() }] }],
		['sgp', 'read', 'POST', '/v5/spans/search', {}],
		['sgp', 'read', 'GET', '/v5/spans'],
		['sgp', 'read', 'GET', '/v5/spans/g-1'],
		['sgp', 'write', 'PATCH', '/v5/spans/g-1', { name: 'g-renamed' }],
		['sgp', 'write', 'POST', '/v5/span-assessments', { assessment_type: 'rating', trace_id: 'g-t', span_id: 'g-1', rating: 4 }, (r, ctx) => {
			ctx.sa = r.json?.assessment_id;
		}],
		['sgp', 'read', 'GET', '/v5/span-assessments?span_id=g-1'],
		['sgp', 'read', 'GET', (ctx) => `/v5/span-assessments/${ctx.sa}`],
		// Scale GP's other resources: no program answers them, the JSON 404 all the same.
		['sgp', 'none', 'GET', '/v5/applications'],
		['sgp', 'none', 'POST', '/v5/spans-nothing', {}],
		['sgp', 'write', 'PATCH', (ctx) => `/v5/span-assessments/${ctx.sa}`, { rating: 5 }],
		['sgp', 'write', 'DELETE', (ctx) => `/v5/span-assessments/${ctx.sa}`],
	];
}

// What each key gets on a route of each role, before the admin key's request: a refusal in the
// API's shape (401 without a key, 403 with another workspace's key or a lesser role), or, where
// it may, what the admin key gets ('same'). Refusals come before the body is read, so they
// change nothing; a read key's read is compared after the admin key's.
const KEY_CASES = {
	read: [[null, 401], ['other', 403], ['read', 'same']],
	write: [[null, 401], ['other', 403], ['read', 403]],
	admin: [[null, 401], ['other', 403], ['read', 403], ['write', 403]],
	public: [[null, 'same'], ['other', 'same'], ['read', 'same']],
	none: [[null, 'same'], ['other', 'same'], ['read', 'same']],
};

// What one front answers to the matrix: [what, status, top-level keys] per request.
async function matrix(srv) {
	const base = srv.base;
	const keys = await keysFor(srv.dataDir);
	const seen = [];
	const ctx = {};
	const summary = (r) => (r.json && typeof r.json === 'object' && !Array.isArray(r.json) ? Object.keys(r.json).sort().join(',') : typeof r.json);
	for (const [api, role, method, pathOf, bodyOf, keep] of routes()) {
		const p = typeof pathOf === 'function' ? pathOf(ctx) : pathOf;
		const body = typeof bodyOf === 'function' ? bodyOf(ctx) : bodyOf;
		const what = `${srv.name} ${method} ${p}`;
		// The ids a server made differ from front to front: named, not compared.
		const label = Object.entries(ctx).reduce((l, [k, v]) => (v ? l.replaceAll(v, `{${k}}`) : l), `${method} ${p}`);
		const later = [];
		for (const [who, status] of KEY_CASES[role]) {
			if (status === 'same') {
				later.push(who);
				continue;
			}
			const r = await send(base, method, p, { headers: APIS[api].headers(who && keys[who]), body });
			assertShape(r, APIS[api].shape, status, `${what}, key ${who}`);
			seen.push([`${label} key ${who}`, r.status]);
		}
		const r = await send(base, method, p, { headers: APIS[api].headers(keys.admin), body });
		assert.ok(r.status < 500, `${what}: ${r.status} ${r.text}`);
		if (r.text) assert.match(r.headers['content-type'] || '', /^application\/(json|x-ndjson|octet-stream)/, `${what}: ${r.status} ${r.headers['content-type']} ${r.text}`);
		seen.push([label, r.status, summary(r)]);
		if (keep) keep(r, ctx);
		for (const who of later) {
			const again = await send(base, method, p, { headers: APIS[api].headers(who && keys[who]), body });
			assert.equal(again.status, r.status, `${what}, key ${who}: ${again.text}`);
			seen.push([`${label} key ${who}`, again.status, summary(again)]);
		}
	}
	for (const [api, a] of Object.entries(APIS)) {
		const [method, p] = a.write(`${api}-k`);
		for (const who of ['write', 'admin']) {
			const [, , body] = a.write(`${api}-${who}`);
			const r = await send(base, method, p, { headers: a.headers(keys[who]), body, chunked: who === 'write' });
			assert.ok(r.status >= 200 && r.status < 300, `${srv.name} ${api} write, key ${who}: ${r.status} ${r.text}`);
			seen.push([`${api} write ${who}`, r.status]);
		}
		// Both writes, the chunked one too, were stored whole: each reads back with a read key.
		for (const who of ['write', 'admin']) {
			const [via, back, ok] = a.readBack(`${api}-${who}`);
			const r = await send(base, 'GET', back, { headers: APIS[via].headers(keys.read) });
			assert.equal(r.status, 200, `${srv.name} ${api} write ${who} read back: ${r.text}`);
			assert.ok(ok(r.json), `${srv.name} ${api} write ${who} read back: ${r.text}`);
		}
		// The front end's own error, in the API's shape.
		const big = await oversized(base, p, a.headers(keys.write));
		assertShape(big, a.shape, 413, `${srv.name} ${api} body over the front's limit`);
		// mod_proxy_fcgi passes the body on as it comes: the program refuses it.
		assert.equal(message(big, a.shape), tooLarge(srv.name === 'apache-fcgi' ? '64 KiB' : '8 MiB'), `${srv.name} ${api}`);
	}
	return { seen, keys };
}

// The front's own error for a program that is not there (nginx 502, mod_proxy_fcgi 503: its
// socket removed; CGI 404: its file removed), in the shape of the API of that program.
async function programGone(srv, keys) {
	for (const [prog, api] of [['opik', 'opik'], ['egp', 'sgp'], ['ingest', 'opikOtlp']]) {
		if (srv.name === 'nginx') fs.rmSync(srv.procs[prog].sock);
		else if (srv.name === 'apache-fcgi') fs.rmSync(path.join(srv.runDir, `${prog}.sock`));
		else fs.rmSync(path.join(path.dirname(srv.runDir), 'cgi-bin', prog));
		const [method, p, body] = APIS[api].write(`${api}-gone`);
		const r = await send(srv.base, method, p, { headers: APIS[api].headers(keys.write), body });
		const want = { nginx: 502, 'apache-fcgi': 503, 'apache-cgi': 404 }[srv.name];
		assertShape(r, APIS[api].shape, want, `${srv.name} ${prog} gone`);
	}
}

// The surfaces whose errors have shapes of their own beyond the matrix's (nginx/shapes): Langfuse's
// public API and the MCP server. The front's own 413 and a program that is not there, in each.
const OWN_SHAPES = [
	['langfuse', '/api/public/ingestion', (k) => ({ Authorization: basic(WS, k) }), 'langfuse'],
	['mcp', '/mcp', (k) => ({ Authorization: `Bearer ${k}`, Accept: 'application/json, text/event-stream' }), 'jsonrpc'],
];
async function ownShapes(srv, keys) {
	for (const [prog, p, headers, shape] of OWN_SHAPES) {
		const big = await oversized(srv.base, p, headers(keys.write));
		assertShape(big, shape, 413, `${srv.name} ${prog} body over the front's limit`);
		if (srv.name === 'nginx') fs.rmSync(srv.procs[prog].sock);
		else if (srv.name === 'apache-fcgi') fs.rmSync(path.join(srv.runDir, `${prog}.sock`));
		else fs.rmSync(path.join(path.dirname(srv.runDir), 'cgi-bin', prog));
		const r = await send(srv.base, 'POST', p, { headers: headers(keys.write), body: { batch: [] } });
		const want = { nginx: 502, 'apache-fcgi': 503, 'apache-cgi': 404 }[srv.name];
		assertShape(r, shape, want, `${srv.name} ${prog} gone`);
	}
}

// A path under each prefix of an API (nginx/shapes) that no program answers: the 404 of that
// API in its shape, whether the web server answers it or the program whose path is the whole
// prefix (Opik's, Langfuse's), with each method.
async function unknownUnderPrefixes(srv) {
	for (const { path: p, shape } of unknownPaths()) {
		for (const method of ['GET', 'POST', 'DELETE']) {
			const r = await send(srv.base, method, p, { headers: {}, body: method === 'POST' ? {} : undefined });
			assert.ok(isShaped404(r, shape), `${srv.name} ${method} ${p}: ${shape} 404, not ${r.status} ${r.headers['content-type']} ${r.text}`);
		}
	}
}

// Refusals decided before the body is read (no key: 401, a read key: 403, over the program's
// cap: 413), 30 times per body size class: every one a clean reply.
async function earlyRefusals(srv, keys) {
	const p = `${WS_PREFIX}/${WS}/ingest/spans`;
	const bad = [];
	for (const size of [100, 64 << 10, 1 << 20, 4 << 20]) {
		const body = Buffer.alloc(size, 'x');
		const cases = [[null, 401], ['read', 403]];
		if (size > MAX_BODY) cases.push(['write', 413]);
		for (let i = 0; i < 30; i++) {
			const [who, status] = cases[i % cases.length];
			const chunked = i % 4 === 3;
			try {
				const r = await send(srv.base, 'POST', p, { headers: APIS.nemo.headers(who && keys[who]), body, chunked });
				if (r.status !== status || !r.json || (status === 413 && message(r, 'detail') !== tooLarge('64 KiB')))
					bad.push(`${size} B ${who} ${chunked ? 'chunked' : ''}: ${r.status} ${r.text.slice(0, 100)}`);
			} catch (e) {
				bad.push(`${size} B ${who} ${chunked ? 'chunked' : ''}: ${e.code || e.message}`);
			}
		}
	}
	assert.deepEqual(bad, [], `${srv.name}: early refusals`);
}

// One request with a header line repeated: [status, body]. node's http joins or drops repeats
// itself, so the request is written by hand.
function repeated(base, method, p, lines) {
	const url = new URL(base);
	return new Promise((resolve, reject) => {
		const s = net.connect(Number(url.port), url.hostname);
		let raw = '';
		s.on('connect', () => s.write([`${method} ${p} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close',
			...(method === 'POST' ? ['Content-Type: application/json', 'Content-Length: 2'] : []),
			...lines, '', method === 'POST' ? '{}' : ''].join('\r\n')));
		s.on('data', (c) => {
			raw += c;
		});
		s.on('error', reject);
		s.on('close', () => {
			const cut = raw.indexOf('\r\n\r\n');
			let body = raw.slice(cut + 4);
			if (/\r\ntransfer-encoding: chunked/i.test(raw.slice(0, cut))) {
				let out = '';
				for (let n; (n = parseInt(body, 16)) > 0;) {
					const at = body.indexOf('\r\n') + 2;
					out += body.slice(at, at + n);
					body = body.slice(at + n + 2);
				}
				body = out;
			}
			resolve([Number(raw.split(' ')[1]), body]);
		});
	});
}

// A header sent twice is one value, its lines joined with ", " (RFC 9110 section 5.3), behind
// every front: Apache joins them so, and nginx 1.22 passes each line as a param of its own, of
// which the program read only the first. So two workspaces, or two keys, are refused alike
// (they were served as the first under nginx alone).
async function repeatedHeaders(srv, keys) {
	const seen = [];
	for (const [api, method, p, lines] of [
		['opik', 'GET', '/api/v1/private/projects', ['Comet-Workspace: mx', 'Comet-Workspace: elsewhere', `authorization: ${keys.admin}`]],
		['otlp', 'POST', '/v1/traces', ['X-Workspace: mx', 'X-Workspace: elsewhere', `Authorization: Bearer ${keys.admin}`]],
		['sgp', 'GET', '/v5/spans', ['x-selected-account-id: mx', 'x-selected-account-id: elsewhere', `x-api-key: ${keys.admin}`]],
		// (a repeated Authorization is nginx's own 400, before any program)
		['sgp key', 'GET', '/v5/spans', ['x-selected-account-id: mx', `x-api-key: ${keys.admin}`, `x-api-key: ${keys.other}`]],
	]) {
		const [status, text] = await repeated(srv.base, method, p, lines);
		assert.ok(status >= 400 && status < 500, `${srv.name} ${api} repeated header: ${status} ${text}`);
		seen.push([api, status, text]);
	}
	return seen;
}

test('one matrix through nginx, Apache mod_proxy_fcgi and Apache CGI', async () => {
	const fronts = [
		['nginx', () => startServer({ workers: 1, env: ENV })],
		['apache-fcgi', () => startApache({ mode: 'fcgi', env: ENV })],
		['apache-cgi', () => startApache({ mode: 'cgi', env: ENV })],
	];
	let reference = null;
	let repeatedRef = null;
	for (const [name, start] of fronts) {
		const srv = await start();
		servers.push(srv);
		srv.name = name;
		const { seen, keys } = await matrix(srv);
		if (reference) assert.deepEqual(seen, reference, `${name} answers as nginx does`);
		else reference = seen;
		await earlyRefusals(srv, keys);
		await unknownUnderPrefixes(srv);
		const again = await repeatedHeaders(srv, keys);
		if (repeatedRef) assert.deepEqual(again, repeatedRef, `${name}: repeated headers as nginx`);
		else repeatedRef = again;
		await programGone(srv, keys);
		await ownShapes(srv, keys);
		await srv.stop();
	}
});
