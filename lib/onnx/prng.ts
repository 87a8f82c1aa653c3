/**
 * A seeded, platform-independent pseudo-random generator (xorshift32) for synthetic weights.
 * Only integer and exact float operations are used, so a seed gives bit-identical values on
 * every machine. Each named stream is seeded from (seed, name), so adding a tensor does not
 * change the values of the others.
 * @module
 */

const SQRT3 = Math.sqrt(3);

function mix32(x: number): number {
  // murmur3 finaliser
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** xorshift32 stream. */
export class Xorshift32 {
  private state: number;

  /** Seeds from an integer seed and an optional stream name. */
  constructor(seed: number, stream = '') {
    const s = mix32((seed >>> 0) ^ mix32(fnv1a(stream) + 0x9e3779b9));
    this.state = s === 0 ? 0x6d2b79f5 : s;
  }

  /** Next raw 32-bit value. */
  nextUint32(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * Approximately standard normal: the Irwin–Hall sum of 4 uniforms, centred and scaled to
   * variance 1 (bounded to ±2√3). Exact arithmetic only (sqrt is correctly rounded), unlike
   * Box–Muller, so it is bit-identical everywhere.
   */
  normal(): number {
    const s = this.uniform() + this.uniform() + this.uniform() + this.uniform();
    return (s - 2) * SQRT3;
  }

  /** `count` values `mean + std * normal()`. */
  normals(count: number, std: number, mean = 0): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = mean + std * this.normal();
    return out;
  }
}
