/**
 * Helpers of the ONNX tooling tests: the reference models and picture, temp dirs, and error
 * assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DinoError, type ErrorCode } from '../../lib/errors';
import { rejected } from '../helpers/errors';
import { conformanceDir, modelsDir } from '../helpers/shared';

export const conformanceModelPath = join(conformanceDir, 'dinov3-tiny-r4', 'model.onnx');
export const vits16Path = join(modelsDir, 'vits16', 'vits16.onnx');
export const pngPath = join(conformanceDir, 'images', 'astronaut.png');

/** A fresh temp dir and its cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dinov3-onnx-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Checks that `caught` is a DinoError of `code` whose message matches `pattern`. */
function checkDinoError(caught: unknown, code: ErrorCode, pattern: RegExp | undefined): DinoError {
  expect(caught).toBeInstanceOf(DinoError);
  const err = caught as DinoError;
  expect(err.code).toBe(code);
  if (pattern) expect(err.message).toMatch(pattern);
  return err;
}

/** Awaits `promise` and checks it rejects with a DinoError of `code` whose message matches `pattern`. */
export async function expectDinoError(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<DinoError> {
  return checkDinoError(await rejected(promise), code, pattern);
}

/** Runs `fn` and checks it throws a DinoError of `code`. */
export function expectDinoErrorSync(fn: () => unknown, code: ErrorCode, pattern?: RegExp): DinoError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  return checkDinoError(caught, code, pattern);
}
