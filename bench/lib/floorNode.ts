/**
 * The floor of any node that sends one request per item through n8n's request helper: no
 * parameters, no validation, no output shaping, one `httpRequestWithAuthentication` per item,
 * sequential. Run through the harness next to this node (path "f" of the set workload), it shows
 * how much of the gap to a plain keep-alive client is n8n's per-request cost (credential read, a
 * new connection per request) rather than this node's.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

export class HelperFloor implements INodeType {
	description = {
		displayName: 'Helper Floor (bench)',
		name: 'benchHelperFloor',
		group: ['transform'],
		version: 1,
		description: 'One request per item through httpRequestWithAuthentication',
		defaults: { name: 'Helper Floor' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'hyperIdOAuth2Api', required: true }],
		properties: [{ displayName: 'Path', name: 'path', type: 'string', default: '/user-data/by-email/set' }],
	} as unknown as INodeTypeDescription;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const credentials = await this.getCredentials('hyperIdOAuth2Api');
		const url = `${String(credentials.apiUrl).replace(/\/+$/, '')}${this.getNodeParameter('path', 0) as string}`;
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			const json = items[i].json;
			const response = (await this.helpers.httpRequestWithAuthentication.call(this, 'hyperIdOAuth2Api', {
				method: 'POST',
				url,
				body: { value_key: json.key, value_data: json.value, access_scope: 1 },
				json: true,
			})) as IDataObject;
			out.push({ json: response, pairedItem: { item: i } });
		}
		return [out];
	}
}
