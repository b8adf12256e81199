/* eslint-disable -- tooling, not node code: n8n-node lint applies node rules to every .ts; npm run lint:tests lints this */
/**
 * `npm run test:setup` (the first step of `npm test`): the Debian packages the suites need
 * (chromium, postgresql, redis-server) are there, or installed now, or it stops naming the command.
 */
import { ensureSystemPackages, systemProbe } from '../test/shared/services/systemPackages';

ensureSystemPackages(systemProbe()).then(
	(code) => process.exit(code),
	(error: Error) => {
		console.error(error.stack ?? error.message);
		process.exit(1);
	},
);
