/**
 * Live-view settings that can change while a stream runs (from the page's controls or from
 * code): what to show, k, the overlay alpha, the queried point.
 * @module
 */
import { DinoError } from '../errors';
import type { PixelPoint } from '../analysis/types';
import { integer, isObject, number, oneOf } from '../validate';

/** What the live view shows. */
export type LiveMode = 'segment' | 'heatmap' | 'pca' | 'track' | 'match';

export interface LiveSettings {
  mode: LiveMode;
  /** Clusters in 'segment' mode. */
  k: number;
  /** Overlay weight of the colours (0 = photo only, 1 = colours only). */
  alpha: number;
  /**
   * The queried point in frame pixels: 'heatmap' mode shows its similarity map (default the frame
   * centre); 'track' mode follows the object under it from the frame it was set on; in 'match'
   * mode a new point freezes the current frame as the reference.
   */
  point: PixelPoint | undefined;
}

export const LIVE_DEFAULTS: LiveSettings = { mode: 'segment', k: 3, alpha: 0.4, point: undefined };

/** Validates a partial update (from JSON, so every field is checked). */
export function checkSettings(update: unknown): Partial<LiveSettings> {
  if (!isObject(update)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'settings must be an object');
  const out: Partial<LiveSettings> = {};
  for (const key of Object.keys(update)) {
    if (!['mode', 'k', 'alpha', 'point'].includes(key)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', `unknown setting '${key}'`);
  }
  if (update.mode !== undefined) out.mode = oneOf(update.mode, 'mode', ['segment', 'heatmap', 'pca', 'track', 'match'] as const);
  if (update.k !== undefined) out.k = integer(update.k, 'k', 1, 64);
  if (update.alpha !== undefined) out.alpha = number(update.alpha, 'alpha', 0, 1);
  if (update.point !== undefined) {
    if (update.point === null) out.point = undefined;
    else {
      const p = update.point as Record<string, unknown>;
      if (!isObject(p)) throw new DinoError('ERR_DINO_INVALID_ARGUMENT', 'point must be { x, y }');
      out.point = { x: number(p.x, 'point.x', 0), y: number(p.y, 'point.y', 0) };
    }
  }
  return out;
}

/** Mutable settings shared by a stream and its controls. */
export class LiveControls {
  #settings: LiveSettings;
  #version = 0;

  constructor(initial: Partial<LiveSettings> = {}) {
    this.#settings = { ...LIVE_DEFAULTS, ...checkSettings(initial) };
  }

  get settings(): Readonly<LiveSettings> {
    return this.#settings;
  }

  /** Increases on every change (the stream re-clusters from scratch when k changes). */
  get version(): number {
    return this.#version;
  }

  update(update: unknown): Readonly<LiveSettings> {
    const checked = checkSettings(update);
    this.#settings = { ...this.#settings, ...checked };
    this.#version++;
    return this.#settings;
  }
}
