/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Campaign 8: isolation between client applications of the same user, and the https rule of the
 * custom environment (a token must not travel in clear).
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { Campaign, CLIENT_B, DEMO, newEmulator, report, walletParam } from './helpers';
import type { Emulator } from './helpers';

let emulator: Emulator;
let campaign: Campaign;

beforeAll(async () => {
	emulator = await newEmulator();
	emulator.addClient({ ...CLIENT_B });
	campaign = new Campaign('isolation', emulator);
});
afterAll(async () => {
	await emulator?.close();
});

const FAMILIES: Array<{ resource: string; target: INodeParameters }> = [
	{ resource: 'userDataByEmail', target: {} },
	{ resource: 'userDataByUserId', target: {} },
	{ resource: 'userDataByIdp', target: { identityProvider: 'telegram' } },
	{ resource: 'userDataByWallet', target: { walletAddress: walletParam(DEMO.publicWallet) } },
];

const figures = { families: 0, privateReadsByB: 0, privateLeaksToB: 0, publicListedToB: 0, privateListedToB: 0, overwritesByBRefused: 0, deletesByBRefused: 0 };

describe.each(FAMILIES)('$resource', ({ resource, target }) => {
	test('A private: unreadable and unlisted for B; A public: listed to B by listSharedKeys', async () => {
		const clientA = campaign.credential();
		const clientB = campaign.credential({ clientId: CLIENT_B.clientId });
		const base = { resource, ...target };
		const privateKey = `a-private-${resource}`;
		const publicKey = `a-public-${resource}`;

		for (const [key, accessScope] of [
			[privateKey, 'private'],
			[publicKey, 'public'],
		]) {
			const set = await campaign.run('A set', clientA, { ...base, operation: 'set', key, value: `secret value of ${key}`, accessScope, options: {} });
			expect(set.error).toBeUndefined();
		}

		// B cannot read A's private key: no output item (result 1 is "not found", not an error).
		const getPrivate = await campaign.run('B get private', clientB, { ...base, operation: 'get', keys: [privateKey], options: {} });
		expect(getPrivate.error).toBeUndefined();
		expect(getPrivate.json).toEqual([]);
		figures.privateReadsByB++;
		if (getPrivate.json.length) figures.privateLeaksToB++;
		// Even asked for the whole response, nothing of the private value comes back.
		const getRaw = await campaign.run('B get private raw', clientB, { ...base, operation: 'get', keys: [privateKey], options: { simplify: false } });
		expect(JSON.stringify(getRaw.json)).not.toContain(`secret value of ${privateKey}`);

		// B's own listKeys names none of A's keys.
		const listB = await campaign.run('B listKeys', clientB, { ...base, operation: 'listKeys', options: {} });
		expect(listB.error).toBeUndefined();
		expect(listB.json).toEqual([{ privateKeys: [], publicKeys: [], result: 1 }]);

		// B's listSharedKeys names A's public key, not the private one.
		const shared = await campaign.run('B listSharedKeys', clientB, { ...base, operation: 'listSharedKeys', returnAll: true, options: {} });
		expect(shared.error).toBeUndefined();
		const sharedKeys = shared.json.map((json) => json.key);
		expect(sharedKeys).toContain(publicKey);
		expect(sharedKeys).not.toContain(privateKey);
		if (sharedKeys.includes(publicKey)) figures.publicListedToB++;
		if (sharedKeys.includes(privateKey)) figures.privateListedToB++;

		// B can read the public value...
		const getPublic = await campaign.run('B get public', clientB, { ...base, operation: 'get', keys: [publicKey], options: {} });
		expect(getPublic.json).toEqual([{ key: publicKey, value: `secret value of ${publicKey}` }]);

		// ...but neither overwrite nor delete A's keys (key access denied, not retried).
		const overwrite = await campaign.run('B overwrite', clientB, { ...base, operation: 'set', key: privateKey, value: 'hijack', options: {} }, [{}], true);
		expect(overwrite.json[0].error).toMatch(/belongs to another application/);
		figures.overwritesByBRefused++;
		const remove = await campaign.run('B delete', clientB, { ...base, operation: 'delete', keys: [publicKey], options: {} }, [{}], true);
		expect(remove.json[0].error).toMatch(/belongs to another application/);
		figures.deletesByBRefused++;

		// A still sees both, untouched.
		const listA = await campaign.run('A listKeys', clientA, { ...base, operation: 'listKeys', options: {} });
		expect(listA.json).toEqual([{ privateKeys: [privateKey], publicKeys: [publicKey], result: 0 }]);
		const getA = await campaign.run('A get', clientA, { ...base, operation: 'get', keys: [privateKey, publicKey], options: {} });
		expect(getA.json).toEqual([
			{ key: privateKey, value: `secret value of ${privateKey}` },
			{ key: publicKey, value: `secret value of ${publicKey}` },
		]);
		figures.families++;
	});
});

describe('custom environment: plain http only for loopback', () => {
	const refused: Array<[string, IDataObject]> = [
		['http API URL on a public host', { apiUrl: 'http://example.com' }],
		['http login URL on a public host', { loginUrl: 'http://example.com', apiUrl: '' }],
		['http API URL on a LAN address', { apiUrl: 'http://192.168.1.10:8080' }],
		['http API URL that only starts like loopback', { apiUrl: 'http://127.0.0.1.example.com' }],
		['http API URL on a localhost look-alike', { apiUrl: 'http://localhost.example.com' }],
		['API URL with another scheme', { apiUrl: 'ftp://127.0.0.1/api' }],
	];

	test.each(refused)('%s: NodeOperationError mentioning https, nothing sent', async (_name, patch) => {
		const credentials = campaign.credential({}, patch);
		emulator.clearRequests();
		emulator.clearStats();
		const result = await campaign.run('http refused', credentials, { resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: {} });
		expect(result.error).toBeInstanceOf(NodeOperationError);
		expect(`${result.error?.message}\n${String(result.error?.description)}`).toMatch(/https/);
		expect(emulator.stats().totalApiRequests).toBe(0); // not even discovery or a refresh
	});

	const accepted = ['http://127.0.0.1:PORT', 'http://localhost:PORT', 'http://[::1]:PORT'];
	test.each(accepted)('%s is accepted', async (pattern) => {
		const url = pattern.replace('PORT', String(emulator.port));
		if (url.includes('[::1]')) {
			// The emulator listens on 127.0.0.1 only: check that the URL passes the rule (the error is a connection error, not the https one).
			const credentials = campaign.credential({}, { apiUrl: url });
			const result = await campaign.run('ipv6 loopback', credentials, { resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: { retries: 0 } });
			expect(result.error).toBeDefined();
			expect(`${result.error?.message ?? ''}\n${String(result.error?.description ?? '')}`).not.toMatch(/not https/);
			return;
		}
		const credentials = campaign.credential({}, { apiUrl: url, loginUrl: url });
		const result = await campaign.run('loopback', credentials, { resource: 'userDataByEmail', operation: 'set', key: 'k', value: 'v', options: {} });
		expect(result.error).toBeUndefined();
	});
});

test('figures and secrets', () => {
	report('8 isolation (client A vs client B, same user)', figures);
	console.log(`[reliability] 8 isolation: secrets: ${campaign.secretsLine()}`);
	expect(figures.families).toBe(FAMILIES.length);
	expect(figures.privateLeaksToB + figures.privateListedToB).toBe(0);
	expect(campaign.leaks).toEqual([]);
});
