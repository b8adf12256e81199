/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The environment `npm run dev` gives a user, started for a browser test: the real n8n from the
 * e2e cache (test/shared/n8n/install.ts) in a temp user folder, on a free port, with this package
 * linked in as an installed community package, the HyperID emulator, a connected "HyperID account"
 * credential, the example workflows and an owner account (test/shared/n8n/editor.ts does the work).
 *
 * Everything listens on loopback only.
 */
import { startEditor, type Editor } from '../../shared/n8n/editor';
import type { VersionEntry } from '../../shared/n8n/install';
import { DEFAULT_CREDENTIAL_NAME } from '../../shared/n8n/workflow';

export { pickVersion, type ImportedExample } from '../../shared/n8n/editor';

export const OWNER = {
	email: 'browser-test@example.com',
	firstName: 'Browser',
	lastName: 'Test',
	password: 'HyperId-browser-1',
};
export const CREDENTIAL_ID = 'hyperIdBrowserCr1';

export type DevEnv = Editor;

export function startDevEnv(opts: { log?: (line: string) => void; version?: VersionEntry } = {}): Promise<DevEnv> {
	return startEditor({
		version: opts.version,
		credentials: [{ id: CREDENTIAL_ID, name: DEFAULT_CREDENTIAL_NAME }],
		importExamples: { idPrefix: 'hyperIdBrowser' },
		owner: OWNER,
		stdio: 'capture',
		env: { N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_HIRING_BANNER_ENABLED: 'false' },
		log: opts.log,
	});
}
