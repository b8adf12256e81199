/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The Debian packages the suites start (the browser test's chromium, the queue-mode suite's Postgres
 * and Redis): found, installed when this process may (root, or sudo without a password), or else a
 * stop at once with the one command to run. `npm test` calls it first (scripts/system-packages.ts).
 * What it looks at and runs goes through a SystemProbe, so a test can stand in for the machine.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SystemPackage {
	/** the Debian package name */
	name: string;
	/** which suite needs it */
	neededBy: string;
	/** where it was found, or undefined */
	find(probe: SystemProbe): string | undefined;
}

export interface SystemProbe {
	env: NodeJS.ProcessEnv;
	exists(file: string): boolean;
	/** entries of a folder, [] if it does not exist */
	list(dir: string): string[];
	isRoot(): boolean;
	/** whether `sudo -n true` succeeds (sudo without a password) */
	canSudo(): Promise<boolean>;
	/** runs a command with its output shown; resolves to its exit code */
	run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number>;
	log(line: string): void;
}

const onPath = (probe: SystemProbe, binary: string) =>
	(probe.env.PATH ?? '')
		.split(':')
		.filter(Boolean)
		.map((dir) => path.join(dir, binary))
		.find((file) => probe.exists(file));

// The same places the suites look (test/browser/lib/browser.ts, postgres.ts, redis.ts), overrides included.
export const SYSTEM_PACKAGES: SystemPackage[] = [
	{
		name: 'chromium',
		neededBy: 'the browser test',
		find: (probe) =>
			[probe.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
				(file): file is string => !!file && probe.exists(file),
			),
	},
	{
		name: 'postgresql',
		neededBy: 'the queue-mode suite',
		find: (probe) =>
			[
				...(probe.env.POSTGRES_BIN ? [probe.env.POSTGRES_BIN] : []),
				...probe
					.list('/usr/lib/postgresql')
					.map((major) => path.join('/usr/lib/postgresql', major, 'bin')),
			].find((bin) => probe.exists(path.join(bin, 'initdb'))),
	},
	{
		name: 'redis-server',
		neededBy: 'the queue-mode suite',
		find: (probe) =>
			probe.env.REDIS_SERVER && probe.exists(probe.env.REDIS_SERVER)
				? probe.env.REDIS_SERVER
				: onPath(probe, 'redis-server'),
	},
];

/** The one command a user runs to install `names` (with sudo unless root). */
export function installCommand(names: string[], root: boolean): string {
	const sudo = root ? '' : 'sudo ';
	return `${sudo}apt-get update && ${sudo}apt-get install -y ${names.join(' ')}`;
}

/**
 * Finds the packages and installs the missing ones when it may. Returns the exit code for the caller:
 * 0 when every package is there (found or installed), 1 otherwise, having said what to run.
 */
export async function ensureSystemPackages(
	probe: SystemProbe,
	packages = SYSTEM_PACKAGES,
): Promise<number> {
	const missing = () => packages.filter((pkg) => !pkg.find(probe));
	const absent = missing();
	if (!absent.length) {
		probe.log(
			`system packages: ${packages.map((pkg) => `${pkg.name} (${pkg.find(probe)})`).join(', ')}`,
		);
		return 0;
	}
	const names = absent.map((pkg) => pkg.name);
	const why = absent.map((pkg) => `${pkg.name} (${pkg.neededBy})`).join(', ');
	const root = probe.isRoot();
	const aptGet = onPath(probe, 'apt-get');
	const sudo = !root && aptGet ? await probe.canSudo() : false;
	if (!aptGet || (!root && !sudo)) {
		probe.log(`Missing Debian packages: ${why}.`);
		probe.log(
			aptGet
				? 'Not root, and no sudo without a password, so npm test cannot install them. Run:'
				: 'No apt-get here (not Debian or Ubuntu): install the same packages with your system package manager. On Debian:',
		);
		probe.log(`  ${installCommand(names, root)}`);
		probe.log('then npm test again.');
		return 1;
	}

	probe.log(
		`Installing Debian packages: ${why} (${root ? 'as root' : 'with sudo'}); this takes a few minutes the first time.`,
	);
	const env = { ...probe.env, DEBIAN_FRONTEND: 'noninteractive' };
	const apt = (args: string[]) =>
		root
			? probe.run('apt-get', args, env)
			: probe.run('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], env);
	const started = Date.now();
	for (const args of [['update'], ['install', '-y', ...names]]) {
		probe.log(`$ ${root ? '' : 'sudo '}apt-get ${args.join(' ')}`);
		const code = await apt(args);
		if (code !== 0) {
			probe.log(
				`apt-get ${args[0]} failed (exit code ${code}). Run it yourself:\n  ${installCommand(names, root)}`,
			);
			return 1;
		}
	}
	const still = missing();
	if (still.length) {
		probe.log(
			`Installed, but still not found: ${still.map((pkg) => pkg.name).join(', ')}. Check the package's files (dpkg -L <package>).`,
		);
		return 1;
	}
	probe.log(`Installed ${names.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s.`);
	return 0;
}

/** The real machine. */
export function systemProbe(): SystemProbe {
	return {
		env: process.env,
		exists: (file) => fs.existsSync(file),
		list: (dir) => {
			try {
				return fs.readdirSync(dir);
			} catch {
				return [];
			}
		},
		isRoot: () => process.getuid?.() === 0,
		canSudo: () =>
			new Promise((resolve) => {
				const child = spawn('sudo', ['-n', 'true'], { stdio: 'ignore' });
				child.on('error', () => resolve(false));
				child.on('exit', (code) => resolve(code === 0));
			}),
		run: (command, args, env) =>
			new Promise((resolve) => {
				// apt-get's own progress goes straight to the terminal (or the CI log)
				const child = spawn(command, args, { stdio: 'inherit', env });
				child.on('error', () => resolve(127));
				child.on('exit', (code) => resolve(code ?? 1));
			}),
		log: (line) => console.log(line),
	};
}
