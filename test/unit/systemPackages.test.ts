import { ensureSystemPackages, type SystemProbe } from '../shared/services/systemPackages';

/** A machine with the given files; records what was run and printed. */
function fakeMachine(opts: {
	files: string[];
	root: boolean;
	sudo: boolean;
	installs?: Record<string, string[]>;
}) {
	const files = new Set(opts.files);
	const ran: string[] = [];
	const printed: string[] = [];
	let sudoAsked = 0;
	const probe: SystemProbe = {
		env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
		exists: (file) => files.has(file),
		list: (dir) => [
			...new Set(
				[...files]
					.filter((file) => file.startsWith(`${dir}/`))
					.map((file) => file.slice(dir.length + 1).split('/')[0]),
			),
		],
		isRoot: () => opts.root,
		canSudo: async () => {
			sudoAsked++;
			return opts.sudo;
		},
		run: async (command, args) => {
			ran.push([command, ...args].join(' '));
			const install = args.indexOf('install');
			if (install >= 0)
				for (const name of args.slice(install + 2))
					for (const file of opts.installs?.[name] ?? []) files.add(file);
			return 0;
		},
		log: (line) => printed.push(line),
	};
	return { probe, ran, printed, sudoAsked: () => sudoAsked };
}

const CHROMIUM = '/usr/bin/chromium';
const INITDB = '/usr/lib/postgresql/15/bin/initdb';
const REDIS = '/usr/bin/redis-server';
const APT_GET = '/usr/bin/apt-get';
const INSTALLS = { chromium: [CHROMIUM], postgresql: [INITDB], 'redis-server': [REDIS] };

describe('npm test: the Debian packages it needs', () => {
	test('all present: nothing is run, one line says where each is', async () => {
		const machine = fakeMachine({
			files: [APT_GET, CHROMIUM, INITDB, REDIS],
			root: false,
			sudo: false,
		});
		expect(await ensureSystemPackages(machine.probe)).toBe(0);
		expect(machine.ran).toEqual([]);
		expect(machine.printed).toEqual([
			`system packages: chromium (${CHROMIUM}), postgresql (/usr/lib/postgresql/15/bin), redis-server (${REDIS})`,
		]);
	});

	test('one missing, not root and no sudo without a password: stops at once, printing the one command', async () => {
		const machine = fakeMachine({ files: [APT_GET, CHROMIUM, INITDB], root: false, sudo: false });
		expect(await ensureSystemPackages(machine.probe)).toBe(1);
		expect(machine.ran).toEqual([]);
		expect(machine.printed.join('\n')).toContain('redis-server (the queue-mode suite)');
		expect(machine.printed).toContain(
			'  sudo apt-get update && sudo apt-get install -y redis-server',
		);
	});

	test('no apt-get at all: names the packages and the Debian command, installs nothing', async () => {
		const machine = fakeMachine({ files: [INITDB, REDIS], root: true, sudo: false });
		expect(await ensureSystemPackages(machine.probe)).toBe(1);
		expect(machine.ran).toEqual([]);
		expect(machine.printed).toContain('  apt-get update && apt-get install -y chromium');
	});

	test('root: apt-get update, then install of exactly the missing ones, then found', async () => {
		const machine = fakeMachine({
			files: [APT_GET, INITDB],
			root: true,
			sudo: false,
			installs: INSTALLS,
		});
		expect(await ensureSystemPackages(machine.probe)).toBe(0);
		expect(machine.ran).toEqual(['apt-get update', 'apt-get install -y chromium redis-server']);
		expect(machine.sudoAsked()).toBe(0);
	});

	test('sudo without a password: the same through sudo -n', async () => {
		const machine = fakeMachine({ files: [APT_GET], root: false, sudo: true, installs: INSTALLS });
		expect(await ensureSystemPackages(machine.probe)).toBe(0);
		expect(machine.ran).toEqual([
			'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update',
			'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium postgresql redis-server',
		]);
	});

	test('installed but still not found: fails, naming it', async () => {
		const machine = fakeMachine({
			files: [APT_GET, CHROMIUM, REDIS],
			root: true,
			sudo: false,
			installs: {},
		});
		expect(await ensureSystemPackages(machine.probe)).toBe(1);
		expect(machine.printed.join('\n')).toContain('still not found: postgresql');
	});

	test('the overrides the suites honour count as found (CHROMIUM_PATH, POSTGRES_BIN, REDIS_SERVER)', async () => {
		const machine = fakeMachine({
			files: ['/opt/chrome', '/opt/pg/initdb', '/opt/redis'],
			root: false,
			sudo: false,
		});
		machine.probe.env = {
			PATH: '/usr/bin',
			CHROMIUM_PATH: '/opt/chrome',
			POSTGRES_BIN: '/opt/pg',
			REDIS_SERVER: '/opt/redis',
		};
		expect(await ensureSystemPackages(machine.probe)).toBe(0);
		expect(machine.ran).toEqual([]);
	});
});
