import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/helpers.js';

// Issue 26: the README is a guide (under 300 lines) and the reference lives in docs/; a moved section must not
// leave a link behind that leads nowhere.
const README_MAX_LINES = 300;

/** Markdown files whose links are checked: the README and every page of docs/. */
function documents(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  return ['README.md', ...docs.sort()];
}

/** The text outside fenced code blocks and inline code, where a `[x](y)` is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchor: lower case, punctuation dropped (but `-` and `_`), spaces to `-`; repeats get `-1`, `-2`. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const [, id] of markdown.matchAll(/<a (?:id|name)="([^"]+)"/g)) anchors.add(id!);
  return anchors;
}

/** Every relative link of `file` (a path from ROOT) that does not resolve, as `target: why`. */
export function brokenLinks(file: string, read: (path: string) => string | undefined): string[] {
  const text = read(file);
  if (text === undefined) return [`${file}: missing`];
  const broken: string[] = [];
  for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:, ...
    const [path, anchor] = target!.split('#', 2) as [string, string | undefined];
    const resolved = path === '' ? file : relative(ROOT, resolve(ROOT, dirname(file), path));
    const content = read(resolved);
    if (content === undefined) {
      broken.push(`${target}: ${resolved} does not exist`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(content).has(anchor)) {
      broken.push(`${target}: ${resolved} has no heading or anchor "${anchor}"`);
    }
  }
  return broken;
}

function readFromDisk(path: string): string | undefined {
  const full = join(ROOT, path);
  if (!existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
}

describe('the README and docs/', () => {
  it(`keep the README a guide: at most ${README_MAX_LINES} lines, the first protected call within the first 60`, () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
    expect(lines.length, 'README.md lines: move reference material to docs/').toBeLessThanOrEqual(README_MAX_LINES);
    const firstCall = lines.findIndex((l) => l.includes('executeProtectedOperation('));
    expect(firstCall).toBeGreaterThanOrEqual(0);
    expect(firstCall).toBeLessThan(60);
  });

  it.each(documents())('%s: every relative link and #anchor resolves', (file) => {
    expect(brokenLinks(file, readFromDisk)).toEqual([]);
  });

  it('link every page of docs/ from the README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const file of documents().slice(1)) expect(readme, file).toContain(`](${file})`);
  });

  it('the link check finds a missing file, a missing heading and a missing anchor', () => {
    const files: Record<string, string> = {
      'README.md': [
        '# Title',
        '## Use it: now, or later',
        '[ok](docs/a.md#a-page) [ok](#use-it-now-or-later) [ok](docs/a.md#x) [web](https://example.org/nowhere)',
        '[gone](docs/b.md) [no heading](docs/a.md#nope) [no anchor](#missing) `[code](docs/c.md)`',
        '```md',
        '[in a block](docs/d.md)',
        '```',
      ].join('\n'),
      'docs/a.md': '# A page\n\n<a id="x"></a>text',
    };
    expect(brokenLinks('README.md', (path) => files[path])).toEqual([
      'docs/b.md: docs/b.md does not exist',
      'docs/a.md#nope: docs/a.md has no heading or anchor "nope"',
      '#missing: README.md has no heading or anchor "missing"',
    ]);
  });
});
