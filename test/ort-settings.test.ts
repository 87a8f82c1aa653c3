/**
 * ONNX Runtime session settings as load options (`spinning`, `executionMode`, `interOpThreads`)
 * and their CLI flags: every combination loads and gives the same tokens as the defaults, bad
 * values are refused with ERR_DINO_INVALID_ARGUMENT, and the flags map to the options.
 */
import { describe, expect, it } from 'vitest';

import { DEFAULTS, loadModel, type LoadOptions } from '../lib';
import { parse } from '../lib/cli/args';
import { loadOptions, MODEL_FLAGS } from '../lib/cli/model-options';
import { rejected } from './helpers/errors';
import { gradientPng } from './helpers/images';
import { tinyModel } from './helpers/models';

const model = (): string => tinyModel({ dim: 64, heads: 4, registers: 4, depth: 4 });

describe('ONNX Runtime session settings', () => {
  it('spinning is off by default (measured: docs/BENCHMARKS.md)', () => {
    expect(DEFAULTS.spinning).toBe(false);
  });

  it('every setting loads and gives the tokens of the defaults', async () => {
    const image = await gradientPng(300, 200);
    await using reference = await loadModel(model(), { threads: 1 });
    const expected = (await reference.extract(image)).patches;
    const variants: LoadOptions[] = [
      { spinning: true },
      { spinning: false, sessions: 2 },
      { executionMode: 'parallel', interOpThreads: 2 },
      { executionMode: 'sequential', spinning: true, threads: 2 },
    ];
    for (const options of variants) {
      await using m = await loadModel(model(), options);
      const got = (await m.extract(image)).patches;
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
      expect({ options, worst: worst < 1e-5 }).toEqual({ options, worst: true });
    }
  });

  it('refuses bad values', async () => {
    const bad: unknown[] = [{ spinning: 'yes' }, { interOpThreads: 0 }, { interOpThreads: 1.5 }, { executionMode: 'fast' }];
    for (const options of bad) {
      expect((await rejected(loadModel(model(), options as LoadOptions))).code).toBe('ERR_DINO_INVALID_ARGUMENT');
    }
  });

  it('CLI flags map to the load options', () => {
    const p = parse(['--spinning', 'on', '--execution-mode', 'parallel', '--inter-op-threads', '3'], MODEL_FLAGS);
    expect(loadOptions(p)).toEqual({ spinning: true, executionMode: 'parallel', interOpThreads: 3 });
    expect(loadOptions(parse(['--spinning', 'off'], MODEL_FLAGS))).toEqual({ spinning: false });
    expect(() => loadOptions(parse(['--spinning', 'maybe'], MODEL_FLAGS))).toThrow(/--spinning/);
  });
});
