// The fast tier: each program of nginx/programs that has golden files (t/golden/<program>/:
// cgi-bin/opik and cgi-bin/egp, with cgi-bin/ingest for their NeMo fixtures) run once per
// request as plain CGI (RFC 3875; cgit's way), no nginx and no sockets, on a fresh data
// directory, against those files (the cases of t/golden_cases.mjs' GOLDEN, which the nginx
// tier runs too). A reply that differs, a 5xx, a crash or a sanitizer report fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SRCDIR, cgiRequest, programs } from '../harness.mjs';
import { GOLDEN } from '../golden_cases.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-cgi-golden-'));
const request = (method, p, opts) => cgiRequest(tmp, method, p, opts);
const names = programs().map((p) => p.name);
const sets = names.filter((n) => fs.existsSync(path.join(SRCDIR, 't', 'golden', n)));
const ctx = {};
before(async () => {
	for (const n of sets) ctx[n] = await GOLDEN[n].fixtures(request);
});
after(() => {
	if (process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

test('each program with golden files has its cases, and each set of cases its program', () => {
	assert.deepEqual(sets.filter((n) => !GOLDEN[n]), [], 't/golden/<program> without a set in t/golden_cases.mjs GOLDEN');
	assert.deepEqual(Object.keys(GOLDEN).filter((n) => !sets.includes(n)), [], 'a set of GOLDEN without its program or t/golden/<program>');
});
for (const n of sets.filter((x) => GOLDEN[x])) {
	test(`${n}: case names are unique and every golden file has a case`, GOLDEN[n].names);
	for (const c of GOLDEN[n].cases) test(`${n} ${c[0]}`, () => GOLDEN[n].run(request, c, ctx[n]));
}
