// Limits of the process, not of the request: a batch of spans on many days keeps two
// descriptors open for each day, and under the soft limit systemd gives a service (1024) a
// valid batch of 1,000 days was refused 503 "Too many open files; retry later" forever (fault
// probe). The store raises the soft limit to the hard one; here the soft limit is 256.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCgi, BUILDDIR, WS_PREFIX } from '../harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-cgi-limits-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a batch over 300 days is stored under a soft limit of 256 open files', async () => {
	const wrapper = path.join(tmp, 'ingest');
	fs.writeFileSync(wrapper, `#!/bin/sh\nulimit -Sn 256 || exit 3\nexec '${path.join(BUILDDIR, 'cgi-bin', 'ingest')}'\n`, { mode: 0o755 });
	const data = path.join(tmp, 'data');
	fs.mkdirSync(data);
	const day0 = Date.UTC(2022, 0, 1);
	const spans = Array.from({ length: 300 }, (_, d) => ({
		span_id: `day-${d}`, trace_id: `t-${d}`, name: 'x', started_at: new Date(day0 + d * 86400000).toISOString(),
	}));
	const { done } = runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/many/ingest/spans`, body: { source: 'itest', spans }, dataDir: data, bin: wrapper });
	const r = await done;
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.status, 201, r.body);
	assert.equal(fs.readdirSync(path.join(data, 'many')).filter((f) => f.endsWith('.jsonl')).length, 300);
});
