/** The real-n8n driver's per-version rules, without running n8n. */
import { loadVersions } from './install';
import { bindWorkflow, loadWorkflowFile, unsupportedReason, versionAtLeast } from './workflow';

describe('versions.json', () => {
	const names = (spec: string, suite?: string) => loadVersions(spec, suite).map((v) => v.n8n);

	it('n8n 1.x is in the e2e, token-table and queue suites only; the others keep 2.8.4 first and 2.41.1 newest', () => {
		for (const suite of ['e2e', 'tokens', 'queue', 'all']) expect(names('', suite)).toEqual(['1.123.81', '2.8.4', '2.41.1']);
		for (const suite of [undefined, 'browser']) expect(names('', suite)).toEqual(['2.8.4', '2.41.1']);
	});

	it('a version named in N8N_E2E_VERSIONS runs whatever its suites', () => {
		const [entry] = loadVersions('1.123.81');
		expect(entry).toMatchObject({ n8n: '1.123.81', node: 'system', env: { N8N_EXPRESSION_ENGINE: 'legacy' } });
	});
});

describe('example workflows for n8n 1.x', () => {
	const toolQuery = (version?: string) => {
		const wf = bindWorkflow(loadWorkflowFile('examples/05-node-as-tool.json'), 'wf', { '*': { id: 'c', name: 'c' } }, version);
		return JSON.parse(String(wf.nodes.find((n) => n.name === 'Run Tool')?.parameters?.query));
	};

	it('the Tool Executor query keeps the tool name on 2.x and is the bare arguments on 1.x', () => {
		expect(toolQuery('2.8.4')).toEqual({ HyperID_User_Data_Tool: { keys: 'tool-note' } });
		expect(toolQuery()).toEqual({ HyperID_User_Data_Tool: { keys: 'tool-note' } });
		expect(toolQuery('1.123.81')).toEqual({ keys: 'tool-note' });
	});
});

describe('examples an n8n version cannot run', () => {
	it('compares versions by number, not as text', () => {
		expect(versionAtLeast('2.41.1', '2.8.4')).toBe(true);
		expect(versionAtLeast('2.8.4', '2.8.4')).toBe(true);
		expect(versionAtLeast('1.123.81', '2.8.4')).toBe(false);
		expect(versionAtLeast('2.8.3', '2.8.4')).toBe(false);
	});

	it('examples 07 and 08 (Data Tables) are skipped on n8n 1.x with the reason, run on 2.8.4 and 2.41.1; the others run everywhere', () => {
		const reason = (file: string, version: string) => unsupportedReason(loadWorkflowFile(`examples/${file}`), version);
		for (const file of ['07-sign-in-webhook.json', '08-each-users-tokens-data-table.json']) {
			expect(reason(file, '1.123.81')).toMatch(/^needs n8n 2\.8\.4 or later, since .*Data Table node's Table resource.*"Could not get parameter"/);
			for (const version of ['2.8.4', '2.41.1']) expect(reason(file, version)).toBeUndefined();
		}
		for (const file of ['01-set-get-by-idp-and-wallet.json', '05-node-as-tool.json']) expect(reason(file, '1.123.81')).toBeUndefined();
	});
});
