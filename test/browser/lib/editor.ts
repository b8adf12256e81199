/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Small helpers over n8n's editor UI (checked against n8n 2.8.x and 2.41.x). Selectors are n8n's own
 * data-test-id attributes where it has them; dropdowns are element-plus selects whose options
 * render in a popper at the end of <body>.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Locator, Page } from 'playwright-core';

export const sel = {
	// n8n 2.41 gives the sign-in inputs an id; 2.8 only a name
	loginEmail: '#emailOrLdapLoginId, input[name="emailOrLdapLoginId"]',
	loginPassword: '#password, input[name="password"]',
	loginSubmit: '[data-test-id="form-submit-button"]',
	canvasPlus: '[data-test-id="canvas-plus-button"]',
	nodeCreator: '[data-test-id="node-creator"]',
	nodeCreatorSearch: '[data-test-id="node-creator-search-bar"]',
	nodeCreatorItemName: '[data-test-id="node-creator-item-name"]',
	nodeCreatorItem: '[data-test-id="item-iterator-item"]',
	ndv: '[data-test-id="ndv"]',
	ndvClose: '[data-test-id="ndv-close-button"]',
	nodeParameters: '[data-test-id="node-parameters"]',
	outputPanel: '[data-test-id="output-panel"]',
	canvasNode: '[data-test-id="canvas-node"]',
	executeWorkflow: '[data-test-id="execute-workflow-button"]',
	credentialSelect: '[data-test-id="node-credentials-select"]',
	credentialEdit: '[data-test-id="credential-edit-button"]',
	credentialModal: '[data-test-id="editCredential-modal"]:visible',
	visibleOption: '.el-select-dropdown__item:visible',
	param: (name: string) => `[data-test-id="parameter-input-${name}"]`,
};

export async function login(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
	await page.goto(`${baseUrl}/signin`);
	await page.locator(sel.loginEmail).first().fill(email);
	await page.locator(sel.loginPassword).first().fill(password);
	await page.locator(sel.loginSubmit).click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30_000 });
}

/** A new, empty workflow in the editor. */
export async function newWorkflow(page: Page, baseUrl: string): Promise<void> {
	// the credentials list loads after the canvas; a node added before it arrives gets no credential
	const credentials = page
		// (for-workflow: the list a workflow's nodes pick from; the home page's own list must not count)
		.waitForResponse((r) => r.url().includes('/rest/credentials/for-workflow') && r.ok(), { timeout: 30_000 })
		.catch(() => undefined);
	await page.goto(`${baseUrl}/workflow/new`);
	await page.locator(sel.canvasPlus).waitFor({ state: 'visible', timeout: 30_000 });
	await credentials;
	await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined);
}

/** Search the node panel (open) for a node, e.g. "HyperID User Data", and open its list of actions. */
export async function openNodeActions(page: Page, nodeName: string, firstAction: string): Promise<void> {
	await page.locator(sel.nodeCreatorSearch).fill('');
	await page.locator(sel.nodeCreatorSearch).pressSequentially('HyperID', { delay: 20 });
	await page.locator(sel.nodeCreatorItemName, { hasText: nodeName }).first().click();
	await page.locator(sel.nodeCreatorItemName, { hasText: firstAction }).first().waitFor();
	// the action list slides in over the search results: wait until those have gone
	await page.locator(sel.nodeCreatorItemName, { hasText: nodeName }).first().waitFor({ state: 'detached' });
	await page.waitForTimeout(300);
}

/** Click an action in the opened node's action list, by its group (e.g. "User Data") and name; the node's panel opens. */
export async function pickAction(page: Page, group: string, action: string): Promise<void> {
	const items = page.locator(`${sel.nodeCreator} ${sel.nodeCreatorItem}`);
	const texts = await items.evaluateAll((els) => els.map((e) => (e as HTMLElement).innerText.trim()));
	const start = texts.findIndex((t) => t.toUpperCase() === `${group} ACTIONS`.toUpperCase());
	if (start < 0) throw new Error(`no action group "${group}" in ${JSON.stringify(texts)}`);
	const offset = texts.slice(start + 1).findIndex((t) => t === action);
	if (offset < 0) throw new Error(`no action "${action}" under "${group}"`);
	await items.nth(start + 1 + offset).click();
	await page.locator(sel.ndv).waitFor({ state: 'visible', timeout: 15_000 });
}

/** Headline of each open dropdown option (an option's first line; descriptions left out). */
export async function visibleOptions(page: Page): Promise<string[]> {
	await page.locator(sel.visibleOption).first().waitFor({ state: 'visible' });
	return page
		.locator(sel.visibleOption)
		.evaluateAll((els) =>
			els.map((e) => ((e.querySelector('.option-headline') ?? e) as HTMLElement).innerText.split('\n')[0].trim()),
		);
}

/** The open dropdown's option whose headline (or whole text, when it has no headline) is exactly `name`. */
export function optionNamed(page: Page, name: string): Locator {
	const exact = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
	const options = page.locator(sel.visibleOption);
	return options
		.filter({ has: page.locator('.option-headline', { hasText: exact }) })
		.or(options.filter({ hasText: exact }))
		.first();
}

/** Click the option whose headline is exactly `name` in the open dropdown. */
export async function clickOption(page: Page, name: string): Promise<void> {
	const names = await visibleOptions(page);
	if (!names.includes(name)) throw new Error(`option "${name}" not in the open dropdown: ${JSON.stringify(names)}`);
	// by name, not by position: a locator is found again if the list re-renders under the click
	await optionNamed(page, name).click();
	await page.locator(sel.visibleOption).first().waitFor({ state: 'hidden', timeout: 5_000 });
}

/** Close an open dropdown (Escape; the popper fades out) and wait until its options are gone. */
export async function closeDropdown(page: Page): Promise<void> {
	const open = page.locator(sel.visibleOption).first();
	for (let attempt = 0; attempt < 3; attempt++) {
		if (!(await open.isVisible())) return;
		await page.keyboard.press('Escape');
		if (await open.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => true, () => false)) return;
	}
	throw new Error('a dropdown did not close');
}

/**
 * Open the options dropdown of a parameter and return its options once they are there (lists
 * loaded from the server show a loading row first). Clicks again if the dropdown did not open.
 */
export async function openOptions(
	page: Page,
	scope: Locator,
	param: string,
	opts: { timeoutMs?: number; escape?: boolean } = {},
): Promise<string[]> {
	const timeoutMs = opts.timeoutMs ?? 15_000;
	// in a credential modal Escape would ask to close the modal: wait for a fading dropdown instead
	if (opts.escape === false)
		await page.locator(sel.visibleOption).first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
	else await closeDropdown(page);
	const until = Date.now() + timeoutMs;
	let names: string[] = [];
	while (Date.now() < until) {
		if (!(await page.locator(sel.visibleOption).first().isVisible())) {
			await scope.locator(sel.param(param)).click();
			await page.locator(sel.visibleOption).first().waitFor({ state: 'visible', timeout: 3_000 }).catch(() => undefined);
		}
		names = await page
			.locator(sel.visibleOption)
			.evaluateAll((els) =>
				els.map((e) => ((e.querySelector('.option-headline') ?? e) as HTMLElement).innerText.split('\n')[0].trim()),
			)
			.catch(() => [] as string[]);
		if (names.length && !names.some((n) => /loading/i.test(n))) return names;
		await page.waitForTimeout(250);
	}
	throw new Error(`the options of "${param}" did not show within ${timeoutMs / 1000}s (last seen: ${JSON.stringify(names)})`);
}

/** Open the options dropdown of a parameter, read its options and close it again. */
export async function optionsOf(page: Page, scope: Locator, param: string): Promise<string[]> {
	const names = await openOptions(page, scope, param);
	await closeDropdown(page);
	return names;
}

/** Choose `name` in an options parameter (e.g. resource, operation). */
export async function choose(
	page: Page,
	scope: Locator,
	param: string,
	name: string,
	opts: { escape?: boolean } = {},
): Promise<void> {
	await openOptions(page, scope, param, opts);
	await clickOption(page, name);
}

/**
 * Labels of the parameters the node's parameter panel shows, top to bottom (the credential slot
 * excluded), e.g. ["Resource", "Operation", "Key", "Value", "Options"].
 */
export async function fieldLabels(page: Page): Promise<string[]> {
	const params = page.locator(`${sel.ndv} ${sel.nodeParameters}`);
	return params.evaluate((root) => {
		const labels: string[] = [];
		for (const el of Array.from(root.querySelectorAll('[data-test-id="input-label"]'))) {
			const h = el as HTMLElement;
			if (!h.offsetParent) continue;
			// only the node's own parameters, not those inside a collection (Options) or a list
			const item = h.closest('[data-test-id="parameter-item"]');
			if (item && item.parentElement?.closest('[data-test-id="parameter-item"]')) continue;
			// the label's main content (a repeated value's own label row has only the Fixed/Expression switch)
			const main = h.querySelector('label')?.firstElementChild as HTMLElement | null;
			const text = (main?.innerText ?? '').split('\n')[0].replace(/\*\s*$/, '').trim();
			if (text) labels.push(text);
		}
		return labels;
	});
}

/** Text of the node's output panel (what a user reads there). */
export async function outputText(page: Page): Promise<string> {
	return page.locator(`${sel.ndv} ${sel.outputPanel}`).innerText();
}

/**
 * Close the credential modal, confirming a "Close without saving?" / "Close without connecting?"
 * prompt. Each click is tried briefly and the state looked at again: a prompt whose button was
 * clicked stays "visible" while it fades out, and clicking into it again would wait on a button
 * that is being removed (the flake this replaces: a 20 s click on a detached "Close").
 */
export async function closeCredentialModal(page: Page, timeoutMs = 30_000): Promise<void> {
	const modal = page.locator(sel.credentialModal);
	const modalClose = modal.locator('[aria-label="Close this dialog"]').first();
	const confirm = page.locator('.el-message-box:visible');
	const confirmClose = confirm.getByRole('button', { name: /^(Close|Leave without saving|Discard)$/i }).first();
	const tryClick = (target: Locator) => target.click({ timeout: 3_000 }).then(() => true, () => false);

	const until = Date.now() + timeoutMs;
	let lastCloseClick = 0;
	let quietSince = 0;
	while (Date.now() < until) {
		if (await confirm.first().isVisible()) {
			quietSince = 0;
			// wait for this prompt to go before looking again, so it is never clicked twice
			if (await tryClick(confirmClose)) await confirm.first().waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
		} else if (await modal.first().isVisible()) {
			quietSince = 0;
			// the first click, or one more if neither the modal closed nor a prompt came within 3 s
			if (Date.now() - lastCloseClick > 3_000 && (await tryClick(modalClose))) lastCloseClick = Date.now();
		} else if (!quietSince) quietSince = Date.now();
		// closed, and no prompt came up after it
		else if (Date.now() - quietSince > 1_000) return;
		await page.waitForTimeout(150);
	}
	throw new Error(`the credential modal did not close within ${timeoutMs / 1000}s`);
}

export async function closeNdv(page: Page): Promise<void> {
	await page.locator(sel.ndvClose).click();
	await page.locator(sel.ndv).waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Screenshots: docs/screenshots with HYPERID_SCREENSHOTS_DIR (npm run screenshots), else .cache. */
export function screenshotDir(repoRoot: string): string {
	const dir = process.env.HYPERID_SCREENSHOTS_DIR
		? path.resolve(repoRoot, process.env.HYPERID_SCREENSHOTS_DIR)
		: path.join(repoRoot, '.cache', 'browser-screenshots');
	fs.mkdirSync(dir, { recursive: true });
	return dir;
}
