/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The n8n editor in a real browser (Debian's chromium, headless, driven by playwright-core)
 * against the environment `npm run dev` gives a user: the real n8n with this package installed,
 * the HyperID emulator and a connected "HyperID account" credential.
 *
 *   npm run test:browser                      n8n = newest in test/shared/n8n/versions.json
 *   N8N_VERSION=2.8.4 npm run test:browser    another listed n8n
 *   npm run screenshots                       the same run, screenshots into docs/screenshots/
 *
 * Screenshots go to .cache/browser-screenshots/ otherwise (and failure-*.png on a failure).
 *
 * The last two tests create a HyperID Client API credential through the editor, and n8n gives a new
 * node the credential saved last: tests that expect the connected "HyperID account" come before them.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Page } from 'playwright-core';

import { DEMO } from '../shared/n8n/hyperid';
import { REPO_ROOT } from '../shared/n8n/install';
import { IDENTITY_PROVIDERS } from '../emulator/server';
import { launchBrowser, type Browser } from './lib/browser';
import { OWNER, startDevEnv, type DevEnv } from './lib/devEnv';
import {
	choose,
	clickOption,
	closeCredentialModal,
	closeDropdown,
	closeNdv,
	fieldLabels,
	login,
	newWorkflow,
	openNodeActions as openNodeActionsOf,
	openOptions,
	optionsOf,
	outputText,
	pickAction as pickActionOf,
	screenshotDir,
	sel,
	visibleOptions,
} from './lib/editor';

const NODE_NAME = 'HyperID User Data';

const RESOURCES = [
	'User Data',
	'User Data by Email',
	'User Data by Identity Provider',
	'User Data by User ID',
	'User Data by Wallet',
	'Wallet',
] as const;
type Resource = (typeof RESOURCES)[number];

const FAMILY_OPERATIONS = ['Delete', 'Delete All', 'Get', 'Get Many', 'List Keys', 'List Shared Keys', 'Set'];
const OPERATIONS: Record<Resource, string[]> = {
	'User Data': ['Get', 'Set'],
	'User Data by Email': FAMILY_OPERATIONS,
	'User Data by Identity Provider': FAMILY_OPERATIONS,
	'User Data by User ID': FAMILY_OPERATIONS,
	'User Data by Wallet': FAMILY_OPERATIONS,
	Wallet: ['Get Many'],
};
/** n8n adds this to nodes whose credential can authenticate its HTTP Request node (OAuth2, or an `authenticate`); not one of the node's own. */
const N8N_EXTRA_OPERATION = 'Custom API Call';

const TARGET: Partial<Record<Resource, string>> = {
	'User Data by Identity Provider': 'Identity Provider Name or ID',
	'User Data by Wallet': 'Wallet Address',
};

/** The fields the parameter panel must show, in order, for a resource and operation. */
function expectedFields(resource: Resource, operation: string): string[] {
	const target = TARGET[resource] ? [TARGET[resource]!] : [];
	const byOperation: Record<string, string[]> = {
		Get: ['Keys'],
		Delete: ['Keys'],
		'List Keys': [],
		'List Shared Keys': ['Return All', 'Limit'],
		// Data Mode "Single Key" (the default) shows Key and Value; Access Scope only where HyperID
		// takes one: the by-* families, not plain user data
		Set: resource === 'User Data' ? ['Data Mode', 'Key', 'Value'] : ['Data Mode', 'Key', 'Value', 'Access Scope'],
		// the user's wallets, or (on a storage family) every value with Return All / Limit
		'Get Many': resource === 'Wallet' ? [] : ['Return All', 'Limit'],
		'Delete All': [],
	};
	return ['Resource', 'Operation', ...target, ...byOperation[operation], 'Options'];
}

/** The choices under "Add option" for an operation (Output Field only once Values Output asks for it). */
function expectedOptions(resource: Resource, operation: string): string[] {
	const common = ['Concurrency', 'Retries', 'Retry Delay (Ms)', 'Simplify', 'Timeout (Ms)'];
	const extra: Record<string, string[]> = {
		Get: ['Batch Reads', 'Value Format', 'Values Output'],
		'Get Many': resource === 'Wallet' ? [] : ['Value Format', 'Values Output'],
		Set: ['Value Format'],
		'List Keys': ['Keys Output'],
		'List Shared Keys': ['Page Size'],
	};
	return [...common, ...(extra[operation] ?? [])].sort();
}

const SET_KEY = 'favorite-color';
const SET_VALUE = 'teal';

const shots = screenshotDir(REPO_ROOT);
// n8n's toasts ("Credential saved", "Node executed successfully") left out of the picture
const shot = (page: Page, name: string) =>
	page.screenshot({ path: path.join(shots, name), style: '.el-notification { visibility: hidden !important; }' });

let env: DevEnv;
let browser: Browser;
let page: Page;
const started = Date.now();
const log = (line: string) => process.stdout.write(`[browser ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

beforeAll(async () => {
	env = await startDevEnv({ log });
	// the demo client registers loopback URIs only; this test's sign-in link names the service's public callback
	env.emulator.addClient({ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, redirectUris: [...DEMO.redirectUris, REDIRECT_URI] });
	browser = await launchBrowser();
	page = browser.context.pages()[0] ?? (await browser.context.newPage());
	await login(page, env.baseUrl, OWNER.email, OWNER.password);
	log(`signed in to n8n ${env.version.n8n}`);
	// a first start of n8n may install it (2-4 min); afterwards start-up is ~30 s
}, 900_000);

afterAll(async () => {
	await browser?.close();
	await env?.stop();
}, 60_000);

/** On failure: a screenshot of the page as it was. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
	try {
		return await fn();
	} catch (error) {
		const file = path.join(shots, `failure-${name.replace(/\W+/g, '-')}.png`);
		await page?.screenshot({ path: file }).catch(() => undefined);
		(error as Error).message += `\n(screenshot of the page: ${file})`;
		throw error;
	}
}


/** Re-run `fn` until `check` (jest expectations) passes on its value, or time out with the last failure. */
async function eventually<T>(fn: () => Promise<T>, check: (value: T) => void, timeoutMs = 10_000): Promise<T> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		let value: T | undefined;
		try {
			value = await fn();
			check(value);
			return value;
		} catch (error) {
			if (Date.now() > until) throw error;
		}
		await new Promise((r) => setTimeout(r, 250));
	}
}

const ndv = () => page.locator(sel.ndv);

/** Search the node panel for the node and open its list of actions. */
const openNodeActions = () => openNodeActionsOf(page, NODE_NAME, 'Set a value');

/** Click an action in the opened node's action list, by its group (e.g. "User Data") and name. */
const pickAction = (group: string, action: string) => pickActionOf(page, group, action);

/** A new workflow with the node added as "Set a value" on User Data, its panel open. */
async function addNodeToNewWorkflow(): Promise<void> {
	await newWorkflow(page, env.baseUrl);
	await page.locator(sel.canvasPlus).click();
	await openNodeActions();
	await pickAction('User Data', 'Set a value');
	await page.locator(`${sel.ndv} ${sel.credentialSelect}`).waitFor({ timeout: 10_000 });
}

test('the node panel finds "HyperID User Data" and lists its actions', async () => {
	await step('node-panel', async () => {
		await newWorkflow(page, env.baseUrl);
		await page.locator(sel.canvasPlus).click();
		await page.locator(sel.nodeCreatorSearch).pressSequentially('HyperID', { delay: 20 });
		const item = page.locator(sel.nodeCreatorItemName, { hasText: NODE_NAME }).first();
		await item.waitFor();
		// the package's other node (HyperID Sign-In) is found too: read this node's own description
		const entry = page
			.locator(`${sel.nodeCreator} ${sel.nodeCreatorItem}`)
			.filter({ has: page.locator(sel.nodeCreatorItemName, { hasText: NODE_NAME }) });
		expect(await entry.locator('[data-test-id="node-creator-item-description"]').first().innerText()).toMatch(
			/key\/value data in HyperID/,
		);
		await shot(page, 'node-panel.png');

		await item.click();
		await page.locator(sel.nodeCreatorItemName, { hasText: 'Set a value' }).first().waitFor();
		await page.locator(sel.nodeCreatorItemName, { hasText: NODE_NAME }).first().waitFor({ state: 'detached' });
		await page.waitForTimeout(300);
		const texts = await page
			.locator(`${sel.nodeCreator} ${sel.nodeCreatorItem}`)
			.evaluateAll((els) => els.map((e) => (e as HTMLElement).innerText.trim()));
		for (const group of RESOURCES) expect(texts.map((t) => t.toUpperCase())).toContain(`${group} ACTIONS`.toUpperCase());
		// 2 + 4 x 7 + 1 actions
		expect(await page.locator(sel.nodeCreator).innerText()).toMatch(/Actions \(31\)/);
		await shot(page, 'node-actions.png');

		await pickAction('User Data', 'Set a value');
		// the connected credential is picked for a new node
		await expect(page.locator(`${sel.ndv} ${sel.credentialSelect} input`).inputValue()).resolves.toBe('HyperID account');
		await expect(page.locator(`${sel.ndv} ${sel.param('resource')} input`).inputValue()).resolves.toBe('User Data');
		await expect(page.locator(`${sel.ndv} ${sel.param('operation')} input`).inputValue()).resolves.toBe('Set');
	});
});

test('every resource and operation shows the right fields and options', async () => {
	await step('fields', async () => {
		if (!(await ndv().isVisible())) await addNodeToNewWorkflow();
		const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		// User Data sets defaultVersion, so n8n offers no Custom API Call for it (Sign-In keeps it, below)
		expect(await optionsOf(page, panel, 'resource')).toEqual(RESOURCES);
		const seen: string[] = [];
		for (const resource of RESOURCES) {
			await choose(page, panel, 'resource', resource);
			const operations = await optionsOf(page, panel, 'operation');
			expect({ resource, operations }).toEqual({ resource, operations: OPERATIONS[resource] });
			for (const operation of OPERATIONS[resource]) {
				await chooseParam('operation', operation);
				await expect(panel.locator(`${sel.param('operation')} input`).inputValue()).resolves.toBe(operation);
				const fields = await fieldLabels(page);
				expect({ resource, operation, fields }).toEqual({
					resource,
					operation,
					fields: expectedFields(resource, operation),
				});
				await panel.locator('[data-test-id="collection-parameter-add"]').click();
				const options = (await visibleOptions(page)).sort();
				await closeDropdown(page);
				expect({ resource, operation, options }).toEqual({ resource, operation, options: expectedOptions(resource, operation) });
				seen.push(`${resource} / ${operation}`);
			}
		}
		expect(seen).toHaveLength(31);
	});
});

test('List Shared Keys: Return All hides Limit', async () => {
	await step('return-all', async () => {
		if (!(await ndv().isVisible())) await addNodeToNewWorkflow();
		const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await choose(page, panel, 'resource', 'User Data by Email');
		await choose(page, panel, 'operation', 'List Shared Keys');
		expect(await fieldLabels(page)).toContain('Limit');
		await panel.locator(`${sel.param('returnAll')} .el-switch, ${sel.param('returnAll')} [role="switch"]`).first().click();
		await eventually(() => fieldLabels(page), (f) => expect(f).not.toContain('Limit'), 5_000);
		expect(await fieldLabels(page)).toContain('Return All');
	});
});

/**
 * Choose an option of a node parameter; once more if the dropdown did not close after the click
 * (seen right after a resource change on a loaded machine), then check the field shows it.
 */
async function chooseParam(param: string, name: string): Promise<void> {
	const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
	try {
		await choose(page, panel, param, name);
	} catch {
		await closeDropdown(page).catch(() => undefined);
		if ((await panel.locator(`${sel.param(param)} input`).first().inputValue()) !== name) await choose(page, panel, param, name);
	}
	await expect(panel.locator(`${sel.param(param)} input`).first().inputValue()).resolves.toBe(name);
}

/** Add an option from the Options collection's "Add option" list. */
async function addOption(name: string): Promise<void> {
	const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
	await panel.locator('[data-test-id="collection-parameter-add"]').click();
	await clickOption(page, name);
}

/** The option names still offered under "Add option". */
async function offeredOptions(): Promise<string[]> {
	const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
	await panel.locator('[data-test-id="collection-parameter-add"]').click();
	const options = await visibleOptions(page);
	await closeDropdown(page);
	return options;
}

test('Set: Data Mode Define Below shows Fields to Set; Auto-Map Input Fields offers Fields to Skip', async () => {
	await step('data-mode', async () => {
		// a fresh node: no options added by earlier tests
		await addNodeToNewWorkflow();
		const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await chooseParam('resource', 'User Data by User ID');
		await chooseParam('operation', 'Set');
		expect(await optionsOf(page, panel, 'dataMode')).toEqual(['Auto-Map Input Fields', 'Define Below', 'Single Key']);
		await expect(panel.locator(`${sel.param('dataMode')} input`).inputValue()).resolves.toBe('Single Key');

		await chooseParam('dataMode', 'Define Below');
		await eventually(() => fieldLabels(page), (f) =>
			expect(f).toEqual(['Resource', 'Operation', 'Data Mode', 'Fields to Set', 'Access Scope', 'Options']),
		);
		await panel.getByRole('button', { name: 'Add Field' }).click();
		await panel.locator(`${sel.param('key')} input`).last().waitFor();
		await panel.locator(`${sel.param('key')} input`).last().fill('plan');
		await panel.locator(`${sel.param('value')} input, ${sel.param('value')} textarea`).last().fill('pro');
		await page.waitForTimeout(300);
		await shot(page, 'node-set-define-below.png');
		expect(await offeredOptions()).not.toContain('Fields to Skip');

		await chooseParam('dataMode', 'Auto-Map Input Fields');
		await eventually(() => fieldLabels(page), (f) => expect(f).toEqual(['Resource', 'Operation', 'Data Mode', 'Access Scope', 'Options']));
		expect(await offeredOptions()).toContain('Fields to Skip');
		await addOption('Fields to Skip');
		await panel.locator(`${sel.param('fieldsToSkip')} input`).fill('internalId');
	});
});

test('Get and Get Many: Values Output Merge Into Input Item adds Output Field (hyperid); Batch Reads is on for a new node', async () => {
	await step('merge-into-input', async () => {
		await addNodeToNewWorkflow();
		const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await chooseParam('resource', 'User Data by Email');
		await chooseParam('operation', 'Get');
		// node version 1.1: Batch Reads, once added, shows its default: on
		await addOption('Batch Reads');
		const batch = panel.locator(`${sel.param('batchReads')} .el-switch, ${sel.param('batchReads')} [role="switch"]`).first();
		await batch.waitFor();
		expect(await batch.evaluate((el) => el.classList.contains('is-checked') || el.getAttribute('aria-checked') === 'true')).toBe(true);

		for (const operation of ['Get', 'Get Many']) {
			await chooseParam('operation', operation);
			if (!(await panel.locator(sel.param('getOutput')).isVisible())) await addOption('Values Output');
			expect(await optionsOf(page, panel, 'getOutput')).toEqual(['Merge Into Input Item', 'One Item per Value', 'One Item with All Values']);
			if (operation === 'Get') expect(await offeredOptions()).not.toContain('Output Field');
			await chooseParam('getOutput', 'Merge Into Input Item');
			// (added once, it stays in the options while hidden)
			if (!(await panel.locator(sel.param('outputField')).isVisible())) {
				await eventually(offeredOptions, (options) => expect(options).toContain('Output Field'));
				await addOption('Output Field');
			}
			await expect(panel.locator(`${sel.param('outputField')} input`).inputValue()).resolves.toBe('hyperid');
			if (operation === 'Get Many') {
				await page.waitForTimeout(300);
				await shot(page, 'node-get-many-merge.png');
			}
			await chooseParam('getOutput', 'One Item per Value');
		}
	});
});

test('Identity Provider lists the providers of the emulator\'s discovery document', async () => {
	await step('identity-providers', async () => {
		if (!(await ndv().isVisible())) await addNodeToNewWorkflow();
		const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await choose(page, panel, 'resource', 'User Data by Identity Provider');
		await choose(page, panel, 'operation', 'Set');
		const names = await openOptions(page, panel, 'identityProvider');
		const expected = [...IDENTITY_PROVIDERS]
			.map((p) => p.charAt(0).toUpperCase() + p.slice(1))
			.sort((a, b) => a.localeCompare(b));
		expect(names).toEqual(expected);
		expect(names).toEqual(expect.arrayContaining(['Google', 'Telegram']));
		await page.waitForTimeout(300); // the popper's fade-in
		await shot(page, 'node-identity-providers.png');
		await clickOption(page, 'Google');
		await expect(panel.locator(`${sel.param('identityProvider')} input`).inputValue()).resolves.toBe('Google');
		// fetched from the emulator (the credential's Login URL), not from a built-in list; n8n loads
		// the list as soon as the field shows, so any time during this run
		const paths = env.emulator.requests().map((r) => r.path);
		expect(paths).toContain('/auth/realms/HyperID/.well-known/openid-configuration');
	});
});

test('Wallet Address lists the user\'s wallets from /user-wallets/get', async () => {
	await step('wallets', async () => {
		if (!(await ndv().isVisible())) await addNodeToNewWorkflow();
		const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await choose(page, panel, 'resource', 'User Data by Wallet');
		await choose(page, panel, 'operation', 'Get');
		env.emulator.clearRequests();
		await panel.locator(`${sel.param('walletAddress')} [data-test-id="rlc-input"]`).click();
		const items = page.locator('[data-test-id="rlc-item"]:visible');
		await eventually(() => items.count(), (n) => expect(n).toBe(2), 15_000);
		const texts = await items.allInnerTexts();
		expect(texts[0]).toContain(DEMO.privateWallet);
		expect(texts[0]).toMatch(/private/);
		expect(texts[1]).toContain(DEMO.publicWallet);
		expect(texts[1]).toMatch(/public/);
		await page.waitForTimeout(300);
		await shot(page, 'node-wallet-list.png');
		await items.first().click();
		await expect(panel.locator(`${sel.param('walletAddress')} [data-test-id="rlc-input"]`).inputValue()).resolves.toContain(
			DEMO.privateWallet.slice(0, 10),
		);
		const calls = env.emulator.requests().filter((r) => r.path === '/user-wallets/get');
		expect(calls.length).toBeGreaterThanOrEqual(1);
		expect(calls.every((c) => c.status === 200 && c.result === 0)).toBe(true);
	});
});

test('a workflow built in the editor sets a value and reads it back (Execute workflow)', async () => {
	await step('run', async () => {
		// Manual Trigger -> Set a value -> Get values, built by hand
		await addNodeToNewWorkflow();
		let panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await panel.locator(`${sel.param('key')} input`).fill(SET_KEY);
		await panel.locator(`${sel.param('value')} textarea`).fill(SET_VALUE);
		await closeNdv(page);
		const setNode = page.locator(sel.canvasNode, { hasText: 'Set a value' });
		await setNode.hover();
		await setNode.locator('[data-test-id="canvas-handle-plus"]').click();
		await openNodeActions();
		await pickAction('User Data', 'Get values');
		panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await panel.getByRole('button', { name: 'Add Key' }).click();
		await panel.locator(`${sel.param('keys')} input, ${sel.param('keys')} textarea`).last().fill(SET_KEY);
		await closeNdv(page);
		expect(await page.locator(sel.canvasNode).count()).toBe(3);

		const stored = () => env.emulator.store().data[DEMO.userId]?.plain?.[SET_KEY];
		expect(stored()).toBeUndefined();
		env.emulator.clearRequests();
		await page.locator(sel.executeWorkflow).click();
		await eventually(
			async () => env.emulator.requests().filter((r) => r.path.startsWith('/user-data/')).length,
			(n) => expect(n).toBe(2),
			30_000,
		);
		const calls = env.emulator.requests().filter((r) => r.path.startsWith('/user-data/'));
		expect(calls.map((c) => [c.path, c.result])).toEqual([
			['/user-data/set', 0],
			['/user-data/get', 0],
		]);
		expect(stored()).toMatchObject({ value_data: SET_VALUE });

		await page.locator(sel.canvasNode, { hasText: 'Get values' }).dblclick();
		await ndv().waitFor();
		await eventually(() => outputText(page), (t) => expect(t).toContain(SET_VALUE), 15_000);
		const output = await outputText(page);
		expect(output).toContain(SET_KEY);
		expect(output).toMatch(/1 item/);
		await shot(page, 'set-get-output.png');
	});
});

test('the credential form: connected, Environment Production/Sandbox/Custom, scopes notice', async () => {
	await step('credential', async () => {
		if (!(await ndv().isVisible())) await addNodeToNewWorkflow();
		// the imported, connected credential
		await page.locator(`${sel.ndv} ${sel.credentialEdit}`).click();
		let modal = page.locator(sel.credentialModal);
		await modal.waitFor();
		// the form fills in after the modal opens
		await modal.locator('[data-test-id="oauth-connect-success-banner"]').waitFor();
		expect(await modal.locator('[data-test-id="oauth-connect-success-banner"]').innerText()).toMatch(/connected/i);
		await eventually(() => modal.innerText(), (t) => expect(t).toMatch(/HyperID OAuth2 API/));
		const notice = modal.locator('[data-test-id="credential-connection-parameter"]', { hasText: 'Scopes each operation needs' });
		expect(await notice.innerText()).toMatch(/user-data-get[\s\S]*user-data-set/);
		await expect(modal.locator(`${sel.param('environment')} input`).inputValue()).resolves.toBe('Custom');
		await expect(modal.locator(`${sel.param('loginUrl')} input`).inputValue()).resolves.toBe(env.emulator.url);
		await notice.scrollIntoViewIfNeeded();
		await modal.locator(sel.param('apiUrl')).scrollIntoViewIfNeeded();
		await page.waitForTimeout(300);
		await shot(page, 'credential-form.png');
		await closeCredentialModal(page);

		// a new credential: Production by default; Sandbox and Custom show their own URL fields
		await page.locator(`${sel.ndv} ${sel.credentialSelect}`).click();
		await page.locator('[data-test-id="node-credentials-select-item-new"]').click();
		modal = page.locator(sel.credentialModal);
		await modal.locator(sel.param('environment')).waitFor();
		const labels = () =>
			modal
				.locator('[data-test-id="credential-connection-parameter"]')
				.evaluateAll((els) => els.map((e) => (e as HTMLElement).innerText.split('\n')[0].replace(/\s*\*\s*$/, '').trim()));
		await expect(modal.locator(`${sel.param('environment')} input`).inputValue()).resolves.toBe('Production');
		expect(await labels()).toEqual(expect.arrayContaining(['Client ID', 'Client Secret', 'Scope', 'Environment']));
		expect(await labels()).not.toContain('Login URL');
		// (no Escape in the credential modal: it would ask to close the modal)
		expect(await openOptions(page, modal, 'environment', { escape: false })).toEqual(['Production', 'Sandbox', 'Custom']);
		await clickOption(page, 'Production');
		await expect(modal.locator(`${sel.param('scope')} input`).inputValue()).resolves.toBe(
			'openid email user-data-get user-data-set',
		);
		await choose(page, modal, 'environment', 'Sandbox', { escape: false });
		await eventually(labels, (l) => expect(l).toContain('Sandbox API URL'));
		expect(await labels()).not.toContain('Login URL');
		await choose(page, modal, 'environment', 'Custom', { escape: false });
		await eventually(labels, (l) => expect(l).toEqual(expect.arrayContaining(['Login URL', 'API URL'])));
		expect(await labels()).not.toContain('Sandbox API URL');

		await closeCredentialModal(page);
	});
});

const CLIENT_CREDENTIAL_NAME = 'HyperID Client account';
const INTROSPECT_PATH = '/auth/realms/HyperID/protocol/openid-connect/token/introspect';
const TOKEN_PATH = '/auth/realms/HyperID/protocol/openid-connect/token';
/** The credential's own message for HyperID's 401 invalid_client (n8n alone would say "Unauthorized"). */
const CLIENT_REFUSED = /HyperID did not accept this client \(HTTP 401\)\. Check the Client ID, the Client Secret/;

const credentialSave = () => page.locator(`${sel.credentialModal} [data-test-id="credential-save-button"]`);

/** In the open HyperID Client API form: environment Custom at the emulator, the emulator's demo client, this secret. */
async function fillClientCredential(clientSecret: string): Promise<void> {
	const modal = page.locator(sel.credentialModal);
	await choose(page, modal, 'environment', 'Custom', { escape: false });
	await modal.locator(`${sel.param('loginUrl')} input`).fill(env.emulator.url);
	await modal.locator(`${sel.param('clientId')} input`).fill(DEMO.clientId);
	await expect(modal.locator(`${sel.param('clientAuthentication')} input`).inputValue()).resolves.toBe('Client Secret in Body');
	await modal.locator(`${sel.param('clientSecret')} input`).fill(clientSecret);
}

/** The introspection requests (the credential test) the emulator answered since `clearRequests()`, by status. */
const introspections = () => env.emulator.requests().filter((r) => r.path === INTROSPECT_PATH).map((r) => r.status);

test("Each User's Tokens: chosen in a new credential's form (HyperID Client API), tested at HyperID; the node shows Access Token and Refresh Token", async () => {
	await step('user-tokens', async () => {
		await addNodeToNewWorkflow();
		// Connected Account (the connected "HyperID account"): no token fields
		expect(await fieldLabels(page)).not.toContain('Access Token');

		// n8n shows the node's Authentication as the mode of a new credential's form
		await page.locator(`${sel.ndv} ${sel.credentialSelect}`).click();
		await page.locator('[data-test-id="node-credentials-select-item-new"]').click();
		const modal = page.locator(sel.credentialModal);
		const mode = modal.locator('[data-test-id="credential-mode-dropdown-trigger"]');
		await expect(mode.innerText()).resolves.toMatch(/^\s*Connected Account\s*$/);
		await mode.click();
		const modes = page.locator('[data-reka-collection-item][role="menuitem"]:visible');
		await modes.first().waitFor();
		expect((await modes.allInnerTexts()).map((t) => t.trim())).toEqual(['Connected Account', "Each User's Tokens"]);
		await modes.filter({ hasText: "Each User's Tokens" }).click();
		await eventually(() => modal.innerText(), (t) => expect(t).toMatch(/HyperID Client API[\s\S]*Your service's own HyperID client/));
		await expect(mode.innerText()).resolves.toMatch(/Each User's Tokens/);

		await fillClientCredential(DEMO.clientSecret);
		env.emulator.clearRequests();
		await credentialSave().click();
		// the test passed (n8n keeps a form it opened from a node open only when the test fails)
		await modal.waitFor({ state: 'hidden', timeout: 30_000 });
		expect(introspections()).toEqual([200]);

		// the node now acts for each item's user, with the new client credential
		await expect(page.locator(`${sel.ndv} ${sel.credentialSelect} input`).inputValue()).resolves.toBe(CLIENT_CREDENTIAL_NAME);
		await eventually(() => fieldLabels(page), (f) =>
			expect(f).toEqual(['Access Token', 'Refresh Token', 'Resource', 'Operation', 'Data Mode', 'Key', 'Value', 'Options']),
		);
		const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await expect(panel.locator(`${sel.param('accessToken')} input`).getAttribute('placeholder')).resolves.toBe('e.g. {{ $json.accessToken }}');
		await expect(panel.locator(`${sel.param('refreshToken')} input`).getAttribute('placeholder')).resolves.toBe('e.g. {{ $json.refreshToken }}');
		await addOption('Refreshed Tokens Field');
		await expect(panel.locator(`${sel.param('refreshedPairField')} input`).inputValue()).resolves.toBe('hyperidTokens');
		await page.waitForTimeout(300);
		await shot(page, 'user-tokens-auth.png');

		// the credential again: a wrong secret fails the test with what to check; the right one passes
		await page.locator(`${sel.ndv} ${sel.credentialEdit}`).click();
		await modal.waitFor();
		await modal.locator(`${sel.param('clientSecret')} input`).fill('not-the-secret');
		env.emulator.clearRequests();
		await credentialSave().click();
		await modal.getByText(/Couldn.t connect with these settings/).waitFor({ timeout: 30_000 });
		await modal.getByText('More details').click();
		await eventually(() => modal.innerText(), (t) => expect(t).toMatch(CLIENT_REFUSED));
		expect(await modal.innerText()).not.toContain('not-the-secret');
		// (n8n also tests a credential when its form opens)
		expect(introspections().at(-1)).toBe(401);
		await page.waitForTimeout(300);
		await shot(page, 'client-credential-wrong-secret.png');

		await modal.locator(`${sel.param('clientSecret')} input`).fill(DEMO.clientSecret);
		env.emulator.clearRequests();
		await credentialSave().click();
		const tested = modal.locator('[data-test-id="credentials-config-container-test-success"]');
		await tested.waitFor({ timeout: 30_000 });
		expect(await tested.innerText()).toMatch(/Connection tested successfully/);
		expect(await modal.innerText()).not.toMatch(CLIENT_REFUSED);
		expect(introspections().at(-1)).toBe(200);
		await page.waitForTimeout(300);
		await shot(page, 'client-credential.png');
		await closeCredentialModal(page);
	});
});

const SIGN_IN_NODE = 'HyperID Sign-In';
const SIGN_IN_ACTIONS: Record<string, string[]> = {
	'Sign-In': ['Exchange an authorization code for tokens', 'Get an authorization URL', 'Log a user out'],
	Token: ['Introspect a token', 'Refresh tokens', 'Revoke a token'],
	User: ['Get user info'],
};
const REDIRECT_URI = 'https://n8n.example.com/webhook/hyperid-sign-in/callback';

/** The output panel's table: its column names and the first row's cells. */
async function outputRow(): Promise<Record<string, string>> {
	const table = page.locator(`${sel.ndv} ${sel.outputPanel} table`).first();
	await table.waitFor();
	return table.evaluate((t) => {
		const headers = Array.from(t.querySelectorAll('thead th')).map((h) => (h as HTMLElement).innerText.trim());
		const cells = Array.from(t.querySelectorAll('tbody tr:first-child td')).map((c) => (c as HTMLElement).innerText.trim());
		return Object.fromEntries(headers.map((h, i) => [h, cells[i] ?? '']).filter(([h]) => h !== ''));
	});
}

test('the node panel finds "HyperID Sign-In"; Get Authorization URL runs in the editor and returns a sign-in link with PKCE that HyperID accepts', async () => {
	await step('sign-in-node', async () => {
		await newWorkflow(page, env.baseUrl);
		await page.locator(sel.canvasPlus).click();
		await page.locator(sel.nodeCreatorSearch).pressSequentially('HyperID', { delay: 20 });
		const item = page.locator(sel.nodeCreatorItemName, { hasText: SIGN_IN_NODE }).first();
		await item.waitFor();
		await item.click();
		await page.locator(sel.nodeCreatorItemName, { hasText: 'Get an authorization URL' }).first().waitFor();
		await item.waitFor({ state: 'detached' });
		await page.waitForTimeout(300);
		const texts = await page
			.locator(`${sel.nodeCreator} ${sel.nodeCreatorItem}`)
			.evaluateAll((els) => els.map((e) => (e as HTMLElement).innerText.trim()));
		for (const [group, actions] of Object.entries(SIGN_IN_ACTIONS)) {
			const start = texts.findIndex((t) => t.toUpperCase() === `${group} ACTIONS`.toUpperCase());
			expect({ group, actions: texts.slice(start + 1, start + 1 + actions.length) }).toEqual({ group, actions });
		}
		// 3 + 3 + 1, and no Custom API Call: the node is not an OAuth2 API client
		expect(await page.locator(sel.nodeCreator).innerText()).toMatch(/Actions \(7\)/);
		await shot(page, 'sign-in-actions.png');

		await pickAction('Sign-In', 'Get an authorization URL');
		const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		const credential = page.locator(`${sel.ndv} ${sel.credentialSelect} input`);
		// n8n offers "Connect to HyperID Client" when there is no credential of the type yet
		const connect = page.locator(sel.ndv).getByRole('button', { name: /Connect to HyperID Client/ });
		await credential.or(connect).first().waitFor();
		if (await connect.isVisible()) {
			// run on its own: the HyperID Client API credential the test above makes
			await connect.click();
			await fillClientCredential(DEMO.clientSecret);
			await credentialSave().click();
			await page.locator(sel.credentialModal).waitFor({ state: 'hidden', timeout: 30_000 });
		}
		await expect(credential.inputValue()).resolves.toBe(CLIENT_CREDENTIAL_NAME);
		expect(await optionsOf(page, panel, 'resource')).toEqual(['Sign-In', 'Token', 'User', N8N_EXTRA_OPERATION]);
		expect(await optionsOf(page, panel, 'operation')).toEqual(['Exchange Code', 'Get Authorization URL', 'Log Out', N8N_EXTRA_OPERATION]);
		expect(await fieldLabels(page)).toEqual(['Resource', 'Operation', 'Redirect URI', 'Scopes', 'State', 'Use PKCE', 'Options']);
		await panel.locator(`${sel.param('redirectUri')} input`).fill(REDIRECT_URI);

		env.emulator.clearRequests();
		await page.locator(`${sel.ndv} [data-test-id="node-execute-button"]`).first().click();
		await eventually(() => outputText(page), (t) => expect(t).toMatch(/1 item/), 30_000);
		const row = await outputRow();
		expect(Object.keys(row)).toEqual(['authorizationUrl', 'state', 'codeVerifier', 'redirectUri']);
		const url = new URL(row.authorizationUrl);
		expect(`${url.origin}${url.pathname}`).toBe(`${env.emulator.url}/auth/realms/HyperID/protocol/openid-connect/auth`);
		const q = Object.fromEntries(url.searchParams);
		expect(q).toMatchObject({
			response_type: 'code',
			client_id: DEMO.clientId,
			redirect_uri: REDIRECT_URI,
			scope: 'openid email user-data-get user-data-set',
			state: row.state,
			code_challenge_method: 'S256',
		});
		expect(row.state).toMatch(/^[A-Za-z0-9_-]{32}$/);
		expect(row.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
		expect(q.code_challenge).toBe(createHash('sha256').update(row.codeVerifier).digest('base64url'));
		expect(row.redirectUri).toBe(REDIRECT_URI);
		// the JSON view shows every field at once (the table cuts the verifier off)
		await page.locator(`${sel.ndv} ${sel.outputPanel}`).getByText('JSON', { exact: true }).click();
		await eventually(() => outputText(page), (t) => expect(t).toContain(row.codeVerifier));
		await page.waitForTimeout(300);
		await shot(page, 'sign-in-node.png');

		// the link works at HyperID: the user's browser comes back with a code that the verifier redeems
		const back = await fetch(row.authorizationUrl, { redirect: 'manual' });
		expect(back.status).toBe(302);
		const callback = new URL(String(back.headers.get('location')));
		expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT_URI);
		expect(callback.searchParams.get('state')).toBe(row.state);
		const exchange = await fetch(`${env.emulator.url}${TOKEN_PATH}`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'authorization_code',
				code: String(callback.searchParams.get('code')),
				redirect_uri: REDIRECT_URI,
				code_verifier: row.codeVerifier,
				client_id: DEMO.clientId,
				client_secret: DEMO.clientSecret,
			}),
		});
		expect(exchange.status).toBe(200);
	});
});

afterAll(() => {
	if (process.env.HYPERID_SCREENSHOTS_DIR) {
		const files = fs.readdirSync(shots).filter((f) => f.endsWith('.png') && !f.startsWith('failure-'));
		log(`screenshots in ${path.relative(REPO_ROOT, shots)}: ${files.join(', ')}`);
	}
});
