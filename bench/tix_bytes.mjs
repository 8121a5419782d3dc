// tix_bytes.mjs: where the bytes of a store's text and field indexes (<day>.tix) go, section by
// section (docs/FORMAT.md, "The text and field index"), summed over every .tix under the
// directories given, with the bytes a span (a record covered) of each. Versions 9 to 11.
//
//   node bench/tix_bytes.mjs DIR...
//
// The text section is split into the words (their text, start offsets and postings' offsets),
// their postings, the pairs (keys, offsets, postings by form) and the triples (the same); each
// part's lists are counted by form, and its LEB128 lists' bytes by the records each holds (1,
// 2-64, 65 to the triples' bound, more), so a change of coding can be judged before it is made.
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

const FORMS = ['list', 'all', 'bits', 'sub', 'ef', 'subef'];

// A part of n lists (words: no head; pairs, triples: number and bound first): keys (8 bytes
// each, 6 from version 11, padded; none for words), offsets of ow bytes (n + 1, padded), postings; each list counted by
// its form (version 11: a form byte every list, a word's too) and, for LEB128 lists, by the
// records it holds. The part's end.
function part(b, at, name, n, ow, nrecs, bound, version, keys) {
	const dv = new DataView(b.buffer, b.byteOffset);
	const kb = !keys ? 0 : version >= 11 ? pad8(6 * n) : 8 * n; // version 11: keys of 6 bytes
	if (keys) add(`${name} keys`, kb);
	const offs = at + kb;
	add(`${name} offsets`, pad8(ow * (n + 1)));
	const off = (k) => ow === 4 ? dv.getUint32(offs + 4 * k, true) : Number(dv.getBigUint64(offs + 8 * k, true));
	const post = offs + pad8(ow * (n + 1)), plen = off(n);
	const formed = keys || version >= 11;
	for (let j = 0; j < n; j++) {
		const a = post + off(j), z = post + off(j + 1);
		const form = formed ? FORMS[b[a] & 0x1f] || '?' : 'list';
		add(`${name} postings ${form}`, z - a);
		add(`${name} count ${form}`, 1);
		if (form === 'list') {
			const c = count_list(b, a + (formed ? 1 : 0), z);
			add(`${name} list bytes, recs ${bucket(c, bound)}`, z - a);
		}
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
	let at = 128, ow = 8;
	if (version >= 11) {
		ow = dv.getUint32(at, true);
		add('text head', 8);
		at += 8;
	}
	add('words text', blob);
	at += pad8(blob);
	add('words starts', pad8(4 * (nwords + 1)));
	at += pad8(4 * (nwords + 1));
	const bound = Math.max(64, Math.floor(nrecs / 16));
	at = part(b, at, 'words', nwords, ow, nrecs, bound, version, false);
	for (const name of ['pairs', 'triples']) {
		const n = Number(dv.getBigUint64(at, true));
		add(`${name} head`, 16);
		at = part(b, at + 16, name, n, ow, nrecs, bound, version, true);
	}
	add('text section', at - 128);
	// The rest, as dayindex.c lays it out.
	const kb = 8 * nrecs + pad8(4 * nrecs) + pad8(4 * Math.ceil(nrecs / 1024));
	const counts = 16 * dv.getUint32(96, true), roots = 24 * dv.getUint32(112, true);
	const lb = Number(dv.getBigUint64(b.length - 8, true));
	add('key maps', 2 * kb);
	add('columns', 72 * nrecs);
	add('counts', counts);
	add('roots', roots);
	add('value lists', lb);
	add('id strings', b.length - lb - (at + 2 * kb + 72 * nrecs + counts + roots));
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
