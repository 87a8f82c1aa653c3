/**
 * Prebuilt binaries: prebuildify makes prebuilds/linux-x64 (and linux-arm64 cross-compiled when
 * the aarch64 toolchain is installed), `npm pack` ships them, and the tarball installed into an
 * empty project with no compiler on PATH loads the prebuild and runs the CPU path.
 * Takes about a minute; DINOV3_SKIP_PACK_TEST=1 skips it during development.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from './helpers/shared';

const skip = process.env.DINOV3_SKIP_PACK_TEST === '1' || process.platform !== 'linux' || process.arch !== 'x64';
if (skip) console.warn('SKIPPED pack test (DINOV3_SKIP_PACK_TEST=1 or not linux-x64)');

describe.skipIf(skip)('npm pack with prebuilds', () => {
  it('installs without a compiler and works', async () => {
    // An async child process: a synchronous one would block the test worker for a minute.
    const child = spawn('bash', [join(projectRoot, 'scripts', 'test-pack.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const lines = output.split('\n').filter((l) => l.startsWith('pack-test'));
    console.log(lines.join('\n'));
    expect(status, output.slice(-4000)).toBe(0);
    expect(lines.join('\n')).toMatch(/pack-test: OK/);
  }, 900_000);
});
