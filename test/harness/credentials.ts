/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * In-memory stand-ins for n8n's CLI `CredentialTypes` + `CredentialsHelper`:
 * - `CredentialTypes`: registry; parent types derived from the classes' `extends`, properties merged
 *   parent-first like n8n (`NodeHelpers.mergeNodeProperties`, `doNotInherit` honoured).
 * - `resolveCredentialData`: what n8n's `applyDefaultsAndOverwrites` does: hidden fields take the type's
 *   default (n8n 2.41 behaviour; switchable), defaults via `NodeHelpers.getNodeParameters`, then
 *   expressions resolved by the real n8n-workflow expression engine with `$self` = the credential data.
 * - `CredentialStore`: an `ICredentialsHelper` holding one credential in memory, counting reads/saves.
 */
import { getAdditionalKeys } from 'n8n-core';
import {
	deepCopy,
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type ICredentialsEncrypted,
	type ICredentialsExpressionResolveValues,
	type ICredentialType,
	type IDataObject,
	type IExecuteData,
	type IHttpRequestHelper,
	type IHttpRequestOptions,
	type INode,
	type INodeCredentialsDetails,
	type INodeParameters,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRequestOptionsSimplified,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { HyperIdClientApi } from '../../credentials/HyperIdClientApi.credentials';
import { HyperIdOAuth2Api } from '../../credentials/HyperIdOAuth2Api.credentials';
import { loadOAuth2ApiType } from './oauth2-api.credentials';

export const HYPERID_CREDENTIAL_TYPE = 'hyperIdOAuth2Api';

// ---------------------------------------------------------------------------------------------
// Credential type registry
// ---------------------------------------------------------------------------------------------

export class CredentialTypes {
	private readonly types = new Map<string, ICredentialType>();

	constructor(types: ICredentialType[] = []) {
		for (const t of types) this.register(t);
	}

	register(type: ICredentialType): this {
		this.types.set(type.name, type);
		return this;
	}

	has(name: string): boolean {
		return this.types.has(name);
	}

	getByName(name: string): ICredentialType {
		const type = this.types.get(name);
		if (!type) throw new Error(`Unknown credential type "${name}"`);
		return type;
	}

	/** All ancestors, nearest first (like n8n's CredentialTypes.getParentTypes). */
	getParentTypes(name: string): string[] {
		const ext = this.types.get(name)?.extends ?? [];
		const result: string[] = [];
		for (const parent of ext) {
			result.push(parent);
			result.push(...this.getParentTypes(parent));
		}
		return result;
	}

	/** Parent properties first, the type's own override by name (n8n CredentialsHelper semantics). */
	getCredentialsProperties(name: string): INodeProperties[] {
		const type = this.getByName(name);
		if (type.extends === undefined) {
			if (['oAuth1Api', 'oAuth2Api'].includes(name)) {
				return [
					...type.properties,
					{ displayName: 'oauthTokenData', name: 'oauthTokenData', type: 'json', required: false, default: {} },
				];
			}
			return type.properties;
		}
		const combined: INodeProperties[] = [];
		for (const parent of type.extends) {
			NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parent));
		}
		NodeHelpers.mergeNodeProperties(combined, type.properties);
		return combined;
	}
}

/** oAuth2Api (n8n-nodes-base or stand-in) + the given types (default: the package's HyperID credentials from source). */
export function defaultCredentialTypes(extra?: ICredentialType[]): CredentialTypes {
	return new CredentialTypes([loadOAuth2ApiType(), ...(extra ?? [new HyperIdOAuth2Api(), new HyperIdClientApi()])]);
}

// ---------------------------------------------------------------------------------------------
// Defaults + expression resolution
// ---------------------------------------------------------------------------------------------

export interface ResolveCredentialOptions {
	mode?: WorkflowExecuteMode;
	/** Present during node execution (n8n-core passes it from getCredentials); then the run's workflow resolves. */
	expressionResolveValues?: ICredentialsExpressionResolveValues;
	additionalData?: IWorkflowExecuteAdditionalData;
	executeData?: IExecuteData;
	/** n8n 2.41: stored values of `type: 'hidden'` properties are dropped, the (resolved) default wins. Default true. */
	hiddenFieldsTakeDefault?: boolean;
}

const mockNode: INode = {
	id: 'credential-mock',
	name: '',
	typeVersion: 1,
	type: 'mock',
	position: [0, 0],
	parameters: {},
};

const mockNodeTypes: INodeTypes = (() => {
	const mockType: INodeType = {
		description: {
			displayName: 'Mock',
			name: 'mock',
			group: ['transform'],
			version: 1,
			description: '',
			defaults: { name: 'Mock' },
			inputs: [],
			outputs: [],
			properties: [],
		},
	};
	return {
		getByName: () => mockType,
		getByNameAndVersion: () => mockType,
		getKnownTypes: () => ({}),
	};
})();

let standaloneWorkflow: Workflow | undefined;
function getStandaloneWorkflow(): Workflow {
	standaloneWorkflow ??= new Workflow({
		id: 'credential-resolution',
		nodes: [mockNode],
		connections: {},
		active: false,
		nodeTypes: mockNodeTypes,
	});
	return standaloneWorkflow;
}

const minimalAdditionalData = {
	variables: {},
	webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
	formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
} as unknown as IWorkflowExecuteAdditionalData;

/**
 * Stored (decrypted) credential data -> what a node sees: defaults applied, hidden fields pinned to
 * their defaults, expressions (e.g. `={{ $self["environment"] ... }}`) resolved.
 */
export function resolveCredentialData(
	credentialTypes: CredentialTypes,
	typeName: string,
	stored: ICredentialDataDecryptedObject,
	options: ResolveCredentialOptions = {},
): ICredentialDataDecryptedObject {
	const mode = options.mode ?? 'manual';
	const properties = credentialTypes.getCredentialsProperties(typeName);
	const original = deepCopy(stored);

	const storedData: ICredentialDataDecryptedObject = { ...original };
	if (options.hiddenFieldsTakeDefault !== false) {
		for (const p of properties) if (p.type === 'hidden') delete storedData[p.name];
	}

	let data = (NodeHelpers.getNodeParameters(
		properties,
		storedData as INodeParameters,
		true,
		false,
		null,
		null,
	) ?? {}) as ICredentialDataDecryptedObject;

	if (original.oauthTokenData !== undefined) data.oauthTokenData = original.oauthTokenData;

	const additionalKeys = getAdditionalKeys(options.additionalData ?? minimalAdditionalData, mode, null, {
		secretsEnabled: false,
	});

	const ev = options.expressionResolveValues;
	if (ev) {
		try {
			data = ev.workflow.expression.getParameterValue(
				data as INodeParameters,
				ev.runExecutionData,
				ev.runIndex,
				ev.itemIndex,
				ev.node.name,
				ev.connectionInputData,
				mode,
				additionalKeys,
				options.executeData,
				false,
				data,
			) as ICredentialDataDecryptedObject;
		} catch (e) {
			(e as Error).message += ' [Error resolving credentials]';
			throw e;
		}
	} else {
		data = getStandaloneWorkflow().expression.getComplexParameterValue(
			mockNode,
			data as INodeParameters,
			mode,
			additionalKeys,
			undefined,
			undefined,
			data,
		) as ICredentialDataDecryptedObject;
	}
	return data;
}

// ---------------------------------------------------------------------------------------------
// In-memory ICredentialsHelper
// ---------------------------------------------------------------------------------------------

export interface CredentialStoreOptions {
	id?: string;
	name?: string;
	/** Credential type held by the store. Default 'hyperIdOAuth2Api'. */
	type?: string;
	/** Registry used for parent types, properties and authenticate. Default: oAuth2Api + HyperIdOAuth2Api (source). */
	credentialTypes?: CredentialTypes;
	/** See ResolveCredentialOptions.hiddenFieldsTakeDefault (true = n8n 2.41; false = n8n 2.8 which honours stored values). */
	hiddenFieldsTakeDefault?: boolean;
}

export interface GetDecryptedCall {
	type: string;
	nodeName?: string;
	itemIndex?: number;
	raw: boolean;
}

class InMemoryCredentials implements ICredentials {
	id?: string;
	data: string | undefined = undefined;
	constructor(
		details: INodeCredentialsDetails,
		public type: string,
		public name: string,
		private store: CredentialStore,
	) {
		this.id = details.id ?? undefined;
	}
	getData(): ICredentialDataDecryptedObject {
		return this.store.data;
	}
	getDataToSave(): ICredentialsEncrypted {
		return { id: this.id, name: this.name, type: this.type, data: JSON.stringify(this.store.data) };
	}
	setData(data: ICredentialDataDecryptedObject): void {
		this.store.replaceData(data);
	}
}

export class CredentialStore extends ICredentialsHelper {
	readonly id: string;
	readonly name: string;
	readonly type: string;
	readonly credentialTypes: CredentialTypes;
	hiddenFieldsTakeDefault: boolean;

	/** Number of getDecrypted calls (n8n-core calls it once per getCredentials). */
	getDecryptedCalls = 0;
	/** Details of each getDecrypted call. */
	readonly decryptLog: GetDecryptedCall[] = [];
	/** Number of updateCredentialsOauthTokenData calls (token saves after a refresh). */
	saves = 0;
	/** oauthTokenData of every save, in order. */
	readonly savedTokens: IDataObject[] = [];
	/** Number of updateCredentials calls (full-data saves, e.g. from preAuthentication). */
	updateCalls = 0;

	private stored: ICredentialDataDecryptedObject;

	constructor(data: ICredentialDataDecryptedObject, options: CredentialStoreOptions = {}) {
		super();
		this.id = options.id ?? 'cred-1';
		this.name = options.name ?? 'HyperID test credential';
		this.type = options.type ?? HYPERID_CREDENTIAL_TYPE;
		this.credentialTypes = options.credentialTypes ?? defaultCredentialTypes();
		this.hiddenFieldsTakeDefault = options.hiddenFieldsTakeDefault ?? true;
		this.stored = deepCopy(data);
		this.credentialTypes.getByName(this.type); // fail fast on unknown type
	}

	/** A copy of the currently stored (raw, unresolved) data, including any saved oauthTokenData. */
	get data(): ICredentialDataDecryptedObject {
		return deepCopy(this.stored);
	}

	/** Currently stored oauthTokenData (copy). */
	get oauthTokenData(): IDataObject | undefined {
		const t = this.stored.oauthTokenData;
		return t === undefined ? undefined : deepCopy(t as IDataObject);
	}

	replaceData(data: ICredentialDataDecryptedObject): void {
		this.stored = deepCopy(data);
	}

	patchData(patch: ICredentialDataDecryptedObject): void {
		this.stored = { ...this.stored, ...deepCopy(patch) };
	}

	resetCounters(): void {
		this.getDecryptedCalls = 0;
		this.decryptLog.length = 0;
		this.saves = 0;
		this.savedTokens.length = 0;
		this.updateCalls = 0;
	}

	/** The data a node would get right now, resolved without an execution (as n8n does outside a run). */
	resolve(mode: WorkflowExecuteMode = 'manual'): ICredentialDataDecryptedObject {
		return resolveCredentialData(this.credentialTypes, this.type, this.stored, {
			mode,
			hiddenFieldsTakeDefault: this.hiddenFieldsTakeDefault,
		});
	}

	/** What a node credential reference to this store looks like. */
	get nodeCredentials(): INodeCredentialsDetails {
		return { id: this.id, name: this.name };
	}

	private check(nodeCredentials: INodeCredentialsDetails, type: string): void {
		if (!nodeCredentials?.id) {
			throw new Error(`Credential "${nodeCredentials?.name}" of type "${type}" has no ID.`);
		}
		if (nodeCredentials.id !== this.id || type !== this.type) {
			throw new Error(`Credential with ID "${nodeCredentials.id}" does not exist for type "${type}".`);
		}
	}

	// ---- ICredentialsHelper ----

	getParentTypes(name: string): string[] {
		return this.credentialTypes.getParentTypes(name);
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow: Workflow,
		node: INode,
	): Promise<IHttpRequestOptions> {
		const credentialType = this.credentialTypes.getByName(typeName);
		const authenticate = credentialType.authenticate;
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (authenticate && typeof authenticate === 'object' && authenticate.type === 'generic') {
			const resolve = (value: string): string => {
				if (typeof value !== 'string' || !value.startsWith('=')) return value;
				const r = workflow.expression.getSimpleParameterValue(node, value, 'internal', {
					$credentials: credentials,
				}, undefined, '');
				return r ? String(r) : '';
			};
			const target = requestOptions as unknown as Record<string, Record<string, unknown>>;
			for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
				target[outerKey] ??= {};
				for (const [key, value] of Object.entries(outerValue as Record<string, string>)) {
					target[outerKey][resolve(key)] = resolve(value);
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const credentialType = this.credentialTypes.getByName(typeName);
		const expirable = credentialType.properties.find(
			(p) => p.type === 'hidden' && p.typeOptions?.expirable === true,
		);
		if (!expirable || typeof credentialType.preAuthentication !== 'function') return undefined;
		if (credentials[expirable.name] !== '' && !credentialsExpired) return undefined;
		const output = await credentialType.preAuthentication.call(helpers, credentials);
		if (output[expirable.name] === undefined) return undefined;
		if (node.credentials?.[typeName]) {
			await this.updateCredentials(node.credentials[typeName], typeName, {
				...this.stored,
				...output,
			} as ICredentialDataDecryptedObject);
		}
		return Object.assign(credentials, output);
	}

	async getCredentials(nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		this.check(nodeCredentials, type);
		return new InMemoryCredentials(nodeCredentials, type, this.name, this);
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		this.getDecryptedCalls++;
		this.decryptLog.push({
			type,
			nodeName: expressionResolveValues?.node.name ?? executeData?.node.name,
			itemIndex: expressionResolveValues?.itemIndex,
			raw: raw === true,
		});
		this.check(nodeCredentials, type);
		if (raw === true) return deepCopy(this.stored);
		return resolveCredentialData(this.credentialTypes, type, this.stored, {
			mode,
			additionalData,
			executeData,
			expressionResolveValues,
			hiddenFieldsTakeDefault: this.hiddenFieldsTakeDefault,
		});
	}

	async updateCredentials(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.check(nodeCredentials, type);
		this.updateCalls++;
		this.stored = deepCopy(data);
	}

	async updateCredentialsOauthTokenData(
		nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
		_additionalData: IWorkflowExecuteAdditionalData,
	): Promise<void> {
		this.check(nodeCredentials, type);
		this.saves++;
		const token = deepCopy(data.oauthTokenData as IDataObject);
		this.savedTokens.push(token);
		// n8n: credentials.updateData({ oauthTokenData }) -> only the token is written back
		this.stored = { ...this.stored, oauthTokenData: deepCopy(token) };
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.credentialTypes.getCredentialsProperties(type);
	}
}
