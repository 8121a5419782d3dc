// common: the pieces every view shows the same way: loading, errors (the API's detail, never
// a blank page), empty states, headings and the back link to the last list.
import { h } from '../dom.js';
import { ApiError } from '../api.js';

const REASONS = {
	0: 'Cannot reach the API', 400: 'The API refused the request (400)', 401: 'A key is needed (401)',
	403: 'Not allowed (403)', 404: 'Not found (404)', 405: 'Method not allowed (405)', 413: 'Too large (413)',
	422: 'The API refused a parameter (422)', 429: 'Too many requests (429)', 500: 'The server failed (500)',
	502: 'The spandex program is not running (502)', 503: 'The store is unavailable (503)', 504: 'The API took too long (504)',
};

// A readable box for a failed request: the API's own `detail`, what was asked, and ways on.
export function errorBox(err, { retry, askKey, what } = {}) {
	const status = err instanceof ApiError ? err.status : null;
	const title = status !== null ? (REASONS[status] || `The API answered ${status}`) : 'Something went wrong in the viewer';
	const detail = err instanceof ApiError ? err.detail : String(err?.message || err);
	const path = err instanceof ApiError && err.url ? decodeURIComponent(err.url) : null;
	const box = h('div.error-box', { role: 'alert' },
		h('h2.error-title', what ? `${what}: ${title.charAt(0).toLowerCase()}${title.slice(1)}` : title),
		h('p.error-detail', detail),
		path ? h('p.error-request', h('span.muted', `${err.method || 'GET'} `), h('code', path)) : null);
	const actions = h('div.actions');
	if (status === 401 && askKey) actions.append(h('button.primary', { type: 'button', onclick: askKey }, 'Enter key'));
	if (retry) actions.append(h('button', { type: 'button', onclick: retry }, 'Try again'));
	if (actions.childNodes.length) box.append(actions);
	if (!(err instanceof ApiError) && err?.name !== 'AbortError') console.error(err); // a viewer bug: the tests fail on it
	return box;
}

export function loading(text = 'Loading…') {
	return h('div.loading', { role: 'status' }, h('span.spinner', { 'aria-hidden': 'true' }), text);
}

export function empty(title, ...body) {
	return h('div.empty', h('p.empty-title', title), ...body);
}

export const isAbort = (e) => e?.name === 'AbortError';

// The page heading: focusable so a route change can move focus (and screen readers) to it.
export function heading(text, ...after) {
	return h('div.page-head', h('h1.page-title', { tabindex: '-1' }, text), ...after);
}

// Where "back to the list" goes: the list URL the user last saw (filters and page kept).
const LAST_LIST = 'spandex.lastList';
export function rememberList(hash) {
	try {
		sessionStorage.setItem(LAST_LIST, hash);
	} catch {
		// not kept
	}
}
export function lastList(fallback) {
	try {
		const v = sessionStorage.getItem(LAST_LIST);
		if (v && v.startsWith(fallback.split('?')[0])) return v;
	} catch {
		// fall back
	}
	return fallback;
}

// A definition list from [label, value] pairs, skipping empty values.
export function facts(pairs, cls = 'facts') {
	const dl = h(`dl.${cls}`);
	for (const [k, v] of pairs) {
		if (v === null || v === undefined || v === '' || v === false) continue;
		dl.append(h('div', h('dt', k), h('dd', v)));
	}
	return dl;
}

// The Export control of a list or a trace: a menu of the formats (JSONL, the stored spans; CSV,
// a row per span), each saving what the page shows through save(format, fileExtension),
// which resolves once the file is written (api.download). It says while an export runs and
// why one failed.
export function exportMenu(save) {
	const note = h('span.export-note', { role: 'status' });
	const menu = h('details.export-menu', h('summary.button', { title: 'Save every span this page shows as a file' }, 'Export'));
	const pick = async (format, ext) => {
		menu.open = false;
		note.textContent = 'Exporting…';
		try {
			note.textContent = (await save(format, ext)) ? 'Saved.' : '';
		} catch (e) {
			note.textContent = isAbort(e) ? '' : `Export failed: ${e.detail || e.message}`;
		}
	};
	menu.append(h('div.menu', { role: 'menu' },
		h('button', { type: 'button', role: 'menuitem', onclick: () => pick('jsonl', 'jsonl') }, 'JSONL (one span a line)'),
		h('button', { type: 'button', role: 'menuitem', onclick: () => pick('csv', 'csv') }, 'CSV (a row per span)')));
	return h('div.export', menu, note);
}
