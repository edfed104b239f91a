// Runs every bench/cases/*.mjs in its own fresh Node process (an async-context manager, once enabled,
// taxes every promise in the process, so cases must not share one) and merges their JSON objects.
// `npm run bench` prints a table; `npm run bench -- --json` prints one JSON object and nothing else.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const json = process.argv.includes('--json');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const files = readdirSync(join(here, 'cases'))
  .filter((f) => f.endsWith('.mjs') && !f.startsWith('_'))
  .sort();
const result = {};
for (const file of files) {
  if (only && !file.startsWith(only)) continue;
  if (!json) process.stderr.write(`running ${file}...\n`);
  const out = execFileSync(process.execPath, [join(here, 'cases', file)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  Object.assign(result, JSON.parse(out.trim().split('\n').pop()));
}
if (json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const width = Math.max(...Object.keys(result).map((k) => k.length));
  for (const [key, value] of Object.entries(result)) {
    const shown = typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(value);
    process.stdout.write(`${key.padEnd(width)}  ${shown}\n`);
  }
}
