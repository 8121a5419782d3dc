// A local stand-in for the OpenAI chat-completions API, so the real instrumentation libraries
// (t/clients: the AI SDK, Langfuse's OpenAI wrapper) make real HTTP calls and trace them. It
// answers POST /v1/chat/completions, plain or streamed (SSE with stream_options.include_usage),
// with fixed usage, cached and reasoning tokens among it, as OpenAI reports them (parts of
// prompt_tokens and completion_tokens): a request whose last message is a tool result gets the
// final answer, one that offers tools and has none gets a call of the first tool, one that asks
// for a JSON schema gets a JSON object, and a model named "fail-*" gets a 500. POST
// /v1/embeddings answers with one vector per input and EMBED_USAGE. Every request is kept in
// calls.
import http from 'node:http';

export const USAGE = { prompt_tokens: 1100, completion_tokens: 700, total_tokens: 1800,
	prompt_tokens_details: { cached_tokens: 300, audio_tokens: 0 },
	completion_tokens_details: { reasoning_tokens: 200, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } };
export const TOOL_USAGE = { prompt_tokens: 2300, completion_tokens: 500, total_tokens: 2800,
	prompt_tokens_details: { cached_tokens: 1000, audio_tokens: 0 },
	completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } };
export const OBJECT_USAGE = { prompt_tokens: 900, completion_tokens: 40, total_tokens: 940,
	prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
	completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } };
export const EMBED_USAGE = { prompt_tokens: 50000, total_tokens: 50000 };
export const OBJECT = { city: 'Paris', sky: 'sunny' };

function reply(body) {
	const msgs = body.messages || [];
	const last = msgs[msgs.length - 1] || {};
	const tools = body.tools || [];
	if (tools.length && last.role !== 'tool') {
		const name = tools[0].function.name;
		return {
			message: {
				role: 'assistant', content: null,
				tool_calls: [{ id: 'call_1', type: 'function', function: { name, arguments: '{"city":"Paris"}' } }],
			},
			finish: 'tool_calls', usage: TOOL_USAGE,
		};
	}
	if (body.response_format?.type === 'json_schema' || body.response_format?.type === 'json_object')
		return { message: { role: 'assistant', content: JSON.stringify(OBJECT) }, finish: 'stop', usage: OBJECT_USAGE };
	return { message: { role: 'assistant', content: 'Sunny in Paris.' }, finish: 'stop', usage: USAGE };
}

function embeddings(body) {
	const inputs = Array.isArray(body.input) ? body.input : [body.input];
	return { object: 'list', model: body.model, usage: EMBED_USAGE,
		data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.25, -0.5, 0.125] })) };
}

export async function startOpenAIMock() {
	const calls = [];
	const server = http.createServer((req, res) => {
		let data = '';
		req.on('data', (c) => { data += c; });
		req.on('end', () => {
			let body = {};
			try { body = JSON.parse(data || '{}'); } catch { /* answered below */ }
			calls.push({ url: req.url, body });
			if (req.method === 'POST' && req.url.endsWith('/embeddings')) {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify(embeddings(body)));
				return;
			}
			if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
				res.writeHead(404, { 'content-type': 'application/json' });
				res.end('{"error":{"message":"not found"}}');
				return;
			}
			if (String(body.model).startsWith('fail-')) {
				res.writeHead(500, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { message: 'mock upstream failure', type: 'server_error', code: 'mock_failure' } }));
				return;
			}
			const r = reply(body);
			const base = { id: 'chatcmpl-mock', created: 1700000000, model: body.model, system_fingerprint: 'fp_mock' };
			if (!body.stream) {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ ...base, object: 'chat.completion',
					choices: [{ index: 0, message: r.message, finish_reason: r.finish, logprobs: null }], usage: r.usage }));
				return;
			}
			res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
			const chunk = (choices, usage) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, usage: usage ?? null })}\n\n`);
			if (r.message.tool_calls) {
				const tc = r.message.tool_calls[0];
				chunk([{ index: 0, delta: { role: 'assistant', tool_calls: [{ index: 0, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } }] }, finish_reason: null }]);
				chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: tc.function.arguments } }] }, finish_reason: null }]);
			} else {
				const text = r.message.content, half = Math.ceil(text.length / 2);
				chunk([{ index: 0, delta: { role: 'assistant', content: text.slice(0, half) }, finish_reason: null }]);
				chunk([{ index: 0, delta: { content: text.slice(half) }, finish_reason: null }]);
			}
			chunk([{ index: 0, delta: {}, finish_reason: r.finish }]);
			if (body.stream_options?.include_usage)
				chunk([], r.usage);
			res.end('data: [DONE]\n\n');
		});
	});
	await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
	const url = `http://127.0.0.1:${server.address().port}/v1`;
	return { url, calls, stop: () => new Promise((ok) => server.close(ok)) };
}
