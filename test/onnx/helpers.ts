/**
 * Helpers of the ONNX tooling tests: where ../shared is (tests that need it skip with a visible
 * note when it is absent), temp dirs, and error assertions.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DinoError, type ErrorCode } from '../../lib/errors';
import { rejected } from '../helpers/errors';
import { sharedDir } from '../helpers/shared';

export const conformanceModelPath = join(sharedDir, 'conformance', 'dinov3-tiny-r4', 'model.onnx');
export const vits16Path = join(sharedDir, 'models', 'vits16', 'vits16.onnx');
export const pngPath = join(sharedDir, 'conformance', 'images', 'astronaut.png');
export const hasConformanceModel = existsSync(conformanceModelPath);
export const hasVits16 = existsSync(vits16Path);

/** Prints why a group of tests is skipped. */
export function noteSkip(present: boolean, what: string): void {
  if (!present) console.warn(`[skip] ${what}: ${sharedDir} is absent (set DINOV3_SHARED to run them)`);
}

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
