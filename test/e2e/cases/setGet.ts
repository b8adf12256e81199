/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/** examples/01: set and get by identity provider and by wallet, JSON value format, list keys, delete. */
import assert from 'node:assert/strict';

import { DEMO } from '../../shared/n8n/hyperid';
import { apiCalls, tokenCalls } from '../../shared/n8n/requests';
import type { E2ECase } from '../../shared/n8n/types';

const WALLET = DEMO.privateWallet;
const PROFILE = { plan: 'pro', seats: 3, tags: ['beta'] };

export const setGetByIdpAndWallet: E2ECase = {
	name: '01 set/get by identity provider and by wallet, JSON values, list keys, delete',
	workflow: 'examples/01-set-get-by-idp-and-wallet.json',
	requiresNode: true,
	check(r, { emulator }) {
		assert.equal(r.ok, true, `execution failed: ${r.error?.message}`);
		assert.deepEqual(r.json('Set Profile by Identity Provider'), [{ key: 'profile', success: true, result: 0 }]);
		assert.deepEqual(r.json('Set Nickname by Wallet'), [{ key: 'nickname', success: true, result: 0 }]);
		// JSON value format: the object comes back as an object; the missing key is simply absent
		assert.deepEqual(r.json('Get Profile by Identity Provider'), [{ key: 'profile', value: PROFILE }]);
		assert.deepEqual(r.json('Get Nickname by Wallet'), [{ key: 'nickname', value: 'satoshi' }]);
		assert.deepEqual(r.json('List Keys by Identity Provider'), [{ privateKeys: [], publicKeys: ['profile'], result: 0 }]);
		assert.deepEqual(r.json('List Keys by Wallet (one item per key)'), [{ key: 'nickname', scope: 'private' }]);
		assert.deepEqual(r.json('Delete Nickname by Wallet'), [
			{ deleted: true, keys: ['nickname'], result: 0, keyResults: [{ key: 'nickname', deleted: true }] },
		]);
		// nothing found after the delete: no value items (alwaysOutputData gives one empty item)
		assert.deepEqual(r.json('Get Nickname After Delete'), [{}]);
		// every output item is paired with its input item
		for (const node of Object.keys(r.nodes).filter((n) => n !== 'Start')) {
			for (const item of r.nodes[node][0].items) if (Object.keys(item.json).length) assert.ok(item.pairedItem, `${node}: pairedItem`);
		}

		const calls = apiCalls(emulator);
		assert.deepEqual(
			calls.map((c) => [c.path, c.body, c.result]),
			[
				['/user-data/by-idp/set', { identity_provider: 'google', value_key: 'profile', value_data: JSON.stringify(PROFILE), access_scope: 1 }, 0],
				['/user-data/by-wallet/set', { wallet_address: WALLET, value_key: 'nickname', value_data: 'satoshi', access_scope: 0 }, 0],
				['/user-data/by-idp/get', { identity_provider: 'google', value_keys: ['profile', 'not-stored-yet'] }, 0],
				['/user-data/by-wallet/get', { wallet_address: WALLET, value_keys: ['nickname'] }, 0],
				['/user-data/by-idp/list-get', { identity_provider: 'google' }, 0],
				['/user-data/by-wallet/list-get', { wallet_address: WALLET }, 0],
				['/user-data/by-wallet/delete', { wallet_address: WALLET, value_keys: ['nickname'] }, 0],
				['/user-data/by-wallet/get', { wallet_address: WALLET, value_keys: ['nickname'] }, 1],
			],
		);
		assert.ok(calls.every((c) => c.hasBearer && c.status === 200));
		assert.deepEqual(tokenCalls(emulator), [], 'no token refresh');
		// and the emulator really holds what the node stored
		const stored = emulator.store().data[DEMO.userId];
		assert.equal(stored?.['idp:google']?.profile?.client_id, DEMO.clientId);
		assert.equal(stored?.['idp:google']?.profile?.value_data, JSON.stringify(PROFILE));
		assert.equal(stored?.[`wallet:${WALLET}`]?.nickname, undefined);
	},
};
