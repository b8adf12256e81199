/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Command line entry: `npm run emulator -- --port 8787 [--latency MS] [--expire-every N]`
 * Prints "HyperID emulator listening on http://127.0.0.1:PORT" first, then the demo credentials.
 */
import { DEMO, DISCOVERY_PATH, startEmulator, type EmulatorOptions } from './server';

function usage(message: string): never {
	process.stderr.write(`${message}\nusage: cli.ts [--port N (default 8787)] [--latency MS] [--expire-every N] [--no-log]\n`);
	process.exit(2);
}

function parseArgs(argv: string[]): EmulatorOptions {
	const out: EmulatorOptions = { port: 8787 };
	const num = (flag: string, value: string | undefined): number => {
		const n = Number(value);
		if (value === undefined || value.trim() === '' || !Number.isInteger(n) || n < 0) usage(`${flag} needs a non-negative integer`);
		return n;
	};
	for (let i = 0; i < argv.length; i++) {
		let arg = argv[i];
		let value: string | undefined;
		const eq = arg.indexOf('=');
		if (arg.startsWith('--') && eq > 0) {
			value = arg.slice(eq + 1);
			arg = arg.slice(0, eq);
		}
		const next = () => value ?? argv[++i];
		switch (arg) {
			case '--port':
				out.port = num(arg, next());
				break;
			case '--latency':
				out.latencyMs = num(arg, next());
				break;
			case '--expire-every':
				out.expireTokensEveryRequests = num(arg, next());
				break;
			case '--no-log':
				out.log = false;
				break;
			case '--help':
			case '-h':
				usage('HyperID emulator');
				break;
			default:
				usage(`unknown argument: ${arg}`);
		}
	}
	return out;
}

async function main(): Promise<void> {
	const emulator = await startEmulator(parseArgs(process.argv.slice(2)));
	const demo = emulator.createToken({ expiresIn: 24 * 3600 });
	const lines = [
		`HyperID emulator listening on ${emulator.url}`,
		`Discovery: ${emulator.url}${DISCOVERY_PATH}`,
		`Demo client id: ${DEMO.clientId}`,
		`Demo client secret: ${DEMO.clientSecret}`,
		`Demo user: ${DEMO.userId} <${DEMO.email}> wallets ${DEMO.privateWallet} (private), ${DEMO.publicWallet} (public)`,
		`Demo access token (24 h): ${demo.access_token}`,
		`Demo refresh token: ${demo.refresh_token}`,
	];
	process.stdout.write(`${lines.join('\n')}\n`);
	let stopping = false;
	const stop = () => {
		if (stopping) return;
		stopping = true;
		emulator.close().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((err) => {
	process.stderr.write(`HyperID emulator failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
	process.exit(1);
});
