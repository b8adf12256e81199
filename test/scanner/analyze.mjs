// Runs n8n's verification scanner on one folder and prints its verdict as JSON on stdout.
// A child process of scanner.ts: the scanner is an ES module, which jest's CommonJS sandbox cannot load.
//
//   node analyze.mjs <path to the scanner's scanner/scanner.mjs> <folder> source|tarball
import { pathToFileURL } from 'node:url';

const [scannerFile, folder, leg] = process.argv.slice(2);
if (!scannerFile || !folder || !['source', 'tarball'].includes(leg)) {
	console.error('usage: node analyze.mjs <scanner.mjs> <folder> source|tarball');
	process.exit(2);
}

const scanner = await import(pathToFileURL(scannerFile).href);
// The same file sets as the scanner's analyzePackageByName: the source checkout gets SOURCE_FILE_PATTERNS,
// the unpacked tarball its compiled .js and the published package.json.
const patterns = leg === 'source' ? scanner.SOURCE_FILE_PATTERNS : ['**/*.js', 'package.json'];
const result = await scanner.analyzePackage(folder, patterns);
process.stdout.write(
	JSON.stringify({
		passed: result.passed,
		message: result.message,
		details: result.details,
		error: result.error ? String(result.error.stack ?? result.error) : undefined,
	}),
);
