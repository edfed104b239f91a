// `npm start` and `npm run demo` build first only when the build is missing or older than what it is built
// from (a full build takes some 20 s on a 2-core machine; most starts change nothing). The build's last step
// writes the entry bundles, so their oldest modification time is when the last complete build finished.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Files the last build step writes: every entry point in both formats. */
const OUTPUTS = ['cjs', 'esm'].flatMap((format) => ['index', 'sdk/index', 'register/index'].map((e) => `dist/${format}/${e}.js`));
/** What the build reads: the sources (the status page's script and tsconfig included), its scripts and configs. */
const INPUTS = [
  'src',
  'scripts/build.mjs',
  'scripts/bundle-entries.mjs',
  'scripts/status-page-script.mjs',
  'tsconfig.build.json',
  'tsconfig.json',
];

/** The newest file under `path` (a file or a directory), as [mtimeMs, path]. */
function newest(path) {
  if (!existsSync(path)) return [0, path];
  const stat = statSync(path);
  if (!stat.isDirectory()) return [stat.mtimeMs, path];
  let best = [0, path];
  for (const entry of readdirSync(path)) {
    const found = newest(join(path, entry));
    if (found[0] > best[0]) best = found;
  }
  return best;
}

/** Why `root` needs a build (a sentence), or undefined when dist/ is newer than every input. */
export function staleReason(root = ROOT) {
  let built = Infinity;
  for (const output of OUTPUTS) {
    const file = join(root, output);
    if (!existsSync(file)) return `${output} is missing`;
    built = Math.min(built, statSync(file).mtimeMs);
  }
  for (const input of INPUTS) {
    const [mtime, path] = newest(join(root, input));
    if (mtime > built) return `${relative(root, path)} changed since the last build`;
  }
  return undefined;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const reason = staleReason();
  if (reason !== undefined) {
    process.stderr.write(`[build] ${reason}: building (npm run build)\n`);
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
}
