import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { HyperIdUserData } from '../../nodes/HyperIdUserData/HyperIdUserData.node';
import { DEMO, startEmulator } from '../emulator/server';
import type { Emulator, CreateTokenOptions, RequestLogEntry } from '../emulator/server';
import { CredentialStore, hyperIdCustomCredentials, jsonOf, runNode } from '../harness/harness';
import type { RunNodeResult } from '../harness/harness';

export { DEMO };
export type { Emulator, RunNodeResult };

/** A credential for the emulator's demo client, with a fresh token from the emulator. */
export function credentialFor(emulator: Emulator, token: CreateTokenOptions = {}, extra: IDataObject = {}): CredentialStore {
	const clientId = token.clientId ?? DEMO.clientId;
	const grant = emulator.createToken(token);
	return new CredentialStore(
		hyperIdCustomCredentials(emulator.url, {
			clientId,
			clientSecret: clientId === DEMO.clientId ? DEMO.clientSecret : `${clientId}-secret`,
			oauthTokenData: { access_token: grant.access_token, refresh_token: grant.refresh_token, token_type: 'Bearer' },
			...extra,
		}),
	);
}

export interface Run extends RunNodeResult {
	json: IDataObject[];
	/** API calls the emulator saw during this run (user data and token endpoint). */
	requests: RequestLogEntry[];
}

const node = new HyperIdUserData();

/** Runs the real node through n8n-core against the emulator and returns outputs and the wire. */
export async function run(
	emulator: Emulator,
	credentials: CredentialStore,
	parameters: INodeParameters,
	inputItems: IDataObject[] = [{}],
	continueOnFail = false,
): Promise<Run> {
	emulator.clearRequests();
	const result = await runNode({ nodeType: node, parameters, inputItems, credentials, continueOnFail });
	return { ...result, json: result.outputs ? jsonOf(result) : [], requests: emulator.requests() };
}

export async function newEmulator(options: Parameters<typeof startEmulator>[0] = {}): Promise<Emulator> {
	return await startEmulator(options);
}

/** Bodies of the user-data requests, in order. */
export function bodies(runResult: Run, path?: string): unknown[] {
	return runResult.requests
		.filter((entry) => entry.path.startsWith('/user-') && (!path || entry.path === path))
		.map((entry) => entry.body);
}
