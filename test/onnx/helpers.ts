/**
 * Helpers of the ONNX tooling tests: where ../shared is (tests that need it skip with a visible
 * note when it is absent), temp dirs, and error assertions.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { DinoError, type ErrorCode } from '../../lib/errors';

const projectRoot = resolve(__dirname, '..', '..');
/** ../shared, or $DINOV3_SHARED. */
export const sharedDir = resolve(process.env['DINOV3_SHARED'] ?? join(projectRoot, '..', 'shared'));
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

/** Awaits `promise` and checks it rejects with a DinoError of `code` whose message matches `pattern`. */
export async function expectDinoError(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<DinoError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DinoError);
  const err = caught as DinoError;
  expect(err.code).toBe(code);
  if (pattern) expect(err.message).toMatch(pattern);
  return err;
}

/** Runs `fn` and checks it throws a DinoError of `code`. */
export function expectDinoErrorSync(fn: () => unknown, code: ErrorCode, pattern?: RegExp): DinoError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DinoError);
  const err = caught as DinoError;
  expect(err.code).toBe(code);
  if (pattern) expect(err.message).toMatch(pattern);
  return err;
}
