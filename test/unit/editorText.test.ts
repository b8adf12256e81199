/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Issue 25, what a workflow builder meets in the editor: node subtitles in display names (as n8n's
 * editor evaluates them), Docs links n8n can land on, n8n's "Custom API Call" only where it works.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ICredentialType, INode, INodeType, INodeTypeDescription, INodeTypes } from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { HyperIdClientApi } from '../../credentials/HyperIdClientApi.credentials';
import { HyperIdOAuth2Api } from '../../credentials/HyperIdOAuth2Api.credentials';
import { HyperIdSignIn } from '../../nodes/HyperIdSignIn/HyperIdSignIn.node';
import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';

/** The subtitle the canvas shows: n8n's editor evaluates it with Expression.getSimpleParameterValue. */
function subtitle(nodeType: INodeType, parameters: Record<string, string>): unknown {
	const { description } = nodeType;
	const node: INode = {
		id: '1',
		name: 'Node',
		type: `n8n-nodes-hyperid.${description.name}`,
		typeVersion: 1,
		position: [0, 0],
		parameters,
	};
	const nodeTypes: INodeTypes = {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	};
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	return workflow.expression.getSimpleParameterValue(node, description.subtitle as string, 'internal', {});
}

describe('node subtitles name the operation and resource as the editor shows them', () => {
	test.each([
		[{ resource: 'userData', operation: 'set' }, 'Set: User Data'],
		[{ resource: 'userDataByIdp', operation: 'get' }, 'Get: User Data by Identity Provider'],
		[{ resource: 'userDataByEmail', operation: 'listSharedKeys' }, 'List Shared Keys: User Data by Email'],
		[{ resource: 'userDataByWallet', operation: 'deleteAll' }, 'Delete All: User Data by Wallet'],
	])('User Data %j: %s', (parameters, shown) => {
		expect(subtitle(new HyperIdUserData(), parameters)).toBe(shown);
	});

	test.each([
		[{ resource: 'signIn', operation: 'getAuthorizationUrl' }, 'Get Authorization URL: Sign-In'],
		[{ resource: 'user', operation: 'getInfo' }, 'Get Info: User'],
	])('Sign-In %j: %s', (parameters, shown) => {
		expect(subtitle(new HyperIdSignIn(), parameters)).toBe(shown);
	});

	test('an operation value means the same in every resource (the subtitle has one name for it)', () => {
		for (const nodeType of [new HyperIdUserData(), new HyperIdSignIn()]) {
			const names = new Map<string, Set<string>>();
			for (const property of nodeType.description.properties.filter((p) => p.name === 'operation')) {
				for (const option of property.options ?? []) {
					if (!('value' in option)) continue;
					names.set(String(option.value), (names.get(String(option.value)) ?? new Set()).add(option.name));
				}
			}
			for (const [value, shown] of names) expect([value, [...shown]]).toEqual([value, [expect.any(String)]]);
		}
	});
});

describe('Docs links land: n8n appends ?utm_... to them, after any #anchor', () => {
	const nodesDir = path.join(__dirname, '../../nodes');
	const codexUrls = fs
		.readdirSync(nodesDir)
		.filter((dir) => fs.existsSync(path.join(nodesDir, dir, `${dir}.node.json`)))
		.flatMap((dir) => {
			const codex = JSON.parse(fs.readFileSync(path.join(nodesDir, dir, `${dir}.node.json`), 'utf8')) as {
				resources: Record<string, Array<{ url: string }>>;
			};
			return Object.values(codex.resources).flatMap((links) => links.map((link) => [dir, link.url]));
		});

	test.each(codexUrls)('%s codex: %s has no anchor', (_dir, url) => {
		expect(new URL(url).hash).toBe('');
	});

	test.each([
		['HyperIdOAuth2Api', new HyperIdOAuth2Api().documentationUrl],
		['HyperIdClientApi', new HyperIdClientApi().documentationUrl],
	])('credential %s: %s has no anchor', (_name, url) => {
		expect(new URL(url).hash).toBe('');
	});
});

/**
 * n8n's LoadNodesAndCredentials.injectCustomApiCallOptions (n8n 1.123.81, 2.8.4 and 2.41.1 alike):
 * "Custom API Call" is added to resource and operation when the node's defaultVersion is unset or
 * equals its version, and one of its credentials has `authenticate` or extends oAuth2Api. It opens
 * the HTTP Request node with the credential.
 */
function n8nOffersCustomApiCall(description: INodeTypeDescription, credentials: ICredentialType[]): boolean {
	const isLatestVersion = description.defaultVersion === undefined || description.defaultVersion === description.version;
	const supportsProxyAuth = (description.credentials ?? []).some(({ name }) => {
		const type = credentials.find((credential) => credential.name === name);
		return type?.authenticate !== undefined || (type?.extends ?? []).some((parent) => ['oAuth2Api', 'googleOAuth2Api', 'oAuth1Api'].includes(parent));
	});
	return isLatestVersion && supportsProxyAuth;
}

describe('Custom API Call', () => {
	const credentials = [new HyperIdOAuth2Api(), new HyperIdClientApi()];

	test('User Data does not offer it: the HTTP Request node does not renew a token HyperID reports expired (result -2 in a 200 answer)', () => {
		expect(n8nOffersCustomApiCall(new HyperIdUserData().description, credentials)).toBe(false);
	});

	test("Sign-In keeps it: the client's authentication does not expire, so a call to HyperID's OpenID endpoints works", () => {
		expect(n8nOffersCustomApiCall(new HyperIdSignIn().description, credentials)).toBe(true);
	});
});
