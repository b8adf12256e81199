/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Summarise a V8 .cpuprofile (from `npm run bench -- --cpu-prof`, written to .cache/bench/profiles):
 * self time by function and by package/file group, and inclusive time of this node's own functions.
 *
 *   npx ts-node --transpile-only bench/profile.ts .cache/bench/profiles/set-0ms-cdefault-rep1.cpuprofile [top=25]
 */
import * as fs from 'node:fs';

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	hitCount?: number;
	children?: number[];
}
interface Profile {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
}

function group(url: string): string {
	if (!url) return '(native/vm)';
	const nm = url.lastIndexOf('node_modules/');
	if (nm >= 0) {
		const rest = url.slice(nm + 'node_modules/'.length).split('/');
		return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
	}
	if (url.includes('/nodes/HyperIdUserData/') || url.includes('/dist/nodes/')) return 'this node';
	if (url.includes('/test/harness/')) return 'test harness';
	if (url.startsWith('node:')) return 'node core';
	return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

function main(): void {
	const [file, topArg] = process.argv.slice(2);
	if (!file) throw new Error('usage: bench/profile.ts <file.cpuprofile> [top]');
	const top = Number(topArg ?? 25);
	const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const selfUs = new Map<number, number>();
	profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
	const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

	const parent = new Map<number, number>();
	for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

	const fnSelf = new Map<string, number>();
	const groupSelf = new Map<string, number>();
	const inclusive = new Map<string, number>();
	for (const [id, us] of selfUs) {
		const n = byId.get(id)!;
		const name = `${n.callFrame.functionName || '(anonymous)'} ${group(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
		fnSelf.set(name, (fnSelf.get(name) ?? 0) + us);
		const g = group(n.callFrame.url);
		groupSelf.set(g, (groupSelf.get(g) ?? 0) + us);
		// inclusive time, counted once per function per stack
		const seen = new Set<string>();
		for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
			const f = byId.get(cur)!.callFrame;
			const key = `${f.functionName || '(anonymous)'} ${group(f.url)}`;
			if (seen.has(key)) continue;
			seen.add(key);
			inclusive.set(key, (inclusive.get(key) ?? 0) + us);
		}
	}
	const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms`;
	console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n\nself time by package / file:`);
	for (const [g, us] of [...groupSelf].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${g}`);
	console.log('\nself time by function:');
	for (const [f, us] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${f}`);
	console.log('\ninclusive time (functions of interest):');
	for (const [f, us] of [...inclusive]
		.filter(([k]) => /this node|getCredentials|httpRequestWithAuthentication|getNodeParameter|authenticate|resolve|getDecrypted|httpRequest|axios|JSON|expression/i.test(k))
		.sort((a, b) => b[1] - a[1])
		.slice(0, top))
		console.log(`  ${pct(us)}  ${f}`);
}

main();
