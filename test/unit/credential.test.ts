/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * The COMPILED credential (dist/, run `npm run build` first; `npm test` does) resolved the way n8n does:
 * oAuth2Api parent properties + the credential's own, hidden fields pinned to their defaults, and the
 * `={{ ...$self[...] }}` defaults evaluated by the real n8n-workflow expression engine, both standalone and
 * inside a real execution (getCredentials from a node).
 */
import fs from 'node:fs';
import path from 'node:path';

import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';

import { CredentialStore, CredentialTypes, jsonOf, resolveCredentialData, runNode } from '../harness/harness';
import { loadOAuth2ApiType } from '../harness/oauth2-api.credentials';

const DIST = path.resolve(__dirname, '../../dist/credentials/HyperIdOAuth2Api.credentials.js');
if (!fs.existsSync(DIST)) {
	throw new Error(`${DIST} is missing: run "npm run build" first (npm test does it).`);
}
const { HyperIdOAuth2Api } = require(DIST) as { HyperIdOAuth2Api: new () => ICredentialType };

const credential = new HyperIdOAuth2Api();
const types = new CredentialTypes([loadOAuth2ApiType(), credential]);
const OIDC = '/auth/realms/HyperID/protocol/openid-connect';

const base: ICredentialDataDecryptedObject = {
	clientId: 'cid',
	clientSecret: 'secret',
	oauthTokenData: { access_token: 'a', refresh_token: 'r' },
};

const cases: Array<[string, ICredentialDataDecryptedObject, string]> = [
	['production', { environment: 'production' }, 'https://login.hypersecureid.com'],
	['sandbox', { environment: 'sandbox' }, 'https://login-sandbox.hypersecureid.com'],
	['custom', { environment: 'custom', loginUrl: 'http://127.0.0.1:8787/' }, 'http://127.0.0.1:8787'],
];

describe('HyperIdOAuth2Api (compiled)', () => {
	it('is hyperIdOAuth2Api extending oAuth2Api', () => {
		expect(credential.name).toBe('hyperIdOAuth2Api');
		expect(credential.extends).toEqual(['oAuth2Api']);
		expect(types.getParentTypes('hyperIdOAuth2Api')).toEqual(['oAuth2Api']);
	});

	it('keeps the OAuth plumbing hidden', () => {
		const hidden = credential.properties.filter((p) => p.type === 'hidden').map((p) => p.name);
		expect(hidden).toEqual(
			expect.arrayContaining(['grantType', 'authUrl', 'accessTokenUrl', 'authQueryParameters', 'authentication']),
		);
	});

	it.each(cases)('%s: authUrl/accessTokenUrl resolve in the expression engine', (_env, data, host) => {
		const resolved = resolveCredentialData(types, 'hyperIdOAuth2Api', { ...base, ...data });
		expect(resolved.authUrl).toBe(`${host}${OIDC}/auth`);
		expect(resolved.accessTokenUrl).toBe(`${host}${OIDC}/token`);
		expect(resolved.grantType).toBe('authorizationCode');
		expect(resolved.authentication).toBe('body');
		expect(resolved.scope).toBe('openid email user-data-get user-data-set');
		expect(resolved.authQueryParameters).toBe('');
		expect(resolved.clientId).toBe('cid');
		expect(resolved.oauthTokenData).toEqual(base.oauthTokenData);
	});

	it('defaults to production when no environment is stored', () => {
		const resolved = resolveCredentialData(types, 'hyperIdOAuth2Api', base);
		expect(resolved.environment).toBe('production');
		expect(resolved.accessTokenUrl).toBe(`https://login.hypersecureid.com${OIDC}/token`);
	});

	it('strips every trailing slash of a custom login URL', () => {
		const resolved = resolveCredentialData(types, 'hyperIdOAuth2Api', {
			...base,
			environment: 'custom',
			loginUrl: 'https://login.example.com///',
		});
		expect(resolved.accessTokenUrl).toBe(`https://login.example.com${OIDC}/token`);
	});

	it('trims spaces around a pasted custom login URL, as the HyperID Client API credential does', () => {
		const resolved = resolveCredentialData(types, 'hyperIdOAuth2Api', {
			...base,
			environment: 'custom',
			loginUrl: '  https://login.example.com/ ',
		});
		expect(resolved.authUrl).toBe(`https://login.example.com${OIDC}/auth`);
		expect(resolved.accessTokenUrl).toBe(`https://login.example.com${OIDC}/token`);
	});

	it('ignores stored values of hidden fields (n8n 2.41) and keeps the user scope', () => {
		const resolved = resolveCredentialData(types, 'hyperIdOAuth2Api', {
			...base,
			environment: 'sandbox',
			authUrl: 'https://evil.example/auth',
			accessTokenUrl: 'https://evil.example/token',
			authentication: 'header',
			grantType: 'clientCredentials',
			scope: 'openid user-data-get',
		});
		expect(resolved.authUrl).toBe(`https://login-sandbox.hypersecureid.com${OIDC}/auth`);
		expect(resolved.accessTokenUrl).toBe(`https://login-sandbox.hypersecureid.com${OIDC}/token`);
		expect(resolved.authentication).toBe('body');
		expect(resolved.grantType).toBe('authorizationCode');
		expect(resolved.scope).toBe('openid user-data-get');
	});

	describe('inside a real execution (node calls this.getCredentials)', () => {
		class CredentialEcho implements INodeType {
			description = {
				displayName: 'Credential Echo',
				name: 'credentialEcho',
				group: ['transform'],
				version: 1,
				description: '',
				defaults: { name: 'Credential Echo' },
				inputs: ['main'],
				outputs: ['main'],
				credentials: [{ name: 'hyperIdOAuth2Api', required: true }],
				properties: [],
			} as INodeType['description'];

			async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
				const c = await this.getCredentials('hyperIdOAuth2Api');
				return [[{ json: { authUrl: c.authUrl, accessTokenUrl: c.accessTokenUrl } }]];
			}
		}

		it.each(cases)('%s', async (_env, data, host) => {
			const store = new CredentialStore({ ...base, ...data }, { credentialTypes: types });
			const r = await runNode({
				nodeType: new CredentialEcho(),
				nodeTypeName: 'test.credentialEcho',
				parameters: {},
				credentials: store,
			});
			expect(r.error).toBeUndefined();
			expect(jsonOf(r)).toEqual([
				{ authUrl: `${host}${OIDC}/auth`, accessTokenUrl: `${host}${OIDC}/token` },
			]);
		});
	});
});

describe('the two HyperID credentials and the Sign-In node agree (compiled)', () => {
	const CLIENT_DIST = path.resolve(__dirname, '../../dist/credentials/HyperIdClientApi.credentials.js');
	const SIGN_IN_DIST = path.resolve(__dirname, '../../dist/nodes/HyperIdSignIn/HyperIdSignIn.node.js');
	const { HyperIdClientApi } = require(CLIENT_DIST) as { HyperIdClientApi: new () => ICredentialType };
	const { HyperIdSignIn } = require(SIGN_IN_DIST) as { HyperIdSignIn: new () => INodeType };
	const ENVIRONMENT_FIELDS = ['environment', 'sandboxApiUrl', 'loginUrl', 'apiUrl'];
	const environmentFieldsOf = (type: ICredentialType) =>
		type.properties.filter((property) => ENVIRONMENT_FIELDS.includes(property.name));

	it('offer the same Environment, Sandbox API URL, Login URL and API URL fields', () => {
		const oauth2 = environmentFieldsOf(credential);
		expect(oauth2.map((property) => property.name)).toEqual(ENVIRONMENT_FIELDS);
		expect(environmentFieldsOf(new HyperIdClientApi())).toEqual(oauth2);
		const [environment, sandboxApiUrl, loginUrl, apiUrl] = oauth2;
		expect(environment.default).toBe('production');
		expect((environment.options as Array<{ value: string }>).map((option) => option.value)).toEqual(['production', 'sandbox', 'custom']);
		expect(sandboxApiUrl.displayOptions).toEqual({ show: { environment: ['sandbox'] } });
		expect([loginUrl.displayOptions, apiUrl.displayOptions]).toEqual([
			{ show: { environment: ['custom'] } },
			{ show: { environment: ['custom'] } },
		]);
	});

	it("a new OAuth2 credential asks for the Sign-In node's default scopes", () => {
		const scopes = new HyperIdSignIn().description.properties.find((property) => property.name === 'scopes');
		const scope = credential.properties.find((property) => property.name === 'scope');
		expect(scopes?.default).toBe('openid email user-data-get user-data-set');
		expect(scope?.default).toBe(scopes?.default);
	});
});
