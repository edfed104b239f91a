// What a user's `npm install @llmkg/production` weighs: the built package packed with `npm pack`, installed
// alone into an empty project (from the local npm cache where it can), measured on disk.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Under `npm run bench`, npm_config_* describe this repository; the consumer's npm must not see them.
const env = {};
for (const [k, v] of Object.entries(process.env))
  if (!k.startsWith('npm_') || /^npm_config_(cache|registry|userconfig)$/.test(k)) env[k] = v;
const npm = (args, cwd) => execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const megabytes = (path) => Number(execFileSync('du', ['-sm', path], { encoding: 'utf8' }).split('\t')[0]);

const work = mkdtempSync(join(tmpdir(), 'production-install-bench-'));
try {
  const [packed] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT));
  const project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(work, packed.filename)], project);
  const modules = join(project, 'node_modules');
  process.stdout.write(
    `${JSON.stringify({ install_mb: megabytes(modules), install_opentelemetry_mb: megabytes(join(modules, '@opentelemetry')), install_tarball_kb: Math.round(packed.size / 1024) })}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
