/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * A newcomer's first minutes in `npm run dev`, in a real browser (Debian's chromium, headless,
 * playwright-core) against the real n8n (newest in test/shared/n8n/versions.json, or N8N_VERSION),
 * started with exactly the credentials and examples dev imports (test/shared/n8n/devSetup.ts): the
 * connected account, a second client app and the service's HyperID Client.
 *
 *   npx jest --config jest.browser.config.js test/browser/dev.browser.test.ts
 */
import * as path from 'node:path';

import type { Page } from 'playwright-core';

import { DEV_ACCOUNT, DEV_START_PATH, devCredentials, newNodeCredential } from '../shared/n8n/devSetup';
import { startEditor, type Editor } from '../shared/n8n/editor';
import { DEMO } from '../shared/n8n/hyperid';
import { REPO_ROOT } from '../shared/n8n/install';
import { launchBrowser, type Browser } from './lib/browser';
import { closeNdv, newWorkflow, openNodeActions, pickAction, screenshotDir, sel } from './lib/editor';

const OWNER = { email: 'dev-test@example.com', firstName: 'Dev', lastName: 'Test', password: 'HyperId-devtest-1' };
const NODE_NAME = 'HyperID User Data';

let env: Editor;
let browser: Browser;
let page: Page;
const started = Date.now();
const log = (line: string) => process.stdout.write(`[dev ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
const shots = screenshotDir(REPO_ROOT);

beforeAll(async () => {
	env = await startEditor({
		...devCredentials(),
		importExamples: { idPrefix: 'hyperIdDevTest' },
		owner: OWNER,
		stdio: 'capture',
		env: { N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_HIRING_BANNER_ENABLED: 'false' },
		log,
	});
	browser = await launchBrowser();
	page = browser.context.pages()[0] ?? (await browser.context.newPage());
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
		const file = path.join(shots, `failure-dev-${name}.png`);
		await page?.screenshot({ path: file }).catch(() => undefined);
		(error as Error).message += `\n(screenshot of the page: ${file})\nn8n's output:\n${env?.output().slice(-3000)}`;
		throw error;
	}
}

/** Wait until `check` passes on what `fn` gives (bounded). */
async function eventually<T>(fn: () => Promise<T>, check: (value: T) => void, timeoutMs: number): Promise<T> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		try {
			const value = await fn();
			check(value);
			return value;
		} catch (error) {
			if (Date.now() > until) throw error;
		}
		await new Promise((r) => setTimeout(r, 250));
	}
}

const credentialOfOpenNode = () => page.locator(`${sel.ndv} ${sel.credentialSelect} input`).inputValue();

/** Choose a credential in the open node's Credential dropdown. */
async function pickCredential(name: string): Promise<void> {
	await page.locator(`${sel.ndv} ${sel.credentialSelect}`).click();
	await page.locator(sel.visibleOption, { hasText: name }).first().click();
	await eventually(credentialOfOpenNode, (v) => expect(v).toBe(name), 10_000);
}

test('dev opens on the examples: the banner address leads through sign-in to the workflows list', async () => {
	await step('start-page', async () => {
		await page.goto(`${env.baseUrl}${DEV_START_PATH}`);
		await page.locator(sel.loginEmail).first().fill(OWNER.email);
		await page.locator(sel.loginPassword).first().fill(OWNER.password);
		await page.locator(sel.loginSubmit).click();
		await page.waitForURL((url) => url.pathname === DEV_START_PATH, { timeout: 30_000 });
		const first = env.examples[0];
		await page.getByText(first.name, { exact: true }).first().waitFor({ timeout: 30_000 });
		expect(new URL(page.url()).pathname).toBe(DEV_START_PATH);
	});
});

test('dev sets no deprecated variable and webhooks answer at the editor address', async () => {
	// the whole settings (urlBaseWebhook) only for a signed-in user; the browser context keeps the cookie
	const login = await page.request.post(`${env.baseUrl}/rest/login`, {
		data: { emailOrLdapLoginId: OWNER.email, password: OWNER.password },
	});
	expect(login.status()).toBe(200);
	const settings = (await (await page.request.get(`${env.baseUrl}/rest/settings`)).json()) as { data: { urlBaseWebhook: string } };
	expect(settings.data.urlBaseWebhook).toBe(`${env.baseUrl}/`);
	// n8n 2.41 lists deprecated settings at start-up as " - WEBHOOK_URL -> Use N8N_WEBHOOK_URL instead ..."
	const deprecated = [...env.output().matchAll(/^\s*- ([A-Z][A-Z0-9_]+) -> /gm)].map((m) => m[1]);
	expect(deprecated.filter((name) => env.env[name] !== undefined)).toEqual([]);
});

test("a fresh HyperID User Data node in dev's editor takes the credential the banner names (the connected account on n8n 2.41), and a first Set succeeds", async () => {
	await step('first-node', async () => {
		// imported as `npm run dev` does, with the service's "HyperID Client" (Client API) credential
		// saved after the account's (before: the one new nodes took)
		await newWorkflow(page, env.baseUrl);
		await page.locator(sel.canvasPlus).click();
		await openNodeActions(page, NODE_NAME, 'Set a value');
		await pickAction(page, 'User Data', 'Set a value');
		await page.locator(`${sel.ndv} ${sel.credentialSelect}`).waitFor({ timeout: 10_000 });
		// n8n 2.41 (dev's default): the connected account; 2.8.4 (N8N_VERSION=2.8.4): what the banner says it takes
		const expected = newNodeCredential(env.version.n8n);
		await expect(credentialOfOpenNode()).resolves.toBe(expected);
		if (expected !== DEV_ACCOUNT.name) await pickCredential(DEV_ACCOUNT.name);
		const panel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await panel.locator(`${sel.param('key')} input`).fill('first-key');
		await panel.locator(`${sel.param('value')} textarea`).fill('first value');
		await closeNdv(page);

		// the second node of the same workflow takes it too
		const setNode = page.locator(sel.canvasNode, { hasText: 'Set a value' });
		await setNode.hover();
		await setNode.locator('[data-test-id="canvas-handle-plus"]').click();
		await openNodeActions(page, NODE_NAME, 'Set a value');
		await pickAction(page, 'User Data', 'Get values');
		await expect(credentialOfOpenNode()).resolves.toBe(expected);
		if (expected !== DEV_ACCOUNT.name) await pickCredential(DEV_ACCOUNT.name);
		const getPanel = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
		await getPanel.getByRole('button', { name: 'Add Key' }).click();
		await getPanel.locator(`${sel.param('keys')} input, ${sel.param('keys')} textarea`).last().fill('first-key');
		await closeNdv(page);

		env.emulator.clearRequests();
		await page.locator(sel.executeWorkflow).click();
		await eventually(
			async () => env.emulator.requests().filter((r) => r.path.startsWith('/user-data/')).map((r) => [r.path, r.result]),
			(calls) => expect(calls).toEqual([['/user-data/set', 0], ['/user-data/get', 0]]),
			30_000,
		);
		expect(env.emulator.store().data[DEMO.userId]?.plain?.['first-key']).toMatchObject({ value_data: 'first value' });
	});
});
