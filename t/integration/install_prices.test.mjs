// Costs by default after `make install` (issue 33): the installed programs price a span that
// brings none from the installed table, with no setting. make install (DESTDIR) puts
// prices/prices.tsv at $(sysconfdir)/spandex/prices.tsv, the path the programs were built to
// read first (PRICES_INSTALLED, then the source tree's for a build-tree run); the installed
// ingest and spans programs, run as CGI with SPANDEX_PRICES unset, compute a span's cost.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SRCDIR, BUILDDIR, makeBuilt, runCgi, WS_PREFIX } from '../harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-install-prices-'));
after(() => { if (process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true }); });

// A directory variable of the build's Makefile, ${...} expanded.
function makeVar(name) {
	const text = fs.readFileSync(path.join(BUILDDIR, 'Makefile'), 'utf8');
	const get = (n) => {
		const m = text.match(new RegExp(`^${n} = (.*)$`, 'm'));
		assert.ok(m, `Makefile has no ${n}`);
		return m[1].replace(/\$[{(](\w+)[})]/g, (_, v) => get(v));
	};
	return get(name);
}

async function cgi(bin, method, p, body) {
	const { done } = runCgi(path.basename(bin), { method, path: p, body, bin, dataDir: path.join(tmp, 'data'),
		env: { SPANDEX_PRICES: null } });
	const r = await done;
	assert.equal(r.code, 0, r.stderr);
	return { status: r.status, text: r.body, json: r.body ? JSON.parse(r.body) : undefined };
}

test('an installed program prices a span by the installed table, with no setting', async () => {
	const dest = path.join(tmp, 'dest');
	const r = await makeBuilt(['install', `DESTDIR=${dest}`]);
	assert.equal(r.code, 0, r.stderr);
	// The table where the programs look first, as shipped.
	const table = `${makeVar('sysconfdir')}/spandex/prices.tsv`;
	const installed = path.join(dest, table);
	assert.equal(fs.readFileSync(installed, 'utf8'), fs.readFileSync(path.join(SRCDIR, 'prices', 'prices.tsv'), 'utf8'));
	const libexec = path.join(dest, makeVar('libexecdir'), 'spandex');
	for (const prog of ['ingest', 'opik'])
		assert.ok(fs.readFileSync(path.join(libexec, prog)).includes(Buffer.from(`${table}\0`)),
			`${prog} reads ${table} first`);
	const taken = fs.readFileSync(installed, 'utf8').match(/^# taken: (\S+)/m)[1];

	fs.mkdirSync(path.join(tmp, 'data'));
	let c = await cgi(path.join(libexec, 'ingest'), 'POST', `${WS_PREFIX}/install/ingest/spans`, { source: 'install', spans: [{
		span_id: 'installed', trace_id: 'installed', name: 'chat', kind: 'LLM', started_at: '2026-03-01T00:00:00Z',
		attributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500 } }] });
	assert.equal(c.status, 201, c.text);
	c = await cgi(path.join(libexec, 'spans'), 'GET', `${WS_PREFIX}/install/spans/installed`);
	assert.equal(c.status, 200);
	// (1000 * 0.15 + 500 * 0.60) / 1e6
	assert.equal(c.json.cost_total_usd, 0.00045);
	const raw = JSON.parse(c.json.raw_attributes);
	assert.equal(raw['spandex.cost'], 'computed');
	assert.equal(raw['spandex.price_table'], taken);
});
