import { createHmac, createPrivateKey, randomUUID, sign } from 'crypto';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { environmentProperties, isLoopback, loginHostExpression, loginOriginOf, OPENID_CONNECT_PATH } from './common/environment';

// The environment's login host, read from the credential under test.
const LOGIN_HOST = `${loginHostExpression((name) => `$credentials.${name}`)}.trim().replace(/\\/+$/, "")`;
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A client assertion is good for this long: enough for one request, too short to replay later. */
const ASSERTION_LIFETIME_SECONDS = 60;

type ClientAuthentication =
	| 'clientSecretPost'
	| 'clientSecretBasic'
	| 'clientAssertionHs256'
	| 'clientAssertionRs256';

/** Thrown before anything is sent; never carries the secret, the key or a token. */
class ClientCredentialError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ClientCredentialError';
	}
}

/** axios's test for a URL that ignores baseURL (scheme or protocol-relative). */
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/** Where the request goes, absolute, joined as n8n (axios) joins url, uri and baseURL. */
function targetOf(requestOptions: IHttpRequestOptions): URL {
	const options = requestOptions as IHttpRequestOptions & { uri?: unknown };
	const url = String(options.url ?? options.uri ?? '');
	const base = options.baseURL;
	const joined = base && !ABSOLUTE_URL.test(url) ? (url ? `${base.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}` : base) : url;
	try {
		return new URL(joined);
	} catch {
		throw new ClientCredentialError(
			'The HyperID Client credential has no valid Login URL: enter it with its scheme, e.g. https://login.example.com',
		);
	}
}

/**
 * The client's secret goes only to the credential's own HyperID login host, directly and verified:
 * a user who may only use a shared credential (e.g. in the HTTP Request node) cannot send it elsewhere.
 */
function checkedTarget(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): URL {
	const target = targetOf(requestOptions);
	const own = loginOriginOf(credentials);
	if (own === undefined) {
		throw new ClientCredentialError(
			'The HyperID Client credential has no valid Login URL: enter it with its scheme, e.g. https://login.example.com',
		);
	}
	if (target.origin !== own) {
		throw new ClientCredentialError(
			`The HyperID Client credential only authenticates requests to its own HyperID login host ${own}, not to ${target.origin}: nothing was sent`,
		);
	}
	const options = requestOptions as IHttpRequestOptions & { rejectUnauthorized?: boolean };
	if (options.proxy) {
		throw new ClientCredentialError('The HyperID Client credential does not authenticate a request sent through a proxy set on the request: nothing was sent');
	}
	if (options.skipSslCertificateValidation === true || options.rejectUnauthorized === false) {
		throw new ClientCredentialError("The HyperID Client credential does not authenticate a request that ignores the host's certificate (Ignore SSL Issues): nothing was sent");
	}
	if (target.protocol === 'https:') return target;
	if (target.protocol === 'http:' && isLoopback(target.hostname)) return target;
	throw new ClientCredentialError(
		`The HyperID Client credential's login host ${target.origin} is not https: the client secret must not travel unencrypted (plain http is only accepted for localhost)`,
	);
}

/** The token endpoint of the realm the request goes to: the audience HyperID (Keycloak) expects. */
function tokenEndpointOf(target: URL): string {
	const at = target.pathname.indexOf(OPENID_CONNECT_PATH);
	const realmPath = at >= 0 ? target.pathname.slice(0, at) : '';
	return `${target.origin}${realmPath}${OPENID_CONNECT_PATH}/token`;
}

function formOf(body: IHttpRequestOptions['body']): URLSearchParams {
	if (body === undefined || body === null || body === '') return new URLSearchParams();
	if (body instanceof URLSearchParams) return new URLSearchParams(body);
	if (typeof body === 'string') return new URLSearchParams(body);
	if (typeof body === 'object' && !Buffer.isBuffer(body)) {
		const form = new URLSearchParams();
		for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
			if (value !== undefined && value !== null) form.set(key, String(value));
		}
		return form;
	}
	throw new ClientCredentialError('A HyperID token endpoint request must carry a form body');
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A PEM pasted into a one-line password field loses its line breaks: rebuild them. */
function privateKeyOf(raw: string) {
	const text = raw.replace(/\\n/g, '\n').trim();
	const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
	const pem = match
		? `-----BEGIN ${match[1]}-----\n${(match[2].replace(/\s+/g, '').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${match[1]}-----\n`
		: text;
	try {
		const key = createPrivateKey(pem);
		if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
		return key;
	} catch {
		throw new ClientCredentialError(
			'The Private Key of the HyperID Client credential is not an RSA private key in PEM format (-----BEGIN PRIVATE KEY----- ...)',
		);
	}
}

/** A signed client assertion (RFC 7523) as HyperID checks it: iss = sub = client ID, aud = token endpoint, exp, iat, a fresh jti. */
function clientAssertion(
	clientId: string,
	audience: string,
	algorithm: 'HS256' | 'RS256',
	credentials: ICredentialDataDecryptedObject,
): string {
	const now = Math.floor(Date.now() / 1000);
	const header = base64url(JSON.stringify({ alg: algorithm, typ: 'JWT' }));
	const claims = base64url(
		JSON.stringify({
			iss: clientId,
			sub: clientId,
			aud: audience,
			iat: now,
			exp: now + ASSERTION_LIFETIME_SECONDS,
			jti: randomUUID(),
		}),
	);
	const signingInput = `${header}.${claims}`;
	const signature =
		algorithm === 'HS256'
			? createHmac('sha256', secretOf(credentials)).update(signingInput).digest()
			: sign('sha256', Buffer.from(signingInput), privateKeyOf(String(credentials.privateKey ?? '')));
	return `${signingInput}.${base64url(signature)}`;
}

function secretOf(credentials: ICredentialDataDecryptedObject): string {
	const secret = String(credentials.clientSecret ?? '');
	if (secret === '') {
		throw new ClientCredentialError('The HyperID Client credential has no Client Secret: enter the one HyperID gave your client');
	}
	return secret;
}

/** RFC 6749 2.3.1: client ID and secret are form-encoded before they are joined for HTTP Basic. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/**
 * Adds the client's authentication to a request for HyperID's token, introspection, revocation or
 * logout endpoint, so a node sends it through httpRequestWithAuthentication and never sees the secret.
 */
async function addClientAuthentication(
	credentials: ICredentialDataDecryptedObject,
	requestOptions: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	const clientId = String(credentials.clientId ?? '').trim();
	if (clientId === '') {
		throw new ClientCredentialError('The HyperID Client credential has no Client ID: enter the ID of your HyperID client');
	}
	const target = checkedTarget(credentials, requestOptions);
	const form = formOf(requestOptions.body);
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(requestOptions.headers ?? {})) {
		if (name.toLowerCase() !== 'content-type' && value !== undefined) headers[name] = String(value);
	}
	headers['Content-Type'] = 'application/x-www-form-urlencoded';
	const method = String(credentials.clientAuthentication ?? 'clientSecretPost') as ClientAuthentication;
	switch (method) {
		case 'clientSecretBasic':
			form.delete('client_id');
			headers.Authorization = `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secretOf(credentials))}`).toString('base64')}`;
			break;
		case 'clientAssertionHs256':
		case 'clientAssertionRs256':
			form.set('client_id', clientId);
			form.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
			form.set(
				'client_assertion',
				clientAssertion(clientId, tokenEndpointOf(target), method === 'clientAssertionHs256' ? 'HS256' : 'RS256', credentials),
			);
			break;
		case 'clientSecretPost':
			form.set('client_id', clientId);
			form.set('client_secret', secretOf(credentials));
			break;
		default:
			throw new ClientCredentialError(`The HyperID Client credential's Client Authentication "${String(method)}" is not known: choose one in the credential`);
	}
	// a redirect would carry the secret to wherever it points (n8n follows 307/308 with the body): never followed
	const noRedirect = { disableFollowRedirect: true, followRedirect: false, followAllRedirects: false };
	return { ...requestOptions, headers, body: form.toString(), ...noRedirect };
}

export class HyperIdClientApi implements ICredentialType {
	name = 'hyperIdClientApi';

	displayName = 'HyperID Client API';

	icon: Icon = { light: 'file:../icons/hyperid.svg', dark: 'file:../icons/hyperid.dark.svg' };

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-hyperid';

	properties: INodeProperties[] = [
		{
			displayName:
				'Your service\'s own HyperID client, for signing your users in and keeping their tokens alive (HyperID Sign-In node, and User\'s Tokens on the HyperID User Data node). Its ID and secret or key come from the HyperID developer portal.',
			name: 'clientNotice',
			type: 'notice',
			default: '',
		},
		...environmentProperties(),
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Client Authentication',
			name: 'clientAuthentication',
			type: 'options',
			options: [
				{
					name: 'Client Secret in Body',
					value: 'clientSecretPost',
					description: 'Client ID and secret in the request form (client_secret_post)',
				},
				{
					name: 'Client Secret as Basic Auth',
					value: 'clientSecretBasic',
					description: 'Client ID and secret in an HTTP Basic Authorization header (client_secret_basic)',
				},
				{
					name: 'Signed Assertion With Client Secret (HS256)',
					value: 'clientAssertionHs256',
					description: 'A short-lived JWT signed with the client secret; the secret itself is never sent (client_secret_jwt)',
				},
				{
					name: 'Signed Assertion With Private Key (RS256)',
					value: 'clientAssertionRs256',
					description: 'A short-lived JWT signed with your RSA private key; HyperID holds the public key (private_key_jwt)',
				},
			],
			default: 'clientSecretPost',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { clientAuthentication: ['clientSecretPost', 'clientSecretBasic', 'clientAssertionHs256'] } },
		},
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: '-----BEGIN PRIVATE KEY----- ...',
			description: 'The RSA private key (PEM) whose public key is registered with your HyperID client',
			displayOptions: { show: { clientAuthentication: ['clientAssertionRs256'] } },
		},
	];

	authenticate = addClientAuthentication;

	// Introspecting a made-up token: HyperID answers {"active": false} to an authenticated client and
	// 401 (Keycloak: invalid_request "Authentication failed.") to anyone else, so a pass proves the client authenticates.
	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{${LOGIN_HOST}}}`,
			url: `${OPENID_CONNECT_PATH}/token/introspect`,
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: { token: 'dummy-credential-test', token_type_hint: 'access_token' },
		},
		// n8n would show only the status text ("Unauthorized"); say what to check instead
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'HyperID did not accept this client (HTTP 401). Check the Client ID, the Client Secret or Private Key, and that Client Authentication is the method your client is registered with in the HyperID developer portal.',
				},
			},
		],
	};
}
