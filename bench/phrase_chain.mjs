// phrase_chain.mjs: whether a phrase of four or more words could be known from a day's triples
// chained through their overlaps, and what the bits for it would cost, measured on a workspace's
// lines before any format is built for it (issue 57, goal 2 on sealed days; BENCHMARKS-HISTORY.md,
// "A phrase of four common words on sealed days").
//
//   node bench/phrase_chain.mjs WSDIR PHRASE...
//
// WSDIR holds a workspace's open <day>.jsonl files. The words are cut as lib/store/words.c cuts
// them (runs of ASCII letters and digits and non-ASCII bytes of the name, input and output as
// stored, folded), and a pair or triple is of words apart by single spaces. Per day, as a .tix of
// version 12 keeps them: a word in at most 64 records is rare (DAYINDEX_RARE_WORD), a pair is kept
// when both its words are not rare or its first is common, common when in more than a sixteenth of
// the records (words_triple_bound), a triple kept when both its pairs are kept and one is common.
// A candidate is a record holding every triple of the phrase. Two rules, each sound:
//   once:  every middle pair of the phrase occurs once in the record (the triples that share it
//          share its occurrence); costs a bit per posting of a kept pair, or the list of the
//          postings where it occurs twice or more relative to the pair's records;
//   cover: a triple of the phrase is in the record and each word past it is forced, every
//          occurrence of the pair before it being followed by it ("ABC covers AB"), and each
//          word before it likewise (every BC preceded by A); costs two bits per posting of a
//          kept triple (or the list of the minority), a triple in every record included.
// Printed: candidates, hits, known under each rule, the 64 KiB frames (cut at whole lines as
// seal cuts them) the candidates left unknown touch (and those of the candidates that are no hit,
// what any rule that knows hits only still reads), and each rule's bytes.
import fs from 'node:fs';
import path from 'node:path';

const RARE = 64;
const isw = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 128;

// The string values of name, input and output as stored (between their quotes).
function fields(b, a, z) {
	const out = [];
	for (const key of ['"name":"', '"input":"', '"output":"']) {
		const i = b.indexOf(key, a);
		if (i < 0 || i >= z) continue;
		let k = i + key.length;
		const j = k;
		for (;;) {
			k = b.indexOf(34, k);
			let bs = 0;
			for (let m = k - 1; b[m] === 92; m--) bs++;
			if (bs % 2 === 0) break;
			k++;
		}
		out.push([j, k]);
	}
	return out;
}

// The runs of words apart by single spaces of b[a..z), folded: arrays of words.
function segs(b, a, z, out) {
	let cur = [], prev = -1;
	for (let i = a; i < z;) {
		if (!isw(b[i])) { i++; continue; }
		let e = i;
		while (e < z && isw(b[e])) e++;
		if (prev >= 0 && !(i === prev + 1 && b[prev] === 32)) { out.push(cur); cur = []; }
		cur.push(b.toString('latin1', i, e).toLowerCase());
		prev = e;
		i = e;
	}
	if (cur.length) out.push(cur);
}

// The bits of an Elias-Fano list of n of u, with its count and form byte.
function efbits(n, u) {
	let l = 0;
	while (l < 32 && n * 2 ** (l + 1) <= u) l++;
	return 16 + n * (l + 2);
}
const listbits = (k, m) => Math.min(m, efbits(k, m), efbits(m - k, m));

const [dir, ...phr] = process.argv.slice(2);
const phrases = phr.map((p) => p.toLowerCase().split(/\s+/));
const T = new Map();
const add = (k, n = 1) => T.set(k, (T.get(k) || 0) + n);
const inc = (m, k) => m.set(k, (m.get(k) || 0) + 1);
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
	const b = fs.readFileSync(path.join(dir, f));
	const R = [], wrec = new Map(), prec = new Map(), frame = [];
	let fsz = 0, fno = 0;
	for (let a = 0; a < b.length;) {
		let z = b.indexOf(10, a);
		if (z < 0) z = b.length;
		const len = z - a + 1;
		if (fsz && fsz + len > 65536) { fno++; fsz = 0; }
		fsz += len;
		frame.push(fno);
		const ss = [];
		for (const [x, y] of fields(b, a, z)) segs(b, x, y, ss);
		const pc = new Map(), nx = new Map(), pv = new Map(), tc = new Map(), ws = new Set();
		for (const s of ss) {
			for (let i = 0; i < s.length; i++) {
				ws.add(s[i]);
				if (i + 1 < s.length) inc(pc, s[i] + ' ' + s[i + 1]);
				const p1 = s[i] + ' ' + s[i + 1], p2 = s[i + 1] + ' ' + s[i + 2];
				if (i + 2 < s.length) {
					inc(tc, p1 + ' ' + s[i + 2]);
					if (!nx.has(p1)) nx.set(p1, new Set());
					nx.get(p1).add(s[i + 2]);
					if (!pv.has(p2)) pv.set(p2, new Set());
					pv.get(p2).add(s[i]);
				}
			}
			if (s.length >= 2) { // a pair at a run's edge has no word after (before) it
				const e = s[s.length - 2] + ' ' + s[s.length - 1], h = s[0] + ' ' + s[1];
				if (!nx.has(e)) nx.set(e, new Set());
				nx.get(e).add(null);
				if (!pv.has(h)) pv.set(h, new Set());
				pv.get(h).add(null);
			}
		}
		for (const w of ws) inc(wrec, w);
		for (const p of pc.keys()) inc(prec, p);
		R.push({ ss, pc, nx, pv, tc });
		a = z + 1;
	}
	const n = R.length, tb = Math.max(Math.floor(n / 16), RARE);
	const kept = (p) => { const [x, y] = p.split(' '); return (wrec.get(x) > RARE && wrec.get(y) > RARE) || wrec.get(x) > tb; };
	const common = (p) => kept(p) && prec.get(p) > tb;
	const pa = new Map(), tr = new Map();
	for (const { pc, nx, pv, tc } of R) {
		for (const [p, c] of pc) {
			if (!kept(p)) continue;
			const x = pa.get(p) || [0, 0];
			x[0]++; x[1] += c > 1;
			pa.set(p, x);
		}
		for (const t of tc.keys()) {
			const w = t.split(' '), p1 = w[0] + ' ' + w[1], p2 = w[1] + ' ' + w[2];
			if (!kept(p1) || !kept(p2) || !(common(p1) || common(p2))) continue;
			const x = tr.get(t) || [0, 0, 0], a1 = nx.get(p1), a2 = pv.get(p2);
			x[0]++; x[1] += a1.size === 1; x[2] += a2.size === 1;
			tr.set(t, x);
		}
	}
	for (const [p, [m, k]] of pa) {
		if (2 * m >= n) { add('once: postings of pairs in every record (no list to hang bits on)', m); continue; }
		const c = listbits(k, m) / 8;
		add('once: bytes, kept pairs', c); add('once: postings, kept pairs', m); add('once: twice or more, kept pairs', k);
		if (common(p)) { add('once: bytes, common pairs', c); add('once: postings, common pairs', m); }
	}
	for (const [, [m, c1, c2]] of tr) {
		add('cover: postings of kept triples', m); add('cover: AB always followed by C', c1); add('cover: BC always after A', c2);
		add('cover: bytes', (listbits(c1, m) + listbits(c2, m)) / 8);
	}
	for (const pw of phrases) {
		const name = pw.join(' ');
		const tri = [];
		for (let i = 0; i + 2 < pw.length; i++) tri.push(pw.slice(i, i + 3).join(' '));
		const touched = { all: new Set(), once: new Set(), cover: new Set(), either: new Set(), 'every hit known': new Set() };
		R.forEach((r, ri) => {
			if (!tri.every((t) => r.tc.get(t))) return;
			add(`${name}: candidates`);
			const hit = r.ss.some((s) => s.join(' ').includes(name) && (' ' + s.join(' ') + ' ').includes(' ' + name + ' '));
			add(`${name}: hits`, hit);
			let once = true;
			for (let i = 1; i + 2 < pw.length; i++) once = once && r.pc.get(pw[i] + ' ' + pw[i + 1]) === 1;
			let cover = false;
			for (let k = 0; !cover && k < tri.length; k++) {
				let ok = true;
				for (let i = k + 3; ok && i < pw.length; i++) {
					const s = r.nx.get(pw[i - 2] + ' ' + pw[i - 1]);
					ok = s && s.size === 1 && s.has(pw[i]);
				}
				for (let i = k - 1; ok && i >= 0; i--) {
					const s = r.pv.get(pw[i + 1] + ' ' + pw[i + 2]);
					ok = s && s.size === 1 && s.has(pw[i]);
				}
				cover = ok;
			}
			if ((once || cover) && !hit) throw new Error(`unsound at ${f} record ${ri}`);
			add(`${name}: known, once`, once); add(`${name}: known, cover`, cover); add(`${name}: known, either`, once || cover);
			touched.all.add(frame[ri]);
			if (!once) touched.once.add(frame[ri]);
			if (!cover) touched.cover.add(frame[ri]);
			if (!once && !cover) touched.either.add(frame[ri]);
			if (!hit) touched['every hit known'].add(frame[ri]);
		});
		for (const [k, s] of Object.entries(touched)) add(`${name}: frames, ${k === 'all' ? 'every candidate' : 'left by ' + k}`, s.size);
	}
	add("records", n);
	process.stderr.write(`${f} ${n}\n`);
	add('frames', fno + 1);
}
for (const [k, v] of [...T].sort()) console.log(`${k}: ${Math.round(v)}`);
