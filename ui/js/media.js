// media: the images, recordings and documents spandex moved out of spans at ingest
// (docs/media.md), shown where the span referenced them: images as images, audio and video
// with a player, PDFs and anything else as a link. A reference is
// spandex-media://sha256/<hex>?type=<type>&bytes=<n>, or the tag Langfuse's SDKs leave for a
// file they uploaded through its media API, @@@langfuseMedia:type=<type>|id=<id>|source=...@@@
// (the media route takes its id as the file's name); its bytes come from the media route with
// the viewer's key (so not by a plain src=, which sends none) and are shown from a blob: URL.
import { h, fmtInt } from './dom.js';
import { api } from './api.js';

const REF_RE = /spandex-media:\/\/sha256\/([0-9a-f]{64})(?:\?type=([A-Za-z0-9.+/-]+)&bytes=(\d+))?/g;
const TAG_RE = /@@@langfuseMedia:type=([A-Za-z0-9.+/\\-]+)\|id=([A-Za-z0-9_-]{22})\|[^@]*@@@/g;

// The references in a value (a string, or any JSON), each once, in order: spandex's, then
// Langfuse's tags (a tag's type is what its client declared).
export function mediaRefs(value) {
	const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
	const seen = new Map();
	for (const m of text.matchAll(REF_RE))
		if (!seen.has(m[1])) seen.set(m[1], { hex: m[1], type: m[2] || 'application/octet-stream', bytes: m[3] ? Number(m[3]) : null });
	for (const m of text.matchAll(TAG_RE))
		if (!seen.has(m[2])) seen.set(m[2], { hex: m[2], type: m[1].replaceAll('\\', ''), bytes: null });
	return [...seen.values()];
}

// The blob: URLs of the files fetched, by workspace and hash, the oldest let go past CACHE.
const CACHE = 64;
const urls = new Map();
function blobUrl(ws, hex) {
	const k = `${ws}\u0000${hex}`;
	if (!urls.has(k)) {
		const p = api.media(ws, hex).then((blob) => URL.createObjectURL(blob));
		p.catch(() => urls.delete(k));
		urls.set(k, p);
		if (urls.size > CACHE) {
			const [oldest, first] = urls.entries().next().value;
			urls.delete(oldest);
			first.then((u) => URL.revokeObjectURL(u), () => {});
		}
	}
	return urls.get(k);
}

const size = (n) => (n === null ? '' : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${fmtInt(Math.round(n / 1024))} KB` : `${fmtInt(n)} bytes`);

// One reference of ws, shown by its type; a caption says what it is and how large.
export function mediaView(ws, ref) {
	const kind = ref.type.startsWith('image/') ? 'image' : ref.type.startsWith('audio/') ? 'audio'
		: ref.type.startsWith('video/') ? 'video' : ref.type === 'application/pdf' ? 'pdf' : 'file';
	const body = h('div.media-body', h('span.muted', 'Loading…'));
	const caption = h('figcaption.muted', `${ref.type} · ${size(ref.bytes)}`.replace(/ · $/, ''));
	const fig = h(`figure.media.media-${kind}`, { dataset: { sha256: ref.hex } }, body, caption);
	blobUrl(ws, ref.hex).then((src) => {
		const name = `${ref.hex.slice(0, 12)}…`;
		const el = kind === 'image' ? h('img', { src, alt: `Image ${name} from the span` })
			: kind === 'audio' ? h('audio', { src, controls: true, preload: 'metadata' })
				: kind === 'video' ? h('video', { src, controls: true, preload: 'metadata' })
					: kind === 'pdf' ? h('a', { href: src, target: '_blank', rel: 'noopener' }, `Open the PDF (${size(ref.bytes)})`)
						: h('a', { href: src, download: ref.hex }, `Download the file (${size(ref.bytes)})`);
		body.replaceChildren(el);
	}, (e) => {
		body.replaceChildren(h('span.media-error', `Not loaded: ${e?.detail || e?.message || 'error'}`));
	});
	return fig;
}

// The media a value references, shown in a row; null when it references none (or there is no
// workspace to fetch them from).
export function mediaStrip(ws, value) {
	const refs = typeof ws === 'string' && ws ? mediaRefs(value) : [];
	return refs.length ? h('div.media-strip', refs.map((r) => mediaView(ws, r))) : null;
}
