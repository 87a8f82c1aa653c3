/**
 * The arm64 build of the native preprocessing (scripts/check-arm64-preprocess.sh): the core
 * resize with its NEON row kernels and the C++ preprocessing tests cross-compiled with
 * aarch64-linux-gnu-g++ (-Werror), then run under qemu-aarch64, where the NEON kernel must give
 * the scalar reference's bytes. CI installs both (.ci/run); without the cross compiler the test
 * is skipped, saying so, and without qemu it checks the build only and says that.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from './helpers/shared';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const crossCompiler = has('aarch64-linux-gnu-g++');
const qemu = has('qemu-aarch64');
if (!crossCompiler) console.warn('SKIPPED arm64 preprocessing check: aarch64-linux-gnu-g++ not found (apt: g++-aarch64-linux-gnu)');
else if (!qemu) console.warn('arm64 preprocessing: qemu-aarch64 not found (apt: qemu-user): the NEON build is checked, its tests do not run');

describe.skipIf(!crossCompiler)('arm64 preprocessing (NEON)', () => {
  it(qemu ? 'cross-compiles and passes the C++ preprocessing tests under qemu-aarch64, NEON selected' : 'cross-compiles with the NEON kernel (qemu-aarch64 missing: not run)', () => {
    const r = spawnSync('bash', [join(projectRoot, 'scripts', 'check-arm64-preprocess.sh')], {
      encoding: 'utf8', env: { ...process.env, DINOV3_ARM64_OUT: mkdtempSync(join(tmpdir(), 'dinov3-arm64-')) }, timeout: 540_000,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.status, output).toBe(0);
    if (!qemu) {
      expect(output).toMatch(/COMPILED ONLY/);
      return;
    }
    expect(output).toMatch(/kernels: scalar neon \(selected neon\)/);
    expect(output).toMatch(/\[ {2}OK {2}\] resize_kernels_match_scalar_on_random_sizes/);
    expect(output).toMatch(/\[ {2}OK {2}\] resize_kernels_match_scalar_on_camera_and_photo_sizes/);
    expect(output).toMatch(/check-arm64: PASSED/);
  }, 600_000);
});
