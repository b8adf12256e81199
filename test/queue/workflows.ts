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
