// The API through a real Apache in both set-ups of docs/operations.md: mod_proxy_fcgi to the
// programs under spawn-fcgi, and plain CGI through ScriptAlias (one process per request).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CLIENTS, WS_PREFIX, makeSpan, dayTime } from '../harness.mjs';
import { startApache, HOST_HOME } from '../apache.mjs';

const servers = [];
after(async () => {
	for (const s of servers) await s.stop();
});

for (const mode of ['fcgi', 'cgi']) {
	test(`the API through Apache (${mode})`, async () => {
		const srv = await startApache({ mode, env: { SPANDEX_SYNC: '0' } });
		servers.push(srv);
		const ws = `apache-${mode}`;
		const spans = Array.from({ length: 5 }, (_, i) => makeSpan(`${ws}-${i}`, {
			trace_id: `${ws}-trace`,
			parent_span_id: i ? `${ws}-0` : undefined,
			started_at: dayTime(i * 1000),
			name: `span ${i}`,
			attributes: { 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': i },
		}));

		const health = await srv.request('GET', '/healthz');
		assert.equal(health.status, 200, health.text);

		const ing = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'apache', spans } });
		assert.equal(ing.status, 201, ing.text);
		// SetEnv brought SPANDEX_DATA: the shard is in the data directory Apache was given.
		assert.ok(fs.existsSync(path.join(srv.dataDir, ws, `${dayTime().slice(0, 10)}.jsonl`)));

		const one = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${ws}-3`);
		assert.equal(one.status, 200, one.text);
		assert.equal(one.json.name, 'span 3');
		assert.equal(one.json.input_tokens, 3);
		assert.match(one.headers['content-type'], /application\/json/);

		const list = await srv.request('GET', `${WS_PREFIX}/${ws}/spans?page_size=10`);
		assert.equal(list.status, 200, list.text);
		assert.deepEqual(list.json.data.map((s) => s.span_id).sort(), spans.map((s) => s.span_id).sort());

		// TRACE would echo the Authorization header back: refused, as nginx does.
		const trace = await srv.request('TRACE', `${WS_PREFIX}/${ws}/spans`, { headers: { Authorization: 'Bearer secret' } });
		assert.equal(trace.status, 405, trace.text);
		assert.doesNotMatch(trace.text, /secret/);

		// An id with a '/' in it is fetched with %2F, as through nginx.
		const slashed = makeSpan('user/42', { trace_id: 'tr/1', session_id: 'sess/1', started_at: dayTime() });
		assert.equal((await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'apache', spans: [slashed] } })).status, 201);
		for (const p of ['spans/user%2F42', 'traces/tr%2F1', 'sessions/sess%2F1']) {
			const g = await srv.request('GET', `${WS_PREFIX}/${ws}/${p}`);
			assert.equal(g.status, 200, `${mode} ${p}: ${g.text}`);
		}

		const missing = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/nope`);
		assert.equal(missing.status, 404);
		assert.equal(typeof missing.json.detail, 'string');
		const bad = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { spans: [{}] } });
		assert.equal(bad.status, 422);
		assert.ok(Array.isArray(bad.json.detail) && bad.json.detail.length > 0);

		// Nothing of the data directory is reachable as a file.
		const leak = await srv.request('GET', `/${ws}/${dayTime().slice(0, 10)}.jsonl`);
		assert.equal(leak.status >= 400 && leak.status < 500, true, `status ${leak.status}`);
		assert.doesNotMatch(leak.text, /span_id/);

		// The trace viewer: /ui/ is its page, its modules have a type the browser runs, and
		// /ui leads to it; the virtual host's / stays its own, as under the nginx include
		// (issue 54: the snippet redirected it to /ui/).
		const page = await srv.request('GET', '/ui/');
		assert.equal(page.status, 200, page.text);
		assert.match(page.headers['content-type'], /^text\/html/);
		assert.match(page.text, /<script type="module" src="js\/app\.js">/);
		const mod = await srv.request('GET', '/ui/js/app.js');
		assert.equal(mod.status, 200);
		assert.match(mod.headers['content-type'], /^text\/javascript/);
		const ui = await srv.request('GET', '/ui');
		assert.equal(ui.status, 301);
		assert.match(ui.headers.location, /\/ui\/$/);
		// The opik SDK's printed link leads to the viewer, which finds the trace (issue 54).
		const link = await srv.request('GET', '/api/v1/session/redirect/projects/?trace_id=0199-ab&path=aHR0cDo=');
		assert.equal(link.status, 302, `${mode}: ${link.text}`);
		assert.match(link.headers.location, /\/ui\/#\/_opik\/projects\?trace_id=0199-ab&path=aHR0cDo=$/);
		const home = await srv.request('GET', '/');
		assert.equal(home.status, 200, `${mode} /: ${home.status} ${home.headers.location ?? ''}`);
		assert.equal(home.text, HOST_HOME);
		// A file that is not there, or a directory, is the API's JSON 404, as in the nginx
		// include (not Apache's HTML page, nor a directory's 403 where mod_dir is on), and the
		// viewer's own pages keep their type.
		for (const p of ['/ui/nothing.js', '/ui/js/', '/ui/js/views/']) {
			const r = await srv.request('GET', p);
			assert.equal(r.status, 404, `${mode} ${p}: ${r.text}`);
			assert.match(r.headers['content-type'], /^application\/json/, `${mode} ${p}`);
			assert.deepEqual(r.json, { detail: 'Not Found' }, `${mode} ${p}`);
		}
		assert.match((await srv.request('GET', '/ui/index.html')).headers['content-type'], /^text\/html/);
	});
}

// An operator who forgot a2enmod cgid: ScriptAlias alone would hand out the programs' files.
test('the CGI set-up without a CGI module refuses the program paths instead of serving the files', async () => {
	const srv = await startApache({ mode: 'cgi', cgiModule: false });
	servers.push(srv);
	for (const p of ['/healthz', `${WS_PREFIX}/team-a/spans`, '/v5/spans/x', '/api/v1/private/spans']) {
		const r = await srv.request('GET', p);
		assert.equal(r.status, 403, `${p}: ${r.text.slice(0, 80)}`);
		assert.doesNotMatch(r.text, /^\x7fELF/, p);
	}
});

test('Apache passes Authorization to the programs (CGIPassAuth) in both set-ups', async () => {
	for (const mode of ['fcgi', 'cgi']) {
		const srv = await startApache({ mode, env: { SPANDEX_TOKEN: 'sesame' } });
		servers.push(srv);
		const path_ = `${WS_PREFIX}/auth-${mode}/spans`;
		assert.equal((await srv.request('GET', path_)).status, 401, `${mode}: no token`);
		const ok = await srv.request('GET', path_, { headers: { Authorization: 'Bearer sesame' } });
		assert.equal(ok.status, 200, `${mode}: ${ok.text}`);
	}
});

// Issue 16: a body sent with Transfer-Encoding: chunked reaches the program without
// CONTENT_LENGTH (plain CGI always; mod_proxy_fcgi too). It must be read to its end, or an
// OTLP export is acknowledged and lost. The real exporters stream gzip bodies chunked.
const require = createRequire(path.join(CLIENTS, 'package.json'));

function chunked(srv, p, chunks, headers) {
	return new Promise((resolve, reject) => {
		const req = http.request(`${srv.base}${p}`, { method: 'POST', headers }, (res) => {
			const parts = [];
			res.on('data', (c) => parts.push(c));
			res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(parts).toString() }));
		});
		req.on('error', reject);
		for (const c of chunks) req.write(c);
		req.end();
	});
}

function otlpSpans(tag) {
	const api = require('@opentelemetry/api');
	const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
	const done = [];
	const provider = new BasicTracerProvider({
		spanProcessors: [{ onStart() {}, onEnd(s) { done.push(s); }, forceFlush: async () => {}, shutdown: async () => {} }],
	});
	const tracer = provider.getTracer('apache-chunked');
	const root = tracer.startSpan(`root ${tag}`, { attributes: { 'gen_ai.request.model': 'm' } });
	const child = tracer.startSpan(`child ${tag}`, {}, api.trace.setSpan(api.context.active(), root));
	child.end();
	root.end();
	return done;
}

for (const mode of ['fcgi', 'cgi']) {
	test(`chunked uploads through Apache (${mode}) are stored whole`, async () => {
		const srv = await startApache({ mode, env: { SPANDEX_SYNC: '0' } });
		servers.push(srv);
		const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');
		const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
		for (const [name, Exporter] of [['json', JsonExporter], ['proto', ProtoExporter]]) {
			const ws = `chunk-${mode}-${name}`;
			const spans = otlpSpans(name);
			const exporter = new Exporter({
				url: `${srv.base}/v1/traces`, compression: 'gzip', headers: { 'x-workspace': ws },
			});
			const result = await new Promise((resolve) => exporter.export(spans, resolve));
			await exporter.shutdown();
			assert.equal(result.code, 0, `${name}: ${result.error}`);
			for (const s of spans) {
				const r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${s.spanContext().spanId}`);
				assert.equal(r.status, 200, `${mode} ${name} ${s.name}: ${r.text}`);
				assert.equal(r.json.name, s.name);
			}
		}

		// Direct ingest and OTLP JSON, chunked by hand and not compressed.
		const ws = `chunk-${mode}-raw`;
		const body = JSON.stringify({ source: 'apache', spans: [makeSpan(`${ws}-a`, { started_at: dayTime() })] });
		const half = body.length >> 1;
		const ing = await chunked(srv, `${WS_PREFIX}/${ws}/ingest/spans`, [body.slice(0, half), body.slice(half)],
			{ 'Content-Type': 'application/json' });
		assert.equal(ing.status, 201, ing.text);
		assert.equal((await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${ws}-a`)).status, 200);
		const otlp = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{
			traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'raw',
			startTimeUnixNano: String(Date.parse(dayTime()) * 1e6), endTimeUnixNano: String(Date.parse(dayTime(5)) * 1e6),
		}] }] }] });
		const o = await chunked(srv, `${WS_PREFIX}/${ws}/ingest/otlp/v1/traces`, [otlp.slice(0, 40), otlp.slice(40)],
			{ 'Content-Type': 'application/json' });
		assert.equal(o.status, 200, o.text);
		assert.equal((await srv.request('GET', `${WS_PREFIX}/${ws}/spans/b7ad6b7169203331`)).status, 200);

		// The body cap holds without a length to check up front: 413, nothing stored.
		const big = await startApache({ mode, env: { SPANDEX_SYNC: '0', SPANDEX_MAX_BODY: '1000' } });
		servers.push(big);
		const huge = JSON.stringify({ source: 'apache', spans: [makeSpan(`${ws}-big`, { started_at: dayTime(), input: 'x'.repeat(5000) })] });
		const r = await chunked(big, `${WS_PREFIX}/${ws}/ingest/spans`, [huge.slice(0, 3000), huge.slice(3000)],
			{ 'Content-Type': 'application/json' });
		assert.equal(r.status, 413, r.text);
		assert.equal((await big.request('GET', `${WS_PREFIX}/${ws}/spans/${ws}-big`)).status, 404);

		// Past the default cap of 8 MiB, where Apache's own limit is met too: a batch that is
		// whole at 8 MiB and goes on past it (spaces, still valid JSON) is a 413 and stores
		// nothing. Apache cut such a stream at its limit and plain CGI stored the first 8 MiB.
		const LIMIT = 8 * 1024 * 1024;
		const head = JSON.stringify({ source: 'apache', spans: [makeSpan(`${ws}-cut`, { started_at: dayTime() })] });
		const whole = Buffer.from(head.slice(0, -1) + ' '.repeat(LIMIT - head.length) + '}');
		assert.equal(whole.length, LIMIT);
		const cut = await chunked(srv, `${WS_PREFIX}/${ws}/ingest/spans`, [whole, Buffer.from(' '.repeat(70000))],
			{ 'Content-Type': 'application/json' });
		assert.equal(cut.status, 413, cut.text);
		assert.equal((await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${ws}-cut`)).status, 404, `${mode}: stored`);
		// The same batch of exactly 8 MiB is stored.
		const at = await chunked(srv, `${WS_PREFIX}/${ws}/ingest/spans`, [whole], { 'Content-Type': 'application/json' });
		assert.equal(at.status, 201, at.text);
	});
}
