const path = require('path');
const { task, src, dest } = require('gulp');

// n8n loads node and credential icons from dist next to the compiled files.
task('build:icons', () => {
	const nodeIcons = src(['nodes/**/*.{png,svg}', 'icons/**/*.{png,svg}'], { encoding: false }).pipe(
		dest(path.resolve('dist', 'icons')),
	);
	return nodeIcons;
});
