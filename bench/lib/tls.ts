/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The network of the TLS profile (`npm run bench -- --rtt 50`): a test CA and a server certificate
 * made at run time with the openssl CLI (node:crypto cannot write X.509 certificates), and a
 * userland TCP relay on 127.0.0.1 that gives every exchange a round trip: the connect costs one
 * round trip (what the client sends before it is held until then), and every chunk is held half
 * a round trip in each direction. The kernel here has no netem; this is the same delay in userland.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestCa {
	dir: string;
	/** PEM file of the CA: what NODE_EXTRA_CA_CERTS names */
	caFile: string;
	key: string;
	cert: string;
	dispose(): void;
}

/** A throwaway CA (P-256, valid 2 days) and a certificate for 127.0.0.1 / localhost signed by it. */
export function makeTestCa(): TestCa {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperid-bench-ca-'));
	const f = (name: string) => path.join(dir, name);
	const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
	const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
	openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=HyperID bench test CA',
		'-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
	openssl(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
	fs.writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
	openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'),
		'-days', '2', '-extfile', f('server.ext')]);
	return {
		dir,
		caFile: f('ca.pem'),
		key: fs.readFileSync(f('server.key'), 'utf8'),
		cert: fs.readFileSync(f('server.pem'), 'utf8'),
		dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
	};
}

export interface Relay {
	port: number;
	/** connections accepted since the last reset */
	connections: number;
	/** the most client connections open at once since the last reset (with a connection per request: requests in flight) */
	maxOpen: number;
	rttMs: number;
	setRtt(ms: number): void;
	reset(): void;
	close(): Promise<void>;
}

/** Chunks of one direction, each delivered at its due time, in order. */
function delayedPipe(to: net.Socket): { push(chunk: Buffer | null, due: number): void; clear(): void } {
	const queue: Array<{ chunk: Buffer | null; due: number }> = [];
	let timer: NodeJS.Timeout | undefined;
	const pump = () => {
		timer = undefined;
		const now = performance.now();
		while (queue.length && queue[0].due <= now + 0.5) {
			const { chunk } = queue.shift()!;
			if (to.destroyed) continue;
			if (chunk === null) to.end();
			else to.write(chunk);
		}
		if (queue.length) timer = setTimeout(pump, Math.max(0, queue[0].due - performance.now()));
	};
	return {
		push(chunk, due) {
			queue.push({ chunk, due });
			if (!timer) {
				if (due <= performance.now() + 0.5) pump();
				else timer = setTimeout(pump, due - performance.now());
			}
		},
		clear() {
			if (timer) clearTimeout(timer);
			queue.length = 0;
		},
	};
}

/** A relay from 127.0.0.1:<port> to 127.0.0.1:<targetPort> with the round trip of `setRtt`. */
export async function startRelay(targetPort: number, rttMs: number): Promise<Relay> {
	const sockets = new Set<net.Socket>();
	let open = 0;
	const relay: Relay = {
		port: 0,
		connections: 0,
		maxOpen: 0,
		rttMs,
		setRtt(ms) {
			relay.rttMs = ms;
		},
		reset() {
			relay.connections = 0;
			relay.maxOpen = open;
		},
		close: () =>
			new Promise<void>((resolve) => {
				for (const s of sockets) s.destroy();
				server.close(() => resolve());
			}),
	};
	const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
		relay.connections++;
		relay.maxOpen = Math.max(relay.maxOpen, ++open);
		client.once('close', () => open--);
		const rtt = relay.rttMs;
		const half = rtt / 2;
		// the connect's round trip: nothing the client sends leaves before it
		const connectedAt = performance.now() + rtt;
		const upstream = net.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
		sockets.add(client);
		sockets.add(upstream);
		const toUpstream = delayedPipe(upstream);
		const toClient = delayedPipe(client);
		const forward = (chunk: Buffer | null) => toUpstream.push(chunk, Math.max(performance.now(), connectedAt) + half);
		const back = (chunk: Buffer | null) => toClient.push(chunk, performance.now() + half);
		client.on('data', (c: Buffer) => forward(c));
		client.on('end', () => forward(null));
		upstream.on('data', (c: Buffer) => back(c));
		upstream.on('end', () => back(null));
		const destroy = () => {
			toUpstream.clear();
			toClient.clear();
			client.destroy();
			upstream.destroy();
			sockets.delete(client);
			sockets.delete(upstream);
		};
		client.on('error', destroy);
		upstream.on('error', destroy);
		client.on('close', () => setTimeout(destroy, rtt + 50).unref());
		upstream.on('close', () => setTimeout(destroy, rtt + 50).unref());
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	relay.port = (server.address() as net.AddressInfo).port;
	return relay;
}
