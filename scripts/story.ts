/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The HyperID User Data node, told as a short story: the real node runs through n8n's own
 * execution engine (n8n-core) against the embedded HyperID emulator, and each step prints
 * what the node output. Run with `npm run demo:quick`.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

// The built package, as n8n would load it (npm run build first).
import { HyperIdUserData } from '../dist/nodes/HyperIdUserData/HyperIdUserData.node.js';
import { DEMO, startEmulator } from '../test/emulator/server';
import { CredentialStore, hyperIdCustomCredentials, jsonOf, runNode } from '../test/harness/harness';
import { formatTable } from './table';

const PARTNER = { clientId: 'partner-app', clientSecret: 'partner-secret' };

async function main(): Promise<void> {
	const emulator = await startEmulator();
	console.log(`HyperID emulator listening on ${emulator.url}\n`);
	emulator.addClient(PARTNER);

	const credentialFor = (clientId: string, clientSecret: string) => {
		const grant = emulator.createToken({ clientId });
		return new CredentialStore(
			hyperIdCustomCredentials(emulator.url, {
				clientId,
				clientSecret,
				oauthTokenData: { access_token: grant.access_token, refresh_token: grant.refresh_token, token_type: 'Bearer' },
			}),
		);
	};
	const ourApp = credentialFor(DEMO.clientId, DEMO.clientSecret);
	const partnerApp = credentialFor(PARTNER.clientId, PARTNER.clientSecret);
	const node = new HyperIdUserData();
	let step = 0;
	let failures = 0;

	const show = async (
		title: string,
		credentials: CredentialStore,
		parameters: INodeParameters,
		inputItems: IDataObject[] = [{}],
	) => {
		step++;
		const result = await runNode({ nodeType: node, parameters, inputItems, credentials });
		console.log(`${step}. ${title}`);
		if (result.error) {
			failures++;
			console.log(`  ERROR: ${result.error.message}\n  ${String(result.error.description ?? '')}\n`);
			return;
		}
		console.log(`${formatTable(jsonOf(result))}\n`);
	};

	const byIdp = { resource: 'userDataByIdp', identityProvider: 'google' };
	await show(
		'Set two values by identity provider "google" (one private text, one public JSON)',
		ourApp,
		{ ...byIdp, operation: 'set', key: '={{ $json.key }}', value: '={{ $json.value }}', accessScope: '={{ $json.scope }}', options: { valueFormat: 'json' } },
		[
			{ key: 'favorite-color', value: 'teal', scope: 'private' },
			{ key: 'plan', value: { tier: 'pro', seats: 5 }, scope: 'public' },
		],
	);
	await show('Set a value by the wallet the user signed in with', ourApp, {
		resource: 'userDataByWallet',
		operation: 'set',
		key: 'nft-level',
		value: '7',
	});
	await show('Get them back by identity provider (JSON value format)', ourApp, {
		...byIdp,
		operation: 'get',
		keys: 'favorite-color, plan, never-written',
		options: { valueFormat: 'json' },
	});
	await show('Get by wallet', ourApp, { resource: 'userDataByWallet', operation: 'get', keys: 'nft-level' });
	await show('List our keys by identity provider', ourApp, { ...byIdp, operation: 'listKeys' });
	await show('A second application lists the keys the user shared (public only)', partnerApp, {
		...byIdp,
		operation: 'listSharedKeys',
		returnAll: true,
	});
	await show('The second application reads the shared value', partnerApp, {
		...byIdp,
		operation: 'get',
		keys: 'plan',
		options: { valueFormat: 'json' },
	});
	await show('Delete our keys by identity provider', ourApp, { ...byIdp, operation: 'delete', keys: 'favorite-color, plan' });
	await show('List our keys again', ourApp, { ...byIdp, operation: 'listKeys' });
	await show('A mistake is caught before anything is sent: a malformed wallet address', ourApp, {
		resource: 'userDataByWallet',
		operation: 'get',
		keys: 'nft-level',
		walletAddress: { __rl: true, mode: 'address', value: '0x1234' },
	});

	const sent = emulator.requests().filter((entry) => entry.path.startsWith('/user-')).length;
	console.log(`The emulator answered ${sent} user-data requests. Done.`);
	await emulator.close();
	// The last step fails on purpose; anything else failing is a real failure.
	process.exit(failures === 1 ? 0 : 1);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
