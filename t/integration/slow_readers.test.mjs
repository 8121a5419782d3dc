// Slow readers and the disk (issue 55, item 5): nginx takes a program's reply whole so that the
// worker is free at once, past its 512 KiB of buffers into a temporary file; six slow readers of
// 250 MB replies pinned 1,460 MiB of them. Now one reply pins at most genconf -T of temporary
// file (past it nginx reads on from the program as the client takes the reply), and one client
// address has at most genconf -C requests in progress (past it a 429 in the API's shape), so
// what one client can pin is at most their product (docs/limits.md). Here -T 4m and -C 3, over
// replies of about 20 MB read at about 5 MB/s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { startServer, childPids, waitFor, WS_PREFIX } from '../harness.mjs';

const TEMP = 4 << 20;
const CONNS = 3;
const SPANS = 250;
let srv;
before(async () => {
	srv = await startServer({ workers: { spans: 3 }, replyTemp: '4m', conns: CONNS });
	// 250 spans of 80 KB each, 50 a batch (4 MB, under the 8 MiB body limit).
	for (let i = 0; i < SPANS; i += 50) {
		const spans = Array.from({ length: 50 }, (_, k) => ({
			span_id: `big-${i + k}`, trace_id: `t-${i + k}`, name: `call ${i + k}`,
			started_at: new Date(Date.UTC(2026, 0, 5, 0, 0, i + k)).toISOString(), input: `${i + k} ${'lorem ipsum '.repeat(6800)}`,
		}));
		const r = await srv.request('POST', `${WS_PREFIX}/slow/ingest/spans`, { body: { source: 'itest', spans } });
		assert.equal(r.status, 201, r.text);
	}
});
after(async () => {
	await srv?.stop();
});

const PAGE = `${WS_PREFIX}/slow/spans?page_size=${SPANS}&sort=started_at`;

// The bytes of the temporary files nginx's workers hold open under the run directory (nginx
// may unlink them as soon as it made them, so they are looked for among its descriptors).
function tempBytes() {
	let n = 0;
	for (const pid of childPids(srv.procs.nginx.pid)) {
		let fds = [];
		try {
			fds = fs.readdirSync(`/proc/${pid}/fd`);
		} catch {
			continue; // gone
		}
		for (const fd of fds) {
			try {
				if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${srv.runDir}/tmp/`)) n += fs.statSync(`/proc/${pid}/fd/${fd}`).size;
			} catch {
				// closed meanwhile
			}
		}
	}
	return n;
}

// A GET of PAGE whose body is read only when read(bytes) is called. Resolves to {status, headers,
// read, done} once the head is in; done resolves to the whole body once it has all been read.
function slowGet() {
	return new Promise((resolve, reject) => {
		const req = http.get(`${srv.base}${PAGE}`, { agent: false, highWaterMark: 256 << 10 }, (res) => {
			res.pause();
			const chunks = [];
			let ended = false;
			const done = new Promise((ok) => res.once('end', () => {
				ended = true;
				ok(Buffer.concat(chunks).toString('utf8'));
			}));
			const read = (bytes) => {
				let got = 0, c;
				while (got < bytes && (c = res.read()) !== null) {
					chunks.push(c);
					got += c.length;
				}
				if (!ended) res.read(0); // let the end come when the body is all read
				return got;
			};
			resolve({ status: res.statusCode, headers: res.headers, read, done, drain: () => res.resume() && res.on('data', (c) => chunks.push(c)) });
		});
		req.on('error', reject);
	});
}

test('slow readers of large replies pin at most -T of temporary file each', { timeout: 600000 }, async () => {
	const readers = [await slowGet(), await slowGet()];
	for (const r of readers) assert.equal(r.status, 200);
	let most = 0;
	const bodies = readers.map((r) => r.done);
	let finished = 0;
	for (const b of bodies) b.then(() => finished++);
	// Nothing read yet: nginx takes the replies into its temporary files (a program slower than
	// the reads below, on a loaded machine, would leave them empty).
	most = await waitFor('nginx to take a reply into a temporary file', () => tempBytes());
	// At most 256 KiB every 20 ms each (about 12 MB a second at most), the temporary files
	// looked at between reads, until both bodies are whole.
	while (finished < readers.length) {
		for (const r of readers) r.read(256 << 10);
		most = Math.max(most, tempBytes());
		await new Promise((res) => setTimeout(res, 20));
	}
	const pages = (await Promise.all(bodies)).map((t) => JSON.parse(t));
	for (const p of pages) assert.equal(p.data.length, SPANS);
	console.log(`# slow readers: ${readers.length} replies of ${(Buffer.byteLength(JSON.stringify(pages[0])) / 1e6).toFixed(1)} MB, at most ${(most / 1048576).toFixed(2)} MiB of temporary files (bound ${readers.length} x ${TEMP / 1048576} MiB)`);
	// One write of nginx's may pass the bound by its temp_file_write_size (64 KiB).
	assert.ok(most <= readers.length * (TEMP + (64 << 10)), `${most} bytes of temporary files`);
	assert.ok(most > 0, 'the replies did go through temporary files (else the test shows nothing)');
});

test('a client address past -C requests in progress gets a 429 in the API\'s shape', { timeout: 600000 }, async () => {
	const held = [];
	for (let i = 0; i < CONNS; i++) held.push(await slowGet());
	const r = await srv.request('GET', `${WS_PREFIX}/slow/spans/big-1`);
	assert.equal(r.status, 429, r.text);
	assert.equal(r.headers['retry-after'], '1');
	assert.deepEqual(Object.keys(r.json), ['detail']);
	const opik = await srv.request('GET', '/v1/private/spans?project_name=x', { headers: { 'Comet-Workspace': 'slow' } });
	assert.equal(opik.status, 429, opik.text);
	assert.deepEqual(Object.keys(opik.json).sort(), ['code', 'message']);
	// Read to the end, the held replies are whole, and the address is served again.
	for (const h of held) h.drain();
	for (const h of held) assert.equal(JSON.parse(await h.done).data.length, SPANS);
	const again = await srv.request('GET', `${WS_PREFIX}/slow/spans/big-1`);
	assert.equal(again.status, 200, again.text);
});
