/**
 * Runs the C++ test suite (CTest) of the native core, CUDA kernels and capture module when
 * the CMake build tree has it (CI builds it with -DDINOV3_BUILD_TESTS=ON). The CUDA tests skip
 * themselves with a message on machines without a GPU.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from './helpers/shared';

const buildDir = process.env.DINOV3_CTEST_DIR ?? join(projectRoot, 'build');
const hasTests = existsSync(join(buildDir, 'native', 'tests', 'CTestTestfile.cmake'));
if (!hasTests) console.warn(`SKIPPED C++ tests: no CTest tree in ${buildDir} (build with DINOV3_CMAKE_ARGS=-DDINOV3_BUILD_TESTS=ON npm run build:native)`);

describe.skipIf(!hasTests)('C++ tests (CTest)', () => {
  it('pass', () => {
    const r = spawnSync('ctest', ['--test-dir', buildDir, '--output-on-failure', '--timeout', '300'], { encoding: 'utf8' });
    const output = `${r.stdout}\n${r.stderr}`;
    console.log(output.split('\n').filter((l) => /tests passed|Test +#|SKIPPED|FAIL/.test(l)).join('\n'));
    expect(r.status, output).toBe(0);
  }, 600_000);
});
