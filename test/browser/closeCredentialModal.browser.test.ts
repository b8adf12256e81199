/**
 * closeCredentialModal against a stand-in for n8n's credential modal (no n8n: a few seconds), with
 * the two timings a loaded machine produces: the "Close without saving?" prompt moving and fading
 * out after its button was clicked (element-plus's msgbox-fade-out, slowed down), and a first
 * click on the modal's close button that is lost.
 */
import type { Page } from 'playwright-core';

import { launchBrowser, type Browser } from './lib/browser';
import { closeCredentialModal } from './lib/editor';

/** The modal; its close button asks "Close without saving?"; "Close" there fades the prompt out, then removes it and the modal. */
function standIn(opts: { loseFirstClose: boolean; fadeOutMs: number }): string {
	return `<!doctype html><html><body>
<style>
	@keyframes msgbox-fade-out { from { transform: translateY(0); opacity: 1 } to { transform: translateY(-40px); opacity: 0 } }
	.leaving { animation: msgbox-fade-out ${opts.fadeOutMs}ms linear forwards; }
</style>
<div data-test-id="editCredential-modal" id="modal">HyperID account <button aria-label="Close this dialog" id="x">x</button></div>
<script>
	window.clicks = { modalClose: 0, promptClose: 0 };
	let lose = ${opts.loseFirstClose};
	document.getElementById('x').addEventListener('click', () => {
		window.clicks.modalClose++;
		if (lose) { lose = false; return; }
		if (document.querySelector('.el-message-box')) return;
		const box = document.createElement('div');
		box.className = 'el-message-box';
		box.innerHTML = 'Close without saving? <button class="btn--confirm">Keep Editing</button> <button class="btn--cancel">Close</button>';
		document.body.appendChild(box);
		box.querySelector('.btn--cancel').addEventListener('click', () => {
			window.clicks.promptClose++;
			if (box.classList.contains('leaving')) return;
			box.classList.add('leaving');
			setTimeout(() => { box.remove(); document.getElementById('modal').remove(); }, ${opts.fadeOutMs});
		});
	});
</script></body></html>`;
}

let browser: Browser;
let page: Page;

beforeAll(async () => {
	browser = await launchBrowser({ width: 800, height: 600 });
}, 60_000);

// a page of its own for each stand-in (setContent keeps the window and its globals)
beforeEach(async () => {
	page = await browser.context.newPage();
});

afterEach(async () => {
	await page?.close();
});

afterAll(async () => {
	await browser?.close();
});

const clicks = () => page.evaluate(() => (window as unknown as { clicks: Record<string, number> }).clicks);

test('a prompt that moves and fades out after "Close" is clicked once, and the modal is closed', async () => {
	await page.setContent(standIn({ loseFirstClose: false, fadeOutMs: 1_500 }));
	await closeCredentialModal(page);
	expect(await clicks()).toEqual({ modalClose: 1, promptClose: 1 });
	expect(await page.locator('#modal').count()).toBe(0);
}, 60_000);

test('a lost click on the modal\'s close button is made again', async () => {
	await page.setContent(standIn({ loseFirstClose: true, fadeOutMs: 300 }));
	await closeCredentialModal(page);
	expect(await clicks()).toEqual({ modalClose: 2, promptClose: 1 });
	expect(await page.locator('#modal').count()).toBe(0);
}, 60_000);
