// app: the shell of the trace viewer: the workspace picker, the navigation, the key prompt
// and the router that mounts one view per hash (route.js). No server code of its own: every
// byte of data comes from the public Intake API of this origin (api.js).
import { h, clear } from './dom.js';
import { parse, href, WS_RE } from './route.js';
import { setKeyPrompt, getKey, setKey, onKeyChange, setWorkspace, api, ApiError } from './api.js';
import { heading, errorBox, loading } from './views/common.js';
import { mount as tracesMount } from './views/traces.js';

// The traces table is the first screen of most visits: its code comes with this module. The
// other views' modules are fetched when first shown.
const VIEW = {
	traces: () => Promise.resolve(tracesMount),
	trace: () => import('./views/trace.js').then((m) => m.mount),
	sessions: () => import('./views/sessions.js').then((m) => m.mountList),
	session: () => import('./views/sessions.js').then((m) => m.mountOne),
	overview: () => import('./views/overview.js').then((m) => m.mount),
};

const RECENT = 'spandex.workspaces';

function recentWorkspaces() {
	try {
		const v = JSON.parse(localStorage.getItem(RECENT) || '[]');
		return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
	} catch {
		return [];
	}
}

function rememberWorkspace(ws) {
	const list = [ws, ...recentWorkspaces().filter((x) => x !== ws)].slice(0, 12);
	try {
		localStorage.setItem(RECENT, JSON.stringify(list));
	} catch {
		// not kept
	}
	showWorkspaces();
}

// The picker's list: the workspaces the key may read (the server's list, GET
// /apis/intake/v2/workspaces: every one with authentication off), then those opened here.
let listed = [];
function showWorkspaces() {
	const dl = document.getElementById('ws-list');
	const names = [...new Set([...listed, ...recentWorkspaces()])];
	clear(dl).append(...names.map((w) => h('option', { value: w })));
}
let listSeq = 0;
async function listWorkspaces() {
	const seq = ++listSeq;
	const names = await api.workspaces().catch(() => null);
	if (seq !== listSeq || !names) return;
	listed = names;
	showWorkspaces();
}

// ---- the key prompt (a workspace key, or SPANDEX_TOKEN) ----

const dialog = document.getElementById('key-dialog');
const keyInput = document.getElementById('key-input');
const keyReason = document.getElementById('key-reason');
const keyForget = document.getElementById('key-forget');
const keyShow = document.getElementById('key-show');
const keyButton = document.getElementById('key-button');

// The key of workspace ws (the one shown when not given), kept for it.
function promptKey(reason, ws = parse(location.hash).ws) {
	return new Promise((resolve) => {
		keyReason.textContent = reason || '';
		keyReason.hidden = !reason;
		keyInput.value = '';
		keyForget.hidden = !getKey(ws);
		dialog.returnValue = '';
		const done = () => {
			dialog.removeEventListener('close', done);
			const v = keyInput.value.trim();
			if (dialog.returnValue === 'forget') {
				setKey('', ws);
				resolve(null);
			} else if (dialog.returnValue === 'ok' && v) {
				setKey(v, ws);
				resolve(v);
			} else {
				resolve(null);
			}
			keyInput.value = '';
		};
		dialog.addEventListener('close', done);
		if (!dialog.open) dialog.showModal();
		keyInput.focus();
	});
}
keyShow.addEventListener('change', () => {
	keyInput.type = keyShow.checked ? 'text' : 'password';
});
setKeyPrompt(promptKey);
const syncKeyButton = (has) => {
	keyButton.hidden = !has;
};
onKeyChange(() => listWorkspaces()); // another key may read other workspaces
onKeyChange(syncKeyButton);
syncKeyButton(!!getKey());
listWorkspaces();
// Asked for from a view's error box (a cancelled prompt), or to change or forget the key.
async function askKey() {
	const k = await promptKey(null);
	if (k !== null || !getKey()) route({ force: true });
}
keyButton.addEventListener('click', askKey);

// ---- workspace picker ----

const wsForm = document.getElementById('ws-form');
const wsInput = document.getElementById('ws-input');
const wsError = document.getElementById('ws-error');
wsForm.addEventListener('submit', (e) => {
	e.preventDefault();
	const ws = wsInput.value.trim();
	if (!WS_RE.test(ws)) {
		wsError.hidden = false;
		wsInput.setAttribute('aria-invalid', 'true');
		wsInput.focus();
		return;
	}
	wsError.hidden = true;
	wsInput.removeAttribute('aria-invalid');
	const r = parse(location.hash);
	// The same view in the other workspace; an id (trace, session) belongs to the old one.
	location.hash = href(ws, r.view === 'notfound' ? 'traces' : r.view, null, r.view === 'overview' ? r.params : null);
});
wsInput.addEventListener('input', () => {
	wsError.hidden = true;
	wsInput.removeAttribute('aria-invalid');
});

// ---- the router ----

const main = document.getElementById('main');
let current = null;

function setTitle(t) {
	document.title = `${t} · spandex`;
}

function pick(r) {
	if (r.view === 'traces') return VIEW[r.id ? 'trace' : 'traces']();
	if (r.view === 'sessions') return VIEW[r.id ? 'session' : 'sessions']();
	if (r.view === 'overview') return VIEW.overview();
	return Promise.resolve((root, rr, ctx) => {
		ctx.setTitle('Not found');
		root.append(heading('No such view'), h('p', 'This link names no view of the trace viewer. ', h('a', { href: href(rr.ws, 'traces') }, 'Go to the traces')));
		return {};
	});
}

// The links the opik SDK prints ("Started logging traces to the ... project at
// /api/v1/session/redirect/projects/?trace_id=...&path=..."), which the server sends here as
// #/_opik/projects?trace_id=...: the trace, in the first of this browser's workspaces (the
// last opened first, then `default`) that has it. Its experiment and dataset links name
// nothing spandex keeps. `_` starts no workspace name (WS_RE).
const OPIK_LINK = /^#\/_opik\/([a-z]+)\/?(?:\?(.*))?$/;
let opikSeq = 0;
async function openOpikLink(what, params) {
	const seq = ++opikSeq;
	const id = params.get('trace_id');
	if (current) {
		current.controller.abort();
		current.instance.destroy?.();
		current = null;
	}
	setTitle('Opening a link of the opik SDK');
	clear(main).append(loading('Finding the trace…'));
	await listWorkspaces();
	if (seq !== opikSeq) return;
	const tried = [...new Set([...recentWorkspaces(), 'default', ...listed])];
	for (const ws of what === 'projects' && id ? tried : []) {
		try {
			await api.trace(ws, id, { quiet: true });
		} catch (e) {
			if (seq !== opikSeq) return;
			if (e instanceof ApiError && [403, 404].includes(e.status)) continue;
			clear(main).append(errorBox(e, { what: 'The trace of this link', askKey, retry: () => openOpikLink(what, params) }));
			return;
		}
		if (seq !== opikSeq) return;
		history.replaceState(null, '', href(ws, 'traces', id));
		route();
		return;
	}
	if (seq !== opikSeq) return;
	const home = href(tried[0], 'traces');
	clear(main).append(heading(what === 'projects' && id ? 'Trace not found' : 'Nothing to show for this link'),
		h('p', what === 'projects' && id
			? `Trace ${id} is in none of the workspaces this browser knows (${tried.length > 8 ? `${tried.slice(0, 8).join(', ')} and ${tried.length - 8} more` : tried.join(', ')}). Open its workspace with the picker above, then its trace.`
			: `This link of the opik SDK names ${what === 'projects' ? 'no trace' : `its ${what}, which spandex does not keep`}.`),
		h('p', h('a', { href: home }, 'Go to the traces')));
}

function route({ force = false } = {}) {
	const link = OPIK_LINK.exec(location.hash);
	if (link) return void openOpikLink(link[1], new URLSearchParams(link[2] || ''));
	const r = parse(location.hash);
	if (!r.ws) {
		const ws = recentWorkspaces()[0] || 'default';
		history.replaceState(null, '', href(ws, 'traces'));
		return route();
	}
	wsInput.value = r.ws;
	setWorkspace(r.ws);
	rememberWorkspace(r.ws);
	keyButton.hidden = !getKey(r.ws);
	for (const a of document.querySelectorAll('[data-nav]')) {
		a.href = href(r.ws, a.dataset.nav);
		if (a.dataset.nav === r.view) a.setAttribute('aria-current', 'page');
		else a.removeAttribute('aria-current');
	}
	const key = `${r.ws}\u0000${r.view}\u0000${r.id ?? ''}`;
	if (!force && current && current.key === key && current.instance.update?.(r)) return;
	const first = !current;
	if (current) {
		current.controller.abort();
		current.instance.destroy?.();
	}
	const controller = new AbortController();
	const ctx = { ws: r.ws, signal: controller.signal, setTitle, askKey };
	// The view is in place (possibly still loading its code) from here on: a later route
	// aborts and replaces it.
	const slot = { key, instance: {}, controller };
	current = slot;
	if (!main.querySelector('.loading')) clear(main).append(loading());
	const show = (mount) => {
		if (current !== slot) return;
		clear(main);
		try {
			slot.instance = mount(main, r, ctx) || {};
		} catch (e) {
			clear(main).append(errorBox(e));
			return;
		}
		// After a navigation (not the first load) focus goes to the new page's heading, so
		// keyboard and screen-reader users start at the top of what changed.
		if (!first && !slot.instance.focus) main.querySelector('.page-title')?.focus({ preventScroll: true });
		if (!first) window.scrollTo(0, 0);
	};
	pick(r).then(show, (e) => {
		// The module itself failed to load (a server gone, a half-upgraded install).
		if (current === slot) clear(main).append(errorBox(new Error(`The viewer could not load its code: ${e?.message || e}`), { retry: () => location.reload() }));
	});
}

window.addEventListener('hashchange', () => route());
document.getElementById('skip').addEventListener('click', () => {
	(main.querySelector('.page-title') || main).focus();
});
route();
