/**
 * Command-line parsing shared by the commands: node:util parseArgs plus the seed tutorial's
 * spellings (--input_size, --n_clusters, --patch_size) as aliases.
 * Internal: not part of the public API.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { DinoError } from '../errors';

/** Seed-style (underscore) spellings and short forms accepted everywhere. */
const ALIASES: Record<string, string> = {
  '--input_size': '--size',
  '--input-size': '--size',
  '--n_clusters': '--clusters',
  '--n-clusters': '--clusters',
  '--patch_size': '--patch-size',
  '--num_clusters': '--clusters',
};

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(argv: readonly string[], options: Options): Parsed {
  const normalised = argv.map((a) => {
    const eq = a.indexOf('=');
    const flag = eq >= 0 ? a.slice(0, eq) : a;
    const alias = ALIASES[flag];
    return alias ? alias + (eq >= 0 ? a.slice(eq) : '') : a;
  });
  try {
    const { values, positionals } = parseArgs({ args: normalised, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new DinoError('ERR_DINO_INVALID_ARGUMENT', err instanceof Error ? err.message : String(err));
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Every value of an option declared `multiple: true`, in order. */
export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function required(p: Parsed, name: string, usage: string): string {
  const v = str(p, name);
  if (v === undefined) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--${name} is required\n\n${usage}`);
  return v;
}

export function int(p: Parsed, name: string, fallback?: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--${name} must be an integer, got '${v}'`);
  return n;
}

/** A finite number, or undefined when the flag is absent. */
export function num(p: Parsed, name: string): number | undefined {
  const text = str(p, name);
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--${name} must be a number, got '${text}'`);
  return v;
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A patch/pixel pair "a,b". */
export function pair(value: string, name: string): [number, number] {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(value);
  if (!m) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `--${name} must be two numbers "a,b", got '${value}'`);
  return [Number(m[1]), Number(m[2])];
}
