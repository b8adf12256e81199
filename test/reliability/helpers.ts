/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * Shared pieces of the reliability and security campaigns (issue 6).
 *
 * Every node run of a campaign goes through `Campaign.run`, which runs the node's real execute()
 * through the n8n-core harness against the HyperID emulator (over real HTTP on 127.0.0.1) and then
 * scans everything the harness captured (output items, the error's message, description and
 * context, n8n's copy of the error, captured log lines) for any secret the campaign has seen: every
 * access, refresh and id token the emulator issued to the campaign's credentials, and the client
 * secrets. A campaign ends by asserting that the scan found nothing.
 */
import type { IDataObject, INodeParameterResourceLocator, INodeParameters } from 'n8n-workflow';

import { DEMO, mulberry32, TOKEN_PATH } from '../emulator/server';
import type { CreateTokenOptions, Emulator, EmulatorStats, StoreSnapshot } from '../emulator/server';
import { CredentialStore, hyperIdCustomCredentials } from '../harness/harness';
import { newEmulator, run } from '../integration/setup';
import type { Run } from '../integration/setup';

export { DEMO, TOKEN_PATH, newEmulator };
export type { Emulator, EmulatorStats, Run, StoreSnapshot };

/** A second client application of the same user (isolation, shared keys). */
export const CLIENT_B = { clientId: 'reliability-client-b', clientSecret: 'client-b-secret-7f3a9c' } as const;

/** Text of anything, whatever its shape (circular references and errors included). */
export function textOf(value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	const seen = new WeakSet<object>();
	try {
		return JSON.stringify(value, (_key, entry: unknown) => {
			if (entry instanceof Error) {
				return { name: entry.name, message: entry.message, stack: entry.stack, ...(entry as unknown as IDataObject) };
			}
			if (typeof entry === 'object' && entry !== null) {
				if (seen.has(entry)) return '[circular]';
				seen.add(entry);
			}
			if (typeof entry === 'bigint') return entry.toString();
			return entry;
		});
	} catch {
		return String(value);
	}
}

export interface Leak {
	run: string;
	where: string;
	secret: string;
}

/** One campaign: its emulator, the secrets it has seen, and the leak scan of every run. */
export class Campaign {
	readonly secrets = new Set<string>();
	readonly leaks: Leak[] = [];
	runs = 0;
	scannedChars = 0;
	scannedLogLines = 0;
	private readonly stores: CredentialStore[] = [];

	constructor(
		readonly name: string,
		readonly emulator: Emulator,
	) {}

	/** A credential for a client of the emulator, with a fresh token; its secrets are remembered. */
	credential(token: CreateTokenOptions = {}, extra: IDataObject = {}): CredentialStore {
		const clientId = token.clientId ?? DEMO.clientId;
		const clientSecret = clientId === DEMO.clientId ? DEMO.clientSecret : clientId === CLIENT_B.clientId ? CLIENT_B.clientSecret : `${clientId}-secret`;
		const grant = this.emulator.createToken(token);
		this.addSecret(grant.access_token, grant.refresh_token, clientSecret);
		const store = new CredentialStore(
			hyperIdCustomCredentials(this.emulator.url, {
				clientId,
				clientSecret,
				oauthTokenData: { access_token: grant.access_token, refresh_token: grant.refresh_token, token_type: 'Bearer' },
				...extra,
			}),
		);
		this.stores.push(store);
		return store;
	}

	/**
	 * A credential whose access token has expired and whose refresh token was already used
	 * elsewhere (HyperID rotates them), so the node's own refresh meets invalid_grant.
	 */
	async spentCredential(): Promise<CredentialStore> {
		const credentials = this.credential({ expiresIn: 0 });
		const response = await fetch(`${this.emulator.url}${TOKEN_PATH}`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'refresh_token',
				refresh_token: String(credentials.oauthTokenData?.refresh_token),
				client_id: DEMO.clientId,
				client_secret: DEMO.clientSecret,
			}).toString(),
		});
		const rotated = (await response.json()) as IDataObject;
		if (response.status !== 200) throw new Error(`refresh outside the node failed: HTTP ${response.status}`);
		this.addSecret(rotated.access_token as string, rotated.refresh_token as string, rotated.id_token as string);
		return credentials;
	}

	addSecret(...values: Array<string | undefined | null>): void {
		for (const value of values) if (typeof value === 'string' && value.length >= 8) this.secrets.add(value);
	}

	/** Tokens saved by refreshes since the last look, from every credential of the campaign. */
	private collectSavedTokens(): void {
		for (const store of this.stores) {
			for (const token of store.savedTokens) {
				this.addSecret(token.access_token as string, token.refresh_token as string, token.id_token as string);
			}
			const current = store.oauthTokenData;
			this.addSecret(current?.access_token as string, current?.refresh_token as string, current?.id_token as string);
		}
	}

	/** Runs the node and scans everything captured for secrets. */
	async run(
		label: string,
		credentials: CredentialStore,
		parameters: INodeParameters,
		inputItems: IDataObject[] = [{}],
		continueOnFail = false,
	): Promise<Run> {
		const result = await run(this.emulator, credentials, parameters, inputItems, continueOnFail);
		this.runs++;
		this.collectSavedTokens();
		this.scan(label, result);
		return result;
	}

	scan(label: string, result: Run): void {
		const error = result.error as (Error & { description?: unknown; context?: unknown }) | undefined;
		const taskError = result.taskData?.error as (Error & { description?: unknown; context?: unknown }) | undefined;
		const parts: Array<[string, string]> = [
			['output items', textOf(result.outputs)],
			['error message', error?.message ?? ''],
			['error description', textOf(error?.description)],
			['error context', textOf(error?.context)],
			['error (whole)', textOf(error)],
			["n8n's copy of the error", textOf(taskError)],
			['run data', textOf(result.run?.data.resultData)],
		];
		for (const line of result.logs) parts.push(['log line', line]);
		this.scannedLogLines += result.logs.length;
		for (const [where, text] of parts) {
			if (!text) continue;
			this.scannedChars += text.length;
			for (const secret of this.secrets) {
				if (text.includes(secret)) this.leaks.push({ run: label, where, secret: `${secret.slice(0, 6)}…(${secret.length} chars)` });
			}
		}
	}

	/** One-line summary of the secret scan. */
	secretsLine(): string {
		return `runs=${this.runs} secrets=${this.secrets.size} scannedChars=${this.scannedChars} logLines=${this.scannedLogLines} leaks=${this.leaks.length}`;
	}
}

/** Prints a campaign's figures on one line. */
export function report(campaign: string, figures: Record<string, number | string>): string {
	const line = `[reliability] ${campaign}: ${Object.entries(figures)
		.map(([key, value]) => `${key}=${value}`)
		.join(' ')}`;
	console.log(line);
	return line;
}

/** User-data requests (not discovery, not token) the emulator counted. */
export function userDataRequests(stats: EmulatorStats): number {
	return Object.entries(stats.requestsByPath)
		.filter(([path]) => path.startsWith('/user-data/') || path.startsWith('/user-wallets/'))
		.reduce((sum, [, count]) => sum + count, 0);
}

export function tokenRequests(stats: EmulatorStats): number {
	return stats.requestsByPath[TOKEN_PATH] ?? 0;
}

/** The stored entries of one user's target ('plain', 'email', 'user-id', 'idp:google', 'wallet:0x…'). */
export function targetOf(snapshot: StoreSnapshot, target: string, userId: string = DEMO.userId) {
	return snapshot.data[userId]?.[target] ?? {};
}

/** A small deterministic PRNG for building inputs (the emulator's own). */
export const prng = mulberry32;

/** The walletAddress parameter as the UI stores it (resource locator, typed address). */
export function walletParam(value: string): INodeParameterResourceLocator {
	return { __rl: true, mode: 'address', value };
}
