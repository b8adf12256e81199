/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

describe('HyperID emulator CLI', () => {
	let child: ChildProcess | undefined;

	afterAll(() => {
		if (child && child.exitCode === null) child.kill('SIGKILL');
	});

	test('starts on --port 0, prints the listening line and demo credentials, serves discovery, stops on SIGTERM', async () => {
		const proc = spawn(
			process.execPath,
			['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'test/emulator/cli.ts'), '--port', '0', '--latency', '0'],
			{ cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
		);
		child = proc;
		let out = '';
		let err = '';
		proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
		const url = await new Promise<string>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no listening line; stdout=${out} stderr=${err}`)), 15000);
			proc.stdout?.on('data', (d: Buffer) => {
				out += d.toString();
				const m = /^HyperID emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
				if (m && /Demo access token/.test(out)) {
					clearTimeout(timer);
					resolve(m[1]);
				}
			});
			proc.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
		});
		expect(out.split('\n')[0]).toBe(`HyperID emulator listening on ${url}`);
		expect(out).toContain('hyperid-demo-client');
		expect(out).toContain('demo-secret');

		const res = await fetch(`${url}/auth/realms/HyperID/.well-known/openid-configuration`);
		expect(res.status).toBe(200);
		expect(((await res.json()) as Record<string, unknown>).rest_api_token_endpoint).toBe(url);

		const token = /Demo access token[^:]*: (\S+)/.exec(out)?.[1] as string;
		const api = await fetch(`${url}/user-data/set`, {
			method: 'POST',
			headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
			body: JSON.stringify({ value_key: 'k', value_data: 'v' }),
		});
		expect(await api.json()).toEqual({ result: 0 });

		const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
		proc.kill('SIGTERM');
		expect(await exit).toBe(0);
	});
});
