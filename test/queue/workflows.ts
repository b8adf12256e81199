/**
 * The workflows of the queue-mode suite: a Webhook that answers when the last node has finished
 * (so the caller sees an execution's failure as HTTP 500), then one node that stores the webhook
 * body's `key` and `value` in HyperID user data by email: this package's node, or n8n's HTTP
 * Request node with a generic OAuth2 credential (the alternative a user could build).
 */
import { PACKAGE_NAME } from '../shared/n8n/n8n';
import type { WorkflowJson } from '../shared/n8n/workflow';

export const SET_BY_EMAIL_PATH = '/user-data/by-email/set';

export interface CredentialRef {
	id: string;
	name: string;
}

interface StoreNode {
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials: Record<string, CredentialRef>;
}

function webhookWorkflow(id: string, name: string, webhookPath: string, storeNode: StoreNode): WorkflowJson {
	return {
		id,
		name,
		active: false,
		nodes: [
			{
				id: `${id}-webhook`,
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: webhookIdFor(id),
				parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'lastNode', responseData: 'firstEntryJson', options: {} },
			},
			{ id: `${id}-store`, name: 'Store', position: [220, 0], ...storeNode },
		],
		connections: { Webhook: { main: [[{ node: 'Store', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
}

/** A stable UUID-shaped webhook id per workflow id. */
function webhookIdFor(id: string): string {
	const hex = Buffer.from(id).toString('hex').padEnd(32, '0').slice(0, 32);
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Webhook -> HyperID User Data (by Email, Set, key and value from the webhook body). */
export function hyperIdSetWorkflow(id: string, webhookPath: string, credential: CredentialRef): WorkflowJson {
	return webhookWorkflow(id, `Queue suite: HyperID set (${webhookPath})`, webhookPath, {
		type: `${PACKAGE_NAME}.hyperIdUserData`,
		typeVersion: 1,
		parameters: {
			resource: 'userDataByEmail',
			operation: 'set',
			key: '={{ $json.body.key }}',
			value: '={{ $json.body.value }}',
			options: {},
		},
		credentials: { hyperIdOAuth2Api: credential },
	});
}

/** Webhook -> HTTP Request (POST by-email/set, generic OAuth2 credential): the alternative, reported only. */
export function httpRequestSetWorkflow(
	id: string,
	webhookPath: string,
	credential: CredentialRef,
	apiUrl: string,
): WorkflowJson {
	return webhookWorkflow(id, `Queue suite: HTTP Request set (${webhookPath})`, webhookPath, {
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		parameters: {
			method: 'POST',
			url: `${apiUrl.replace(/\/+$/, '')}${SET_BY_EMAIL_PATH}`,
			authentication: 'genericCredentialType',
			genericAuthType: 'oAuth2Api',
			sendBody: true,
			contentType: 'json',
			specifyBody: 'json',
			jsonBody: '={{ JSON.stringify({ value_key: $json.body.key, value_data: $json.body.value, access_scope: 1 }) }}',
			options: {},
		},
		credentials: { oAuth2Api: credential },
	});
}

export const TOKEN_TABLE = 'hyperid_tokens';

/**
 * A service's token table, acted on by a webhook-started run: read the users' rows -> set `plan` for
 * each with their own tokens (Each User's Tokens) -> write renewed pairs back. `claim`: the rows are
 * claimed in Postgres first (a lease: claimed_until, claimed_by; FOR UPDATE SKIP LOCKED, so a run
 * started meanwhile takes only rows nobody holds) and given back with the renewed pair, or unchanged.
 * Without it, every run reads every row (what the token-table pattern did before).
 */
export function tokenTableWorkflow(id: string, webhookPath: string, postgres: CredentialRef, client: CredentialRef, claim: boolean): WorkflowJson {
	const pg = { postgres };
	const read = claim
		? `UPDATE ${TOKEN_TABLE} t SET claimed_until = now() + interval '2 minutes', claimed_by = $1 ` +
			`WHERE t.user_id IN (SELECT user_id FROM ${TOKEN_TABLE} WHERE claimed_until IS NULL OR claimed_until < now() ORDER BY user_id FOR UPDATE SKIP LOCKED) ` +
			`RETURNING t.user_id AS "userId", t.access_token AS "accessToken", t.refresh_token AS "refreshToken", $2 AS "run"`
		: `SELECT user_id AS "userId", access_token AS "accessToken", refresh_token AS "refreshToken", $2 AS "run" FROM ${TOKEN_TABLE} ORDER BY user_id`;
	const save = claim
		? `UPDATE ${TOKEN_TABLE} SET access_token = $1, refresh_token = $2, claimed_until = NULL, claimed_by = NULL WHERE user_id = $3 AND claimed_by = $4`
		: `UPDATE ${TOKEN_TABLE} SET access_token = $1, refresh_token = $2 WHERE user_id = $3`;
	const nodes: WorkflowJson['nodes'] = [
		{
			id: `${id}-webhook`,
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: webhookIdFor(id),
			// answers when the run has finished, without a body: a run that claimed no row ends with no item
			parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'lastNode', responseData: 'noData', options: {} },
		},
		{
			id: `${id}-read`,
			name: 'Read Users',
			type: 'n8n-nodes-base.postgres',
			typeVersion: 2.5,
			position: [200, 0],
			credentials: pg,
			parameters: { operation: 'executeQuery', query: read, options: { queryReplacement: '={{ $execution.id }},{{ $json.body.value }}' } },
		},
		{
			id: `${id}-rows`,
			name: 'Rows?',
			type: 'n8n-nodes-base.filter',
			typeVersion: 2,
			position: [300, 0],
			// a query that returned no row gives one item { success: true }
			parameters: {
				conditions: {
					options: { caseSensitive: true, leftValue: '', typeValidation: 'loose' },
					conditions: [{ id: 'r1', leftValue: '={{ $json.userId }}', rightValue: '', operator: { type: 'string', operation: 'exists', singleValue: true } }],
					combinator: 'and',
				},
				options: {},
			},
		},
		{
			id: `${id}-set`,
			name: 'Set Plan',
			type: `${PACKAGE_NAME}.hyperIdUserData`,
			typeVersion: 1.1,
			position: [400, 0],
			credentials: { hyperIdClientApi: client },
			onError: 'continueRegularOutput',
			parameters: {
				authentication: 'userTokens',
				accessToken: '={{ $json.accessToken }}',
				refreshToken: '={{ $json.refreshToken }}',
				resource: 'userDataByUserId',
				operation: 'set',
				key: 'plan',
				value: '={{ $json.run }}',
				options: {},
			},
		},
		{
			id: `${id}-renewed`,
			name: 'Renewed?',
			type: 'n8n-nodes-base.if',
			typeVersion: 2,
			position: [600, 0],
			parameters: {
				conditions: {
					options: { caseSensitive: true, leftValue: '', typeValidation: 'loose' },
					conditions: [{ id: 'c1', leftValue: '={{ $json.hyperidTokens }}', rightValue: '', operator: { type: 'object', operation: 'exists', singleValue: true } }],
					combinator: 'and',
				},
				options: {},
			},
		},
		{
			id: `${id}-save`,
			name: 'Save Renewed Tokens',
			type: 'n8n-nodes-base.postgres',
			typeVersion: 2.5,
			position: [800, -100],
			credentials: pg,
			parameters: {
				operation: 'executeQuery',
				query: save,
				options: {
					queryReplacement:
						'={{ $json.hyperidTokens.accessToken }},{{ $json.hyperidTokens.refreshToken }},{{ $json.hyperidTokens.userId }},{{ $execution.id }}',
				},
			},
		},
	];
	const connections: WorkflowJson['connections'] = {
		Webhook: { main: [[{ node: 'Read Users', type: 'main', index: 0 }]] },
		'Read Users': { main: [[{ node: 'Rows?', type: 'main', index: 0 }]] },
		'Rows?': { main: [[{ node: 'Set Plan', type: 'main', index: 0 }]] },
		'Set Plan': { main: [[{ node: 'Renewed?', type: 'main', index: 0 }]] },
		'Renewed?': { main: [[{ node: 'Save Renewed Tokens', type: 'main', index: 0 }], claim ? [{ node: 'Give Back', type: 'main', index: 0 }] : []] },
	};
	if (claim)
		nodes.push({
			id: `${id}-giveback`,
			name: 'Give Back',
			type: 'n8n-nodes-base.postgres',
			typeVersion: 2.5,
			position: [800, 100],
			credentials: pg,
			parameters: {
				operation: 'executeQuery',
				query: `UPDATE ${TOKEN_TABLE} SET claimed_until = NULL, claimed_by = NULL WHERE user_id = $1 AND claimed_by = $2`,
				options: { queryReplacement: "={{ $('Read Users').item.json.userId }},{{ $execution.id }}" },
			},
		});
	return { id, name: `Queue suite: token table${claim ? ', rows claimed' : ''} (${webhookPath})`, active: false, nodes, connections, settings: { executionOrder: 'v1' } };
}
