/**
 * The reference data shipped in the npm package: a small subset of the project's conformance
 * fixtures (test/fixtures/conformance, listed one by one in package.json "files"): the tiny
 * DINOv3 model with seeded weights, one photo, and for one case its exact preprocessed input
 * and the reference implementation's tokens. `dinov3 doctor` checks every backend against them,
 * and engine builds check their precision on the photo.
 * Internal: not part of the public API.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { packageRoot } from '../binding';

/** Root of the shipped conformance data. */
export const bundledDir = join(packageRoot, 'test', 'fixtures', 'conformance');

/** The one reference case shipped (its files are listed in package.json "files"). */
export const BUNDLED_CASE = {
  tag: 'dinov3-tiny-r4__chelsea__224x224',
  model: 'dinov3-tiny-r4',
  image: 'chelsea',
  h: 224,
  w: 224,
  tokens: 201,
  dim: 64,
  registers: 4,
} as const;

export interface BundledPaths {
  model: string;
  photo: string;
  input: string;
  reference: string;
}

/** Paths of the shipped files under `root` (default: the package's). */
export function bundledPaths(root: string = bundledDir): BundledPaths {
  const c = BUNDLED_CASE;
  return {
    model: join(root, c.model, 'model.onnx'),
    photo: join(root, 'images', `${c.image}.png`),
    input: join(root, c.model, `${c.tag}__input.f32`),
    reference: join(root, c.model, `${c.tag}__last_hidden_state.f32`),
  };
}

/** The conformance photo, or undefined when the package was installed without it. */
export function bundledPhoto(): string | undefined {
  const p = bundledPaths().photo;
  return existsSync(p) ? p : undefined;
}
