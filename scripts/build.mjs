// Builds dist/cjs (CommonJS) and dist/esm (ES modules) with declarations, from the same sources.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

const tsc = ['node_modules/typescript/bin/tsc'];
rmSync('dist', { recursive: true, force: true });
const common = ['-p', 'tsconfig.build.json'];
execFileSync(process.execPath, [...tsc, ...common, '--module', 'commonjs', '--moduleResolution', 'node10', '--outDir', 'dist/cjs'], { stdio: 'inherit' });
execFileSync(process.execPath, [...tsc, ...common, '--module', 'es2022', '--moduleResolution', 'bundler', '--outDir', 'dist/esm'], { stdio: 'inherit' });
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }) + '\n');
writeFileSync('dist/esm/package.json', JSON.stringify({ type: 'module' }) + '\n');
