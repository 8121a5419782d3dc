// render: a span's input and output as people read them. Chat messages (OpenAI-style message
// arrays, {role, content} objects, chat-completions requests and responses, Responses API
// items) become bubbles; other JSON is pretty-printed with colours; plain text stays text.
import { h } from './dom.js';
import { mediaStrip } from './media.js';

// The value of an input/output field: the API stores them as strings, often JSON text.
export function decode(value) {
	if (typeof value !== 'string') return value;
	const t = value.trim();
	if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
		try {
			return JSON.parse(t);
		} catch {
			return value;
		}
	}
	return value;
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
// A message's content alone, a list of parts of text and images (an ATIF step's message).
const isParts = (v) => Array.isArray(v) && v.length > 0 && v.every((p) => isObj(p) && (p.type === 'text' ? typeof p.text === 'string' : p.type === 'image'));
const isMessage = (m) => isObj(m) && typeof m.role === 'string' &&
	('content' in m || 'tool_calls' in m || 'function_call' in m || 'parts' in m);

// A message part of another convention in the vocabulary below: GenAI's (`parts` of {type:
// text|reasoning, content}, tool_call, tool_call_response; blob, uri and file named by their
// modality, their bytes left to Raw) and the AI SDK's (tool-call, tool-result).
function part(p) {
	if (!isObj(p)) return p;
	if ((p.type === 'text' || p.type === 'reasoning') && typeof p.text !== 'string' && typeof p.content === 'string') return { type: 'text', text: p.content };
	if (p.type === 'tool_call') return { type: 'tool_use', id: p.id, name: p.name, input: p.arguments };
	if (p.type === 'tool-call') return { type: 'tool_use', id: p.toolCallId, name: p.toolName, input: p.input ?? p.args };
	if (['blob', 'uri', 'file'].includes(p.type)) return { type: 'text', text: `[${p.modality || p.type}]` };
	if (p.type === 'tool_call_response') return { type: 'tool_result', tool_use_id: p.id, content: p.response ?? p.result };
	if (p.type === 'tool-result') return { type: 'tool_result', tool_use_id: p.toolCallId, content: p.output?.value ?? p.output ?? p.result };
	return p;
}

// A message with its parts (GenAI's `parts`, or a content list) in that vocabulary; a tool
// result names its call, and a message of tool results alone is the tool's (pydantic-ai sends
// them as the user's).
function normal(m) {
	const parts = Array.isArray(m.content) ? m.content : m.content === undefined && Array.isArray(m.parts) ? m.parts : null;
	if (!parts) return m;
	const content = parts.map(part);
	const res = content.find((p) => p?.type === 'tool_result' && p.tool_use_id);
	const tool = content.length && content.every((p) => p?.type === 'tool_result');
	return { ...m, content, ...(tool ? { role: 'tool' } : {}), ...(res && !m.tool_call_id ? { tool_call_id: res.tool_use_id } : {}) };
}

// The chat messages in a decoded value, or null when it is not a conversation.
export function asMessages(v) {
	const msgs = findMessages(v);
	return msgs && msgs.map(normal);
}

function findMessages(v) {
	if (Array.isArray(v) && v.length && v.every(isMessage)) return v;
	// The AI SDK's ai.response.toolCalls: the calls of one assistant message.
	if (Array.isArray(v) && v.length && v.every((c) => isObj(c) && typeof c.toolName === 'string')) {
		return [{ role: 'assistant', content: v.map((c) => ({ type: 'tool-call', ...c })) }];
	}
	if (!isObj(v)) return null;
	if (isMessage(v)) return [v];
	// A response of one message beside other members: Logfire's response_data ({message,
	// usage}), Ollama's chat response.
	if (isMessage(v.message)) return [v.message];
	// The AI SDK's ai.prompt of a call given a prompt: {system, prompt}.
	if (typeof v.prompt === 'string' && Object.keys(v).every((k) => k === 'prompt' || k === 'system')) {
		return [...(typeof v.system === 'string' ? [{ role: 'system', content: v.system }] : []), { role: 'user', content: v.prompt }];
	}
	// A chat-completions request, and the Responses API's `input` list.
	for (const k of ['messages', 'input']) {
		if (Array.isArray(v[k]) && v[k].length && v[k].every((m) => isMessage(m) || m?.type === 'message')) {
			const out = v[k].filter(isMessage);
			if (typeof v.instructions === 'string') out.unshift({ role: 'system', content: v.instructions });
			if (typeof v.system === 'string') out.unshift({ role: 'system', content: v.system });
			return out.length ? out : null;
		}
	}
	// An ATIF agent step's output: {message, reasoning_content, tool_calls of {tool_call_id,
	// function_name, arguments}}.
	const keys = Object.keys(v);
	if (keys.length && keys.every((k) => ['message', 'reasoning_content', 'tool_calls'].includes(k)) &&
		(v.message === undefined || typeof v.message === 'string' || Array.isArray(v.message)) &&
		(v.tool_calls === undefined || (Array.isArray(v.tool_calls) && v.tool_calls.every((c) => typeof c?.function_name === 'string')))) {
		const calls = (v.tool_calls || []).map((c) => ({ id: c.tool_call_id, function: { name: c.function_name, arguments: c.arguments } }));
		return [...(v.reasoning_content ? [{ role: 'reasoning', content: v.reasoning_content }] : []),
			{ role: 'assistant', content: v.message ?? null, ...(calls.length ? { tool_calls: calls } : {}) }];
	}
	// A chat-completions response.
	if (Array.isArray(v.choices) && v.choices.length && v.choices.every((c) => isMessage(c?.message) || isMessage(c?.delta))) {
		return v.choices.map((c) => c.message || c.delta);
	}
	// A Responses API response: output items of type "message" and function calls.
	if (Array.isArray(v.output) && v.output.length && v.output.some((o) => o?.type === 'message')) {
		return v.output.flatMap((o) => {
			if (o?.type === 'message') return [{ role: o.role || 'assistant', content: o.content }];
			if (o?.type === 'function_call') return [{ role: 'assistant', content: null, tool_calls: [{ function: { name: o.name, arguments: o.arguments } }] }];
			return [];
		});
	}
	// Anthropic's message response: {role, content: [...]} is caught above; a bare
	// {type: "message", content} is not.
	if (v.type === 'message' && Array.isArray(v.content)) return [{ role: v.role || 'assistant', content: v.content }];
	return null;
}

// One line of an input or output for a table, as Langfuse and Phoenix show them: the text of
// the last user message (input) or of the first message (output: the answer) when the value
// reads as messages, else the text itself, whitespace folded. A value cut short (the API's
// mode=preview: its first 300 characters) is no JSON any more: then the last user message
// (input; else the last message) or the first message (output) that those characters hold,
// with "…" where the cut went through it.
const CONTENT_RE = /"(?:content|text)"\s*:\s*"((?:[^"\\]|\\.)*)("?)/g;
const USER_RE = /"role"\s*:\s*"user"\s*,\s*"content"\s*:\s*"((?:[^"\\]|\\.)*)("?)/g;
export function previewText(value, side) {
	if (value === undefined || value === null || value === '') return '';
	const v = decode(value);
	const msgs = asMessages(v);
	let text;
	if (msgs) {
		const pick = side === 'input' ? [...msgs].reverse().find((m) => m.role === 'user') || msgs.at(-1) : msgs[0];
		text = contentText(pick.content) || (pick.tool_calls ? `[tool call ${pick.tool_calls.map((c) => c.function?.name || '').join(', ')}]` : '');
	} else if (isParts(v)) {
		text = contentText(v);
	} else if (soleText(v) !== null) {
		text = soleText(v);
	} else if (typeof v === 'string') {
		const m = side === 'input' ? [...v.matchAll(USER_RE)].at(-1) || [...v.matchAll(CONTENT_RE)].at(-1) : [...v.matchAll(CONTENT_RE)][0];
		text = m ? m[1].replace(/\\[nrt]/g, ' ').replace(/\\(.)/g, '$1') + (m[2] ? '' : '…') : v;
	} else {
		text = JSON.stringify(v);
	}
	return text.replace(/\s+/g, ' ').trim();
}

// The text an object of one text member wraps (Opik's {"output": ...} and {"input": ...} of a
// traced function's plain value, Scale GP's {"value": ...}), for the summaries of a list and a
// session's turns; null otherwise.
export function soleText(v) {
	if (!isObj(v)) return null;
	const vals = Object.values(v);
	return vals.length === 1 && typeof vals[0] === 'string' ? vals[0] : null;
}

// The text of a message's content: a string, or parts ({type: text|input_text|output_text,
// text}); other parts are named in brackets.
export function contentText(content) {
	if (content === null || content === undefined) return '';
	if (typeof content === 'string') return content;
	if (Array.isArray(content)) {
		return content.map((p) => {
			if (typeof p === 'string') return p;
			if (typeof p?.text === 'string') return p.text;
			if (p?.type === 'image_url' || p?.type === 'input_image' || p?.type === 'image') return '[image]';
			if (p?.type === 'input_audio') return '[audio]';
			if (p?.type === 'document' || p?.type === 'file' || p?.type === 'input_file') return `[${p.type === 'document' ? 'document' : 'file'}]`;
			if (p?.type === 'tool_use') return `[tool call ${p.name || ''}]`;
			if (p?.type === 'tool_result') return contentText(p.content);
			return JSON.stringify(p);
		}).join('\n');
	}
	if (isObj(content) && typeof content.text === 'string') return content.text;
	return JSON.stringify(content, null, 2);
}

const LONG = 1200; // characters before a message or text is folded behind "Show all"

function foldable(text, cls = 'text') {
	const pre = h(`div.${cls}`, text.length > LONG ? `${text.slice(0, LONG)}…` : text);
	if (text.length <= LONG) return pre;
	const more = h('button.link-button', { type: 'button', 'aria-expanded': 'false' }, `Show all ${text.length.toLocaleString('en-US')} characters`);
	more.addEventListener('click', () => {
		const open = more.getAttribute('aria-expanded') === 'true';
		pre.textContent = open ? `${text.slice(0, LONG)}…` : text;
		more.setAttribute('aria-expanded', String(!open));
		more.textContent = open ? `Show all ${text.length.toLocaleString('en-US')} characters` : 'Show less';
	});
	return h('div', pre, more);
}

function toolCalls(m) {
	const calls = Array.isArray(m.tool_calls) ? m.tool_calls : m.function_call ? [{ function: m.function_call }] : [];
	const parts = Array.isArray(m.content) ? m.content.filter((p) => p?.type === 'tool_use') : [];
	const all = [
		...calls.map((c) => ({ name: c.function?.name || c.name || 'tool', args: c.function?.arguments ?? c.arguments, id: c.id })),
		...parts.map((p) => ({ name: p.name, args: p.input, id: p.id })),
	];
	return all.map((c) => h('div.tool-call',
		h('div.tool-call-head', h('span.tool-call-label', 'calls'), h('code', c.name), c.id ? h('span.muted', ` ${c.id}`) : null),
		jsonBlock(decode(typeof c.args === 'string' ? c.args : JSON.stringify(c.args ?? {})))));
}

// One chat message as a bubble, with the media it references (of workspace ws; none without).
export function messageView(m, ws) {
	const role = String(m.role || 'message').toLowerCase();
	const known = ['system', 'developer', 'user', 'assistant', 'tool', 'function'].includes(role) ? role : 'other';
	const hasParts = Array.isArray(m.content) && m.content.some((p) => p?.type === 'tool_use');
	const text = contentText(hasParts ? m.content.filter((p) => p?.type !== 'tool_use') : m.content);
	// A tool's result is often JSON text: shown as JSON.
	const asJson = (known === 'tool' || known === 'function') ? decode(text) : text;
	return h(`div.msg.msg-${known}`,
		h('div.msg-role', role, m.name ? h('span.muted', ` · ${m.name}`) : null, m.tool_call_id ? h('span.muted', ` · ${m.tool_call_id}`) : null),
		typeof asJson === 'object' && asJson !== null ? jsonBlock(asJson) : text ? foldable(text, 'msg-text') : null,
		mediaStrip(ws, m),
		toolCalls(m));
}

export function messagesView(msgs, ws) {
	return h('div.messages', msgs.map((m) => messageView(m, ws)));
}

// Pretty JSON with token classes (key, string, number, literal), as DOM text.
export function jsonBlock(value) {
	const out = h('pre.json');
	const text = (s, cls) => out.append(cls ? h(`span.${cls}`, s) : document.createTextNode(s));
	const walk = (v, ind) => {
		if (Array.isArray(v)) {
			if (!v.length) return text('[]');
			text('[\n');
			v.forEach((x, i) => {
				text('  '.repeat(ind + 1));
				walk(x, ind + 1);
				text(i < v.length - 1 ? ',\n' : '\n');
			});
			text(`${'  '.repeat(ind)}]`);
		} else if (isObj(v)) {
			const keys = Object.keys(v);
			if (!keys.length) return text('{}');
			text('{\n');
			keys.forEach((k, i) => {
				text('  '.repeat(ind + 1));
				text(JSON.stringify(k), 'j-key');
				text(': ');
				walk(v[k], ind + 1);
				text(i < keys.length - 1 ? ',\n' : '\n');
			});
			text(`${'  '.repeat(ind)}}`);
		} else if (typeof v === 'string') {
			text(JSON.stringify(v), 'j-str');
		} else if (typeof v === 'number') {
			text(String(v), 'j-num');
		} else {
			text(String(v), 'j-lit');
		}
	};
	walk(value, 0);
	return out;
}

// An input or output field: messages, JSON or text; `mode` 'pretty' or 'raw'. The media it
// references (of workspace ws) are shown inline: in their message, or below the rest.
export function payloadView(value, mode = 'pretty', ws = null) {
	if (value === undefined || value === null || value === '') return h('p.empty-note', 'Nothing recorded.');
	if (mode === 'raw') return h('pre.raw', typeof value === 'string' ? value : JSON.stringify(value));
	const v = decode(value);
	const msgs = asMessages(v);
	if (msgs) return messagesView(msgs, ws);
	const strip = mediaStrip(ws, value);
	const main = typeof v === 'string' ? foldable(v, 'text') : isParts(v) ? foldable(contentText(v), 'text') : jsonBlock(v);
	return strip ? h('div', main, strip) : main;
}

// Whether a payload renders as messages (for the section's label).
export const isConversation = (value) => !!asMessages(decode(value));
