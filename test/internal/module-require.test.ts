import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as ioredis from 'ioredis';
import { requireOptionalPeer } from '../../src/internal/module-require.js';

describe('requireOptionalPeer', () => {
  it('loads an installed package', () => {
    expect(typeof requireOptionalPeer<typeof ioredis>('ioredis', 'rateLimiting.store', 'The Redis store').Redis).toBe('function');
  });

  it('turns a missing package into INVALID_CONFIG at the setting that asked for it, naming the install command', () => {
    expect(() => requireOptionalPeer('@llmkg/not-installed-peer', 'rateLimiting.store', 'The Redis rate-limit store')).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        path: 'rateLimiting.store',
        message: expect.stringContaining(
          'The Redis rate-limit store needs the optional peer dependency @llmkg/not-installed-peer, which is not installed: npm install @llmkg/not-installed-peer',
        ),
      }),
    );
  });

  it('rethrows a package that is installed but broken (one of its own imports is missing) as it is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'optional-peer-'));
    const broken = join(dir, 'broken.js');
    writeFileSync(broken, "require('@llmkg/missing-inner-dependency');\n");
    expect(() => requireOptionalPeer(broken, 'rateLimiting.store', 'The Redis store')).toThrow(
      expect.objectContaining({ code: 'MODULE_NOT_FOUND', message: expect.stringContaining('@llmkg/missing-inner-dependency') }),
    );
  });
});
