/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Debian's chromium driven by playwright-core (Playwright's own browser download does not work
 * here). Headless, a fresh profile, and the networking flags without which this closed network
 * refuses connections many at a time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function findChromium(): string {
	const wanted = process.env.CHROMIUM_PATH;
	if (wanted) {
		if (!fs.existsSync(wanted)) throw new Error(`CHROMIUM_PATH=${wanted} does not exist`);
		return wanted;
	}
	const found = CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p));
	if (!found)
		throw new Error(
			'Chromium not found. Install Debian\'s package: `apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH).',
		);
	return found;
}

export const CHROMIUM_ARGS = [
	'--headless=new',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--disable-dev-shm-usage',
	'--disable-features=Translate,MediaRouter,OptimizationHints',
	'--no-default-browser-check',
	'--hide-scrollbars',
];

export interface Browser {
	context: BrowserContext;
	profileDir: string;
	close(): Promise<void>;
}

export async function launchBrowser(opts: { width?: number; height?: number } = {}): Promise<Browser> {
	const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperid-chromium-'));
	const context = await chromium.launchPersistentContext(profileDir, {
		executablePath: findChromium(),
		headless: true,
		args: CHROMIUM_ARGS,
		viewport: { width: opts.width ?? 1440, height: opts.height ?? 900 },
		deviceScaleFactor: 1,
		timeout: 60_000,
	});
	context.setDefaultTimeout(20_000);
	context.setDefaultNavigationTimeout(60_000);
	return {
		context,
		profileDir,
		async close() {
			await context.close().catch(() => undefined);
			fs.rmSync(profileDir, { recursive: true, force: true });
		},
	};
}
