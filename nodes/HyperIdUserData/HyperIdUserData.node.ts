import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { properties } from './actions/description';
import { router } from './actions/router';
import { subtitleOf } from '../shared/subtitle';
import { getIdentityProviders, searchWallets } from './methods';

export class HyperIdUserData implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'HyperID User Data',
		name: 'hyperIdUserData',
		icon: { light: 'file:../../icons/hyperid.svg', dark: 'file:../../icons/hyperid.dark.svg' },
		group: ['transform'],
		version: [1, 1.1, 1.2],
		// new nodes get 1.2; set, it also keeps n8n's "Custom API Call" out: the HTTP Request node cannot renew a token HyperID reports expired in the body
		defaultVersion: 1.2,
		subtitle: subtitleOf(properties),
		description: 'Store, read, list and delete per-user key/value data in HyperID',
		defaults: { name: 'HyperID User Data' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'hyperIdOAuth2Api', required: true, displayOptions: { show: { authentication: ['connectedAccount'] } } },
			// needed to renew users' tokens (and to say where HyperID lives outside production)
			{ name: 'hyperIdClientApi', required: false, displayOptions: { show: { authentication: ['userTokens'] } } },
		],
		properties,
	};

	methods = {
		loadOptions: { getIdentityProviders },
		listSearch: { searchWallets },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
