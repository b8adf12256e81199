import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { properties } from './actions/description';
import { router } from './actions/router';
import { subtitleOf } from '../shared/subtitle';

export class HyperIdSignIn implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'HyperID Sign-In',
		name: 'hyperIdSignIn',
		icon: { light: 'file:../../icons/hyperid.svg', dark: 'file:../../icons/hyperid.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: subtitleOf(properties),
		description: "Sign your service's users in with HyperID and keep their tokens alive",
		defaults: { name: 'HyperID Sign-In' },
		// deliberately not an AI tool (n8n's type has no `false`): its inputs and outputs are users' codes and tokens
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'hyperIdClientApi', required: true }],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
