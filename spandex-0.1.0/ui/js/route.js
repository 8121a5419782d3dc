// route: every view is a link. The hash holds the workspace, the view, an id and the view's
// state: #/{workspace}/traces?status=error&page=2, #/{workspace}/traces/{id}?span={span},
// #/{workspace}/sessions, #/{workspace}/sessions/{id}, #/{workspace}/overview?range=7d.

export const VIEWS = ['traces', 'sessions', 'overview'];

// {ws, view, id, params} from a hash; ws null when the hash names none.
export function parse(hash) {
	const raw = (hash || '').replace(/^#\/?/, '');
	const [path, query = ''] = splitOnce(raw, '?');
	const parts = path.split('/').filter((p) => p !== '').map(safeDecode);
	const params = new URLSearchParams(query);
	const ws = parts[0] || null;
	const view = VIEWS.includes(parts[1]) ? parts[1] : parts[1] ? 'notfound' : 'traces';
	const id = parts.length > 2 ? parts.slice(2).join('/') : null;
	return { ws, view, id, params };
}

function splitOnce(s, sep) {
	const i = s.indexOf(sep);
	return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function safeDecode(s) {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

// '#/ws/view/id?k=v'; params: an object or URLSearchParams, empty values dropped.
export function href(ws, view, id, params) {
	let s = `#/${encodeURIComponent(ws)}/${view}`;
	if (id) s += `/${encodeURIComponent(id)}`;
	const q = new URLSearchParams();
	const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params || {});
	for (const [k, v] of entries) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
	const qs = q.toString();
	return qs ? `${s}?${qs}` : s;
}

// The workspace naming rule of the API (reference section 10), checked before asking.
export const WS_RE = /^[a-z](?!.*--)[a-z0-9\-@.+_]{1,62}(?<!-)$/;
