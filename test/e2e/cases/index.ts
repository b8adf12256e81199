import type { CredentialSpecs, E2ECase } from '../../shared/n8n/types';
import { continueOnFail } from './continueOnFail';
import { errorOutput } from './errorOutput';
import { hangingTokenEndpoint } from './hangingTokenEndpoint';
import { mechanics } from './mechanics';
import { records } from './records';
import { renewedTokensErrorWorkflow } from './renewedTokensErrorWorkflow';
import { setGetByIdpAndWallet } from './setGet';
import { sharedKeys } from './sharedKeys';
import { signInWebhook } from './signInWebhook';
import { tokenRefresh } from './tokenRefresh';
import { toolVariant } from './tool';
import { toolUserTokens } from './toolUserTokens';

/** Credentials every run imports (one import:credentials call). Keys are referenced by cases. */
export const CREDENTIALS: CredentialSpecs = {
	main: { name: 'HyperID account' },
	second: { name: 'HyperID second app', clientId: 'hyperid-second-app', clientSecret: 'second-secret' },
	expiring: { name: 'HyperID account (token expires mid-run)' },
	expired: { name: 'HyperID account (token already expired)', expiresIn: 0 },
};

/** In order. Each case is one `n8n execute`. */
export const CASES: E2ECase[] = [mechanics, setGetByIdpAndWallet, sharedKeys, tokenRefresh, continueOnFail, errorOutput, hangingTokenEndpoint, toolVariant, toolUserTokens, records, signInWebhook, renewedTokensErrorWorkflow];
