/**
 * Argument checks shared by the public API. Each throws a {@link DinoError} with code
 * ERR_DINO_INVALID_ARGUMENT and a message of the form
 * "Expected <what> for <name> but received <value> of type <type>".
 * Internal: not part of the public API.
 * @module
 */
import { DinoError } from './errors';

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  if (Array.isArray(value)) return `[${value.length} items]`;
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
  return String(value);
}

/** Throws the standard invalid-argument error. */
export function invalid(name: string, expected: string, actual: unknown): never {
  throw new DinoError(
    'ERR_DINO_INVALID_ARGUMENT',
    `Expected ${expected} for ${name} but received ${describe(actual)} of type ${actual === null ? 'null' : typeof actual}`,
  );
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function integer(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(name, `an integer between ${min} and ${max}`, value);
  }
  return value;
}

export function number(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    invalid(name, `a finite number between ${min} and ${max}`, value);
  }
  return value;
}

export function boolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') invalid(name, 'a boolean', value);
  return value;
}

export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    invalid(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

export function string(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) invalid(name, 'a non-empty string', value);
  return value;
}

/** Optional value: undefined passes through, anything else is checked. */
export function optional<T>(value: unknown, check: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

/** Throws ERR_DINO_ABORTED if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new DinoError('ERR_DINO_ABORTED', `${what} was aborted`, { cause: signal.reason });
  }
}

export function signalArg(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) invalid(name, 'an AbortSignal', value);
  return value;
}
