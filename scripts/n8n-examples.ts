/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run examples`: runs every examples/*.json in the real n8n against the HyperID emulator and
 * prints each node's output as a table (the building block of `npm run demo`), then one line per
 * example saying whether it behaved as designed: each example declares its expected outcome in its
 * `meta` (`expectedOutcome`: "succeeds" or "fails"; for a failure, `expectedFailure`: {node, why}),
 * and in `meta.demo` what the demo checks at the emulator and in n8n's output (refreshes, values
 * stored, result codes, items; test/shared/n8n/exampleChecks.ts); a check that does not hold fails
 * the example. `meta.demo.tokenExpiresAfterRequests` makes the token n8n holds expire mid-run.
 *
 *   N8N_VERSION=2.8.4 npm run examples       another n8n from test/shared/n8n/versions.json
 *   npm run examples -- examples/01-*.json   only these files
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { REPO_ROOT } from '../test/shared/n8n/install';
import { demoSpecOf, evaluate, expireTokenAfterRequests, observe, type DemoSpec } from '../test/shared/n8n/exampleChecks';
import { DEMO } from '../test/shared/n8n/hyperid';
import { assertBuilt } from '../test/shared/n8n/n8n';
import { startDeployment } from '../test/shared/n8n/queue';
import { DEFAULT_SESSION_CREDENTIALS, openSession, type Session } from '../test/shared/n8n/session';
import { atHyperId, bindByType, browseSignIn, clientCredential, openCallback, SERVICE_CLIENT, startSignIn, withPublicUrl } from '../test/shared/n8n/signIn';
import { freePort } from '../test/shared/services/ports';
import { formatRun, loadWorkflowFile, unsupportedReason } from '../test/shared/n8n/workflow';
import type { WorkflowRunResult } from '../test/shared/n8n/workflow';

interface Expectation {
	outcome: 'succeeds' | 'fails';
	/** for "fails": the node that is meant to stop the execution, and why */
	failure?: { node?: string; why?: string };
}

function expectationOf(file: string): Expectation {
	const meta = (loadWorkflowFile(file) as { meta?: Record<string, unknown> }).meta ?? {};
	const outcome = meta.expectedOutcome === 'fails' ? 'fails' : 'succeeds';
	if (meta.expectedOutcome !== undefined && meta.expectedOutcome !== 'succeeds' && meta.expectedOutcome !== 'fails') {
		throw new Error(`${file}: meta.expectedOutcome must be "succeeds" or "fails", not ${JSON.stringify(meta.expectedOutcome)}`);
	}
	return { outcome, failure: meta.expectedFailure as Expectation['failure'] };
}

/** The outcome's verdict, joined with the example's `meta.demo` checks (what was checked, or what did not hold). */
function withChecks(
	outcome: { asDesigned: boolean; line: string },
	spec: DemoSpec,
	session: Session,
	result?: WorkflowRunResult,
): { asDesigned: boolean; line: string } {
	const { failures, summary } = evaluate(spec.checks, observe(session.emulator), result);
	if (failures.length) return { asDesigned: false, line: `${outcome.line.replace(/^✓/, '✗')}; but ${failures.join('; ')}` };
	return { asDesigned: outcome.asDesigned, line: `${outcome.line}: ${summary}` };
}

/**
 * `meta.demo.tokenExpiresAfterRequests`: the access token n8n holds for the example's credential
 * expires after that many requests, so the node meets HyperID's "token expired" mid-run. The demo
 * knows the token it imported, so this must come before any refresh.
 */
async function expireMidRun(file: string, spec: DemoSpec, session: Session): Promise<void> {
	if (!spec.tokenExpiresAfterRequests) return;
	const refName = loadWorkflowFile(file).nodes.flatMap((node) => Object.values(node.credentials ?? {}))[0]?.name;
	const key = Object.keys(session.credentials).find((k) => session.credentials[k].name === refName) ?? 'main';
	if (session.emulator.stats().tokenGrants.refresh_token > 0) {
		throw new Error(`${file}: meta.demo.tokenExpiresAfterRequests needs the token the demo imported, but an earlier example refreshed it`);
	}
	const token = {
		issuedAtServed: session.credentialMeta[key].servedAtIssue,
		userId: DEMO.userId,
		clientId: DEFAULT_SESSION_CREDENTIALS[key]?.clientId ?? DEMO.clientId,
	};
	// the refreshed token must outlive the rest of the example
	await expireTokenAfterRequests(session.emulator, token, spec.tokenExpiresAfterRequests, 100);
	console.log(`  the emulator expires the access token after ${spec.tokenExpiresAfterRequests} requests`);
}

/** One summary line: whether the example behaved as designed, and if not, what happened instead. */
function verdict(file: string, expected: Expectation, result: WorkflowRunResult): { asDesigned: boolean; line: string } {
	const name = path.basename(file);
	const message = result.error?.message ?? '';
	const failedAt = result.error?.node?.name ?? result.lastNodeExecuted;
	if (expected.outcome === 'succeeds') {
		return result.ok
			? { asDesigned: true, line: `✓ ${name}: succeeded, as designed` }
			: { asDesigned: false, line: `✗ ${name}: FAILED, but is designed to succeed (${failedAt ?? 'unknown node'}: ${message})` };
	}
	if (result.ok) return { asDesigned: false, line: `✗ ${name}: succeeded, but is designed to fail at ${expected.failure?.node ?? 'a node'}` };
	if (expected.failure?.node && failedAt !== expected.failure.node) {
		return { asDesigned: false, line: `✗ ${name}: failed at ${failedAt ?? 'an unknown node'}, but is designed to fail at ${expected.failure.node} (${message})` };
	}
	return { asDesigned: true, line: `✓ ${name}: failed as designed at ${failedAt}${expected.failure?.why ? `: ${expected.failure.why}` : ''} ("${message}")` };
}

/**
 * An example that starts at webhooks (`meta.runAs: "signInWebhook"`): a running n8n serves it, and
 * the demo plays the user's browser through the sign-in (test/shared/n8n/signIn.ts).
 */
async function runSignInWebhook(file: string, session: Session): Promise<{ asDesigned: boolean; line: string; ms: number }> {
	const started = Date.now();
	const name = path.basename(file);
	const client = clientCredential(session.emulator);
	// the example names its public URL in its Redirect URIs: this n8n's, known before it starts
	const port = await freePort();
	const workflow = withPublicUrl(bindByType(loadWorkflowFile(file), 'demoSignInHook1', { hyperIdClientApi: client }), `http://127.0.0.1:${port}`);
	const deployment = await startDeployment({ runtime: session.runtime, mode: 'regular', credentials: [client], workflows: [workflow], log: (l) => console.log(`  ${l}`), port });
	try {
		// a login CSRF first: a sign-in's code and state opened by a browser without its cookie
		const other = await startSignIn(deployment.baseUrl, DEMO.email);
		const forged = await openCallback(await atHyperId(other.authorizationUrl), undefined);
		console.log(`  a browser without the sign-in cookie got HTTP ${forged.status}: ${forged.body}`);
		const signedIn = await browseSignIn(deployment.baseUrl, DEMO.email);
		const hop = (url: URL) => `${url.origin}${url.pathname}`;
		console.log(`  browser -> ${deployment.webhookUrl('hyperid-sign-in/start')}`);
		console.log(`  n8n sent it to HyperID: ${hop(signedIn.authorizationUrl)} (state ${signedIn.authorizationUrl.searchParams.get('state')}, PKCE ${signedIn.authorizationUrl.searchParams.get('code_challenge_method')})`);
		console.log(`  HyperID sent it back: ${hop(signedIn.callbackUrl)} with a code and the same state`);
		console.log(`  n8n answered HTTP ${signedIn.status}: ${signedIn.body}`);
		const asDesigned = forged.status === 400 && signedIn.status === 200 && signedIn.body === `Signed in as ${DEMO.email}`;
		return {
			asDesigned,
			ms: Date.now() - started,
			line: asDesigned
				? `✓ ${name}: signed ${DEMO.email} in through the webhooks and refused a callback without the sign-in cookie, as designed`
				: `✗ ${name}: the sign-in did not end with "Signed in as ${DEMO.email}", or a callback without the sign-in cookie was not refused (HTTP ${forged.status})`,
		};
	} catch (error) {
		console.log(`  n8n output (tail):\n${deployment.output(30)}`);
		return { asDesigned: false, ms: Date.now() - started, line: `✗ ${name}: ${(error as Error).message}` };
	} finally {
		await deployment.stop();
	}
}

const DEMO_USERS = 5;

/**
 * An example acting for a token table (`meta.runAs: "userTokensTable"`): users of the emulator,
 * signed in to the service's client earlier, stand in for example 07's sign-ins (the first call
 * stores them, `?seed=1`, and acts with their still valid tokens: no refresh). Then their access
 * tokens expire and the webhook is called twice at once, as two overlapping runs: the workflow
 * claims rows, so each user's refresh token is renewed once (none reused, nobody signed out) and
 * every renewed pair is stored in n8n's Data Table; a last run claims every row again (all given back).
 */
async function runUsersTokensTable(file: string, session: Session): Promise<{ asDesigned: boolean; line: string; ms: number }> {
	const started = Date.now();
	const name = path.basename(file);
	const client = clientCredential(session.emulator, 'hyperIdClientTokens', 'HyperID Client');
	const users = Array.from({ length: DEMO_USERS }, (_, i) => {
		const userId = `demo-customer-${i + 1}`;
		session.emulator.addUser({ userId, email: `${userId}@example.com` });
		const grant = session.emulator.createToken({ userId, clientId: SERVICE_CLIENT.clientId });
		return { userId, accessToken: grant.access_token, refreshToken: grant.refresh_token, expiresAt: '' };
	});
	const workflow = bindByType(loadWorkflowFile(file), 'demoTokenTable01', { hyperIdClientApi: client });
	const seedNode = workflow.nodes.find((node) => node.name === 'Users Signed In Earlier (Demo)');
	if (seedNode)
		seedNode.parameters = {
			jsCode: `return $('Run for Every User').first().json.query.seed === '1' ? ${JSON.stringify(users)}.map((json) => ({ json })) : [];`,
		};
	// n8n's Data Table lives in a running n8n (\`n8n execute\` does not load it)
	const deployment = await startDeployment({ runtime: session.runtime, mode: 'regular', credentials: [client], workflows: [workflow], log: (l) => console.log(`  ${l}`) });
	const call = async (query: string) => {
		const response = await fetch(`${deployment.webhookUrl('hyperid-token-table')}${query}`, { signal: AbortSignal.timeout(120_000) });
		const body = await response.text();
		let summary: { rowsClaimed?: number; renewedPairsStored?: number } = {};
		try {
			summary = JSON.parse(body || '{}');
		} catch {
			// a run that claimed no row ends at "Claimed by This Run?" and answers without a summary
		}
		return { status: response.status, body, rowsClaimed: summary.rowsClaimed ?? 0, renewed: summary.renewedPairsStored ?? 0 };
	};
	try {
		const first = await call('?seed=1');
		console.log(`  ${DEMO_USERS} users stored, their tokens still valid; the webhook answered HTTP ${first.status}: ${first.body}`);
		session.emulator.advanceClock(3700);
		const reusesBefore = session.emulator.stats().refreshReuses;
		const overlapping = await Promise.all([call(''), call('')]);
		const reuses = session.emulator.stats().refreshReuses - reusesBefore;
		for (const run of overlapping) console.log(`  access tokens expired, one of two overlapping runs answered HTTP ${run.status}: ${run.body.slice(0, 200)}`);
		const values = users.filter((user) => session.emulator.store().data[user.userId]?.['user-id']?.['last-visit']).length;
		// the rows were given back with the renewed pairs: the next run claims them all and refreshes nothing
		const next = await call('');
		console.log(`  the next run answered HTTP ${next.status}: ${next.body}`);
		const claimed = overlapping.reduce((n, run) => n + run.rowsClaimed, 0);
		const renewed = overlapping.reduce((n, run) => n + run.renewed, 0);
		const asDesigned =
			first.status === 200 &&
			first.rowsClaimed === DEMO_USERS &&
			overlapping.every((run) => run.status === 200) &&
			claimed === DEMO_USERS &&
			renewed === DEMO_USERS &&
			values === DEMO_USERS &&
			reuses === 0 &&
			next.rowsClaimed === DEMO_USERS &&
			next.renewed === 0;
		return {
			asDesigned,
			ms: Date.now() - started,
			line: asDesigned
				? `✓ ${name}: a value set for each of ${DEMO_USERS} users with their own tokens; two overlapping runs claimed ${claimed} rows between them, stored ${renewed} renewed pairs in the Data Table and gave the rows back, 0 refresh tokens reused, as designed`
				: `✗ ${name}: ${values} values set, first run claimed ${first.rowsClaimed}, overlapping runs claimed ${claimed} and stored ${renewed} renewed pairs, ${reuses} refresh tokens reused, the next run claimed ${next.rowsClaimed} (HTTP ${overlapping.map((run) => run.status).join(', ')})`,
		};
	} catch (error) {
		console.log(`  n8n output (tail):\n${deployment.output(30)}`);
		return { asDesigned: false, ms: Date.now() - started, line: `✗ ${name}: ${(error as Error).message}` };
	} finally {
		await deployment.stop();
	}
}

const runsAsTokenTable = (file: string) => (loadWorkflowFile(file) as { meta?: Record<string, unknown> }).meta?.runAs === 'userTokensTable';

const runsAsWebhook = (file: string) => (loadWorkflowFile(file) as { meta?: Record<string, unknown> }).meta?.runAs === 'signInWebhook';

async function main(): Promise<void> {
	assertBuilt();
	const args = process.argv.slice(2);
	let files = args.length
		? args
		: fs
				.readdirSync(path.join(REPO_ROOT, 'examples'))
				.filter((f) => f.endsWith('.json'))
				.sort()
				.map((f) => path.join('examples', f));
	// a missing or misspelt meta.demo fails before n8n starts
	for (const file of files) demoSpecOf(loadWorkflowFile(file), file);
	const session = await openSession({ version: process.env.N8N_VERSION, log: (l) => console.log(l) });
	console.log(`n8n ${session.runtime.version} with n8n-nodes-hyperid, emulator at ${session.emulator.url}\n`);
	const summary: string[] = [];
	let notAsDesigned = 0;
	const version = session.runtime.version;
	// an example this n8n cannot run is named with the reason, not run into an obscure failure
	const skipped = files.flatMap((file) => {
		const why = unsupportedReason(loadWorkflowFile(file), version);
		return why ? [`- ${path.basename(file)}: skipped on n8n ${version}: it ${why}`] : [];
	});
	for (const line of skipped) console.log(`${line}\n`);
	files = files.filter((file) => !unsupportedReason(loadWorkflowFile(file), version));
	try {
		// one import for all (each n8n command costs ~2.5 s of start-up)
		const executed = files.filter((file) => !runsAsWebhook(file) && !runsAsTokenTable(file));
		const ids = await session.importWorkflowFiles(executed.map((file) => ({ file })));
		for (let i = 0; i < executed.length; i++) {
			const wf = loadWorkflowFile(executed[i]);
			const expected = expectationOf(executed[i]);
			console.log(`▶ ${wf.name}  (${executed[i]})${expected.outcome === 'fails' ? `  - designed to fail: ${expected.failure?.why ?? ''}` : ''}`);
			const spec = demoSpecOf(wf, executed[i]);
			session.emulator.clearRequests();
			await expireMidRun(executed[i], spec, session);
			const result = await session.execute(ids[i]).finally(() => session.emulator.setOptions({ expireTokensEveryRequests: 0 }));
			console.log(formatRun(result, { failureExpected: expected.outcome === 'fails' ? 'this example fails on purpose' : undefined }));
			const { asDesigned, line } = withChecks(verdict(executed[i], expected, result), spec, session, result);
			console.log(`${line}  [${(result.ms / 1000).toFixed(1)}s]\n`);
			summary.push(line);
			if (!asDesigned) notAsDesigned++;
		}
		for (const file of files.filter(runsAsTokenTable)) {
			console.log(`▶ ${loadWorkflowFile(file).name}  (${file})`);
			const spec = demoSpecOf(loadWorkflowFile(file), file);
			session.emulator.clearRequests();
			const run = await runUsersTokensTable(file, session);
			const { asDesigned, line } = withChecks(run, spec, session);
			const ms = run.ms;
			console.log(`${line}  [${(ms / 1000).toFixed(1)}s]\n`);
			summary.push(line);
			if (!asDesigned) notAsDesigned++;
		}
		for (const file of files.filter(runsAsWebhook)) {
			console.log(`▶ ${loadWorkflowFile(file).name}  (${file}, served by a running n8n)`);
			const spec = demoSpecOf(loadWorkflowFile(file), file);
			session.emulator.clearRequests();
			const run = await runSignInWebhook(file, session);
			const { asDesigned, line } = withChecks(run, spec, session);
			const ms = run.ms;
			console.log(`${line}  [${(ms / 1000).toFixed(1)}s]\n`);
			summary.push(line);
			if (!asDesigned) notAsDesigned++;
		}
	} finally {
		await session.close();
	}
	console.log(
		`Examples on n8n ${version}: ${summary.length - notAsDesigned} of ${summary.length} behaved as designed${skipped.length ? `, ${skipped.length} skipped` : ''}`,
	);
	for (const line of [...summary, ...skipped]) console.log(`  ${line}`);
	process.exitCode = notAsDesigned ? 1 : 0;
}

main().catch((err) => {
	console.error(err);
	process.exitCode = 1;
});
