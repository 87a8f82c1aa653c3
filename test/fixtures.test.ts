/**
 * The reference data in the repository is the data set it was copied from: every file listed in
 * test/fixtures/conformance/SHA256SUMS is there with that checksum, and every case of the
 * manifest has its files.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { conformanceCases, projectRoot } from './helpers/shared';

const dir = join(projectRoot, 'test', 'fixtures', 'conformance');
const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => /^([0-9a-f]{64}) {2}\.\/(.+)$/.exec(line))
  .map((m) => ({ sha256: m![1]!, file: m![2]! }));

describe('conformance fixtures', () => {
  it('SHA256SUMS lists the model, the images, the manifest and six files per case', () => {
    const files = sums.map((s) => s.file);
    expect(files).toContain('manifest.json');
    expect(files).toContain('dinov3-tiny-r4/model.onnx');
    expect(files.filter((f) => f.startsWith('images/'))).toHaveLength(3);
    const cases = conformanceCases();
    expect(cases).toHaveLength(9);
    for (const c of cases) for (const name of Object.values(c.files)) expect(files).toContain(`${c.model}/${name}`);
  });

  it.each(sums.map((s) => [s.file, s] as const))('%s has its recorded checksum', (file, s) => {
    const path = join(dir, file);
    expect(existsSync(path), path).toBe(true);
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(s.sha256);
  });
});
