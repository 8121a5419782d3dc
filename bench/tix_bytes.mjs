// tix_bytes.mjs: where the bytes of a store's text and field indexes (<day>.tix) go, section by
// section (docs/FORMAT.md, "The text and field index"), summed over every .tix under the
// directories given, with the bytes a span (a record covered) of each. Versions 9 to 11.
//
//   node bench/tix_bytes.mjs DIR...
//
// The text section is split into the words (their text, start offsets and postings' offsets),
// their postings, the pairs (keys, offsets, postings by form) and the triples (the same), and
// the postings of words, pairs and triples are counted by the records each holds (1, 2-64,
// 65-the triples' bound, more), so a change of coding can be judged before it is made.
import fs from 'node:fs';
import path from 'node:path';

const pad8 = (n) => (n + 7) & ~7;
const tot = new Map();
const add = (k, n) => tot.set(k, (tot.get(k) || 0) + n);
let recs = 0, files = 0;

function files_of(dir) {
	const out = [];
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) out.push(...files_of(p));
		else if (e.name.endsWith('.tix')) out.push(p);
	}
	return out;
}

// The records of a LEB128 delta list: its bytes less 0x80-flagged ones.
function count_list(b, a, z) {
	let n = 0;
	for (let i = a; i < z; i++) if (b[i] < 0x80) n++;
	return n;
}

function bucket(n, bound) {
	return n <= 1 ? '1' : n <= 64 ? '2-64' : n <= bound ? '65-bound' : '>bound';
}

// Old layout (versions 9, 10): keys uint64, offsets uint64 (n + 1), postings in forms.
function old_part(b, at, name, nrecs, bound) {
	const dv = new DataView(b.buffer, b.byteOffset);
	const n = Number(dv.getBigUint64(at, true));
	const head = 16;
	add(`${name} head`, head);
	const keys = at + head, offs = keys + 8 * n, post = offs + 8 * (n + 1);
	add(`${name} keys`, 8 * n);
	add(`${name} offsets`, 8 * (n + 1));
	const plen = Number(dv.getBigUint64(offs + 8 * n, true));
	for (let j = 0; j < n; j++) {
		const a = post + Number(dv.getBigUint64(offs + 8 * j, true));
		const z = post + Number(dv.getBigUint64(offs + 8 * j + 8, true));
		const form = b[a] & ~0x40;
		const fname = ['list', 'all', 'bits', 'sub'][form] || '?';
		add(`${name} postings ${fname}`, z - a);
		add(`${name} count ${fname}`, 1);
		if (form === 0) add(`${name} list bytes, recs ${bucket(count_list(b, a + 1, z), bound)}`, z - a);
	}
	add(`${name} padding`, pad8(plen) - plen);
	return post + pad8(plen);
}

function one(file) {
	const b = fs.readFileSync(file);
	const dv = new DataView(b.buffer, b.byteOffset);
	const version = dv.getUint32(8, true), nwords = dv.getUint32(20, true);
	const nrecs = Number(dv.getBigUint64(24, true)), blob = Number(dv.getBigUint64(48, true));
	if (version < 9 || version > 11) return;
	files++;
	recs += nrecs;
	add('file', b.length);
	add('header', 128);
	let at = 128;
	add('words text', blob);
	at += pad8(blob);
	add('words starts', pad8(4 * (nwords + 1)));
	at += pad8(4 * (nwords + 1));
	let plen;
	const bound = Math.max(64, Math.floor(nrecs / 16));
	if (version < 11) {
		add('words offsets', 8 * (nwords + 1));
		const poffs = at;
		at += 8 * (nwords + 1);
		plen = Number(dv.getBigUint64(poffs + 8 * nwords, true));
		for (let k = 0; k < nwords; k++) {
			const a = at + Number(dv.getBigUint64(poffs + 8 * k, true));
			const z = at + Number(dv.getBigUint64(poffs + 8 * k + 8, true));
			add(`words list bytes, recs ${bucket(count_list(b, a, z), bound)}`, z - a);
			add(`words count, recs ${bucket(count_list(b, a, z), bound)}`, 1);
		}
		add('words postings', plen);
		at += pad8(plen);
		at = old_part(b, at, 'pairs', nrecs, bound);
		at = old_part(b, at, 'triples', nrecs, bound);
	} else {
		at = Number(globalThis.tix11 ? globalThis.tix11(b, at, nwords, nrecs, add) : b.length);
	}
	add('text section', at - 128);
	// The rest, as dayindex.c lays it out.
	const kb = 8 * nrecs + pad8(4 * nrecs) + pad8(4 * Math.ceil(nrecs / 1024));
	add('key maps', 2 * kb);
	add('columns', 72 * nrecs);
	add('counts', 16 * dv.getUint32(96, true));
	add('roots', 24 * dv.getUint32(112, true));
	const lb = Number(dv.getBigUint64(b.length - 8, true));
	add('value lists', lb);
	add('id strings', b.length - lb - (at + 2 * kb + 72 * nrecs + 16 * dv.getUint32(96, true) +
		24 * dv.getUint32(112, true)));
}

const dirs = process.argv.slice(2);
if (!dirs.length) {
	console.error('usage: node bench/tix_bytes.mjs DIR...');
	process.exit(2);
}
for (const d of dirs) for (const f of files_of(d)) one(f);
const file = tot.get('file') || 0;
console.log(`${files} files, ${recs} records, ${file} bytes, ${(file / recs).toFixed(1)} a record`);
for (const [k, v] of [...tot.entries()].sort((x, y) => y[1] - x[1]))
	if (k.includes(' count')) console.log(`${k.padEnd(44)} ${String(v).padStart(12)} entries`);
	else console.log(`${k.padEnd(44)} ${String(v).padStart(12)} ${(v / recs).toFixed(1).padStart(8)} ${(100 * v / file).toFixed(1).padStart(5)}%`);
