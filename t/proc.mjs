// proc: the tests' processes and ports: run a program, wait for a condition (never for time),
// a process by pid and start time, a FastCGI master's workers, a loopback port of a server's
// own. Re-exported by harness.mjs, which starts the servers.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.unref();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

// The addresses, as /proc/net/tcp and tcp6 write them, of a socket that takes the connections
// to 127.0.0.1: itself, any IPv4 address, and IPv6's any and IPv4-mapped 127.0.0.1.
const LOOPBACK_V4 = new Set(['0100007F', '00000000', '0'.repeat(32), '0000000000000000FFFF00000100007F']);

// The sockets ("socket:[inode]") listening on 127.0.0.1:port (/proc/net/tcp and tcp6: local
// address as hex ADDR:PORT, state 0A for LISTEN, the inode in the tenth column).
function listeners(port) {
	const hex = port.toString(16).toUpperCase().padStart(4, '0');
	const out = [];
	for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
		if (!fs.existsSync(f)) continue;
		for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
			const c = line.trim().split(/\s+/);
			const [addr, p] = (c[1] || '').split(':');
			if (c[3] === '0A' && p === hex && LOOPBACK_V4.has(addr)) out.push(`socket:[${c[9]}]`);
		}
	}
	return out;
}

// Whether pid holds every socket of links ("socket:[inode]") open, from /proc/<pid>/fd.
function holds(pid, links) {
	let held;
	try {
		held = new Set(fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
			try {
				return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
			} catch {
				return ''; // closed meanwhile
			}
		}));
	} catch {
		return false; // exited
	}
	return links.every((l) => held.has(l));
}

// Starts a server on a port of its own and resolves to {port, child} once the socket listening
// on 127.0.0.1:port is the server's. start(port) spawns it and resolves to its child; logs are
// the files where it tells of a failed bind. A port from freePort is free for every process
// until the server binds it, and this machine runs several suites at once: another test's
// server may bind it first and would answer each request meant for this one, a readiness
// check's too (a front started so read another server's workspaces, scale.test.mjs). So the
// owner is read from /proc, not from an answer; a server that could not bind its port is
// started again, on another free port or on fixedPort (a restart's, which names the server)
// once that is free. Any other exit during start-up is an error with the logs.
export async function bindOwn(what, logs, start, fixedPort) {
	const deadline = Date.now() + WAIT_MS;
	for (;;) {
		const port = fixedPort || (await freePort());
		const sizes = logs.map((f) => (fs.existsSync(f) ? fs.statSync(f).size : 0));
		const child = await start(port);
		const up = await waitFor(`${what} listening on port ${port}`, () => {
			if (child.exitCode !== null || child.signalCode !== null) return 'exited';
			const links = listeners(port);
			return links.length > 0 && holds(child.pid, links) ? 'bound' : false;
		}, { every: 50, ms: Math.max(deadline - Date.now(), 0) });
		if (up === 'bound') return { port, child };
		const log = logs.map((f, i) => (fs.existsSync(f) ? fs.readFileSync(f).subarray(sizes[i]).toString() : '')).join('\n');
		if (!/Address already in use/.test(log) || Date.now() > deadline) throw new Error(`${what} exited during start-up:\n${log}`);
	}
}

// A port of this host that refuses every connection while the test holds it, for "nothing
// listens there": a port from freePort is free for any process, which may listen on it
// meanwhile. This one is the local end of a connection of the test's own (to a server of its
// own): no process can bind it, and with no socket listening on it a connection is refused.
// Resolves to {port, close()}.
export async function refusingPort() {
	const ends = [];
	const srv = net.createServer((s) => ends.push(s));
	await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
	const c = net.connect(srv.address().port, '127.0.0.1');
	await new Promise((resolve, reject) => c.once('connect', resolve).once('error', reject));
	for (const h of [srv, c]) h.unref();
	return {
		port: c.localPort,
		close() {
			for (const s of [c, ...ends]) s.destroy();
			srv.close();
		},
	};
}

// Runs file and resolves to {code, signal, error, stdout, stderr} once it exits. A program that
// could not be run (spawn's EAGAIN, ETXTBSY, ENOENT) or was stopped for its output (past
// maxBuffer) has neither a code nor a signal: error says why ("ETXTBSY: spawn ...").
export function run(file, args, opts = {}) {
	return new Promise((resolve) => {
		execFile(file, args, { maxBuffer: 64 << 20, ...opts }, (err, stdout, stderr) => {
			const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
			const signal = err?.signal ?? null;
			const error = err && code === null && signal === null ? `${err.code}: ${err.message}` : null;
			resolve({ code, signal, error, stdout, stderr });
		});
	});
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every wait of the tests is for a condition, and WAIT_MS bounds it (issue 54): a bound for a
// hang, not a speed check. A server started in 0.5 to 1.6 s on two cores at a load of 18 to 21;
// the sanitizers make that several times longer, and the bound is a hundred times longer.
export const WAIT_MS = 120000;

// The real OTel clients' exporters (10 s a request) and batch processors (30 s an export) give
// up by the clock too: theirs is WAIT_MS in the tests, read from the environment when each is
// made (a test's own setting wins).
process.env.OTEL_EXPORTER_OTLP_TIMEOUT ??= String(WAIT_MS);
process.env.OTEL_BSP_EXPORT_TIMEOUT ??= String(WAIT_MS);

// Resolves to cond()'s first truthy value (cond may be async), asked every `every` ms; throws
// "<what>: not after N s" (with detail(), when given) once ms pass first.
export async function waitFor(what, cond, { ms = WAIT_MS, every = 20, detail } = {}) {
	const deadline = Date.now() + ms;
	for (;;) {
		const v = await cond();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`${what}: not after ${ms / 1000} s${detail ? `\n${detail()}` : ''}`);
		await sleep(every);
	}
}

// Until the wall clock (Date.now()) has moved past t0 (by default its value at the call): for
// times that must differ, as a client's stamps of two events or a marker and the write after it.
export function clockPast(t0 = Date.now()) {
	return waitFor('the clock to move past its last reading', () => Date.now() > t0, { every: 1 });
}

// p's value, or `late` if WAIT_MS (or ms) pass first: a request that may hang.
export function within(p, late, ms = WAIT_MS) {
	let t;
	const timer = new Promise((resolve) => {
		t = setTimeout(() => resolve(late), ms);
	});
	return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

// A process by its pid and start time (field 22 of /proc/PID/stat): {pid, start}, or null when
// none runs (a zombie is none). A pid kept while a test goes on may name another program by
// the time it is used: the kernel gives a freed pid to the next process, and pid_max is 32768
// here, which a machine running several checks goes round in minutes. So a test that keeps a
// pid of a process that is not its child keeps this, and signals only the same process
// (signalProc), never a bare pid that may be another suite's `spandex ship` by then.
export function procOf(pid) {
	let stat;
	try {
		stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return null;
	}
	const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return rest[0] === 'Z' ? null : { pid, start: rest[19] };
}

// Whether p (from procOf) still runs: its pid, started when p was.
export function running(p) {
	const now = p && procOf(p.pid);
	return !!now && now.start === p.start;
}

// Sends sig to p (from procOf) if it still runs; whether it did.
export function signalProc(p, sig) {
	if (!running(p)) return false;
	try {
		process.kill(p.pid, sig);
		return true;
	} catch {
		return false; // exited meanwhile
	}
}

// The exit of a process that is not our child (a worker of a master we stopped): p from procOf.
export function waitGone(p, what = `pid ${p?.pid} to exit`) {
	return waitFor(what, () => !running(p), { every: 50 });
}

export function alive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

// Pids whose parent is pid (the pre-forked workers of a program), from /proc.
export function childPids(pid) {
	const out = [];
	for (const ent of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(ent)) continue;
		let stat;
		try {
			stat = fs.readFileSync(`/proc/${ent}/stat`, 'utf8');
		} catch {
			continue; // exited meanwhile
		}
		// Field 4 (ppid) follows the parenthesised command name, which may hold spaces.
		const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		if (Number(rest[1]) === pid && rest[0] !== 'Z') out.push(Number(ent));
	}
	return out;
}

// SIGKILLs every worker of the FastCGI master pid; how many there were.
export function killWorkers(pid) {
	let kills = 0;
	for (const child of childPids(pid)) {
		try {
			process.kill(child, 'SIGKILL');
			kills++;
		} catch {
			// exited on its own
		}
	}
	return kills;
}

export function waitExit(child, ms) {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
	return new Promise((resolve) => {
		const t = setTimeout(() => resolve(false), ms);
		child.once('exit', () => {
			clearTimeout(t);
			resolve(true);
		});
	});
}

// Stops a server's processes (ChildProcess each): SIGTERM, and SIGKILL only for a hang (a
// program's exit, with its sanitizer's report, is waited for); then the FastCGI workers they
// had, which are not our children (by pid and start time), until each is gone.
export async function stopChildren(children) {
	const left = children.flatMap((c) => childPids(c.pid)).map(procOf).filter(Boolean);
	for (const c of children) {
		try {
			c.kill('SIGTERM');
		} catch {
			// already gone
		}
	}
	for (const c of children) if (!(await waitExit(c, WAIT_MS))) c.kill('SIGKILL');
	for (const p of left) if (!(await waitGone(p).then(() => true, () => false))) signalProc(p, 'SIGKILL');
}
