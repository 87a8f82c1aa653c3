/** Colormap lookup tables and cluster palettes. */
import { describe, expect, it } from 'vitest';

import { COLORMAP_NAMES } from '../../lib';
import { colormap, colormapColor } from '../../lib/render/colormaps';
import { paletteColors } from '../../lib/render/palettes';

const luminance = (lut: Uint8Array, i: number): number => 0.2126 * (lut[3 * i] as number) + 0.7152 * (lut[3 * i + 1] as number) + 0.0722 * (lut[3 * i + 2] as number);

describe('colormaps', () => {
  it('has 256 entries for every map', () => {
    for (const name of COLORMAP_NAMES) expect(colormap(name)).toHaveLength(768);
  });

  it('hits the published end and middle colours', () => {
    expect(colormapColor('viridis', 0)).toEqual([68, 1, 84]);
    expect(colormapColor('viridis', 255)).toEqual([253, 231, 37]);
    expect(colormapColor('magma', 255)).toEqual([252, 253, 191]);
    expect(colormapColor('inferno', 0)).toEqual([0, 0, 4]);
    expect(colormapColor('jet', 0)).toEqual([0, 0, 128]);
    expect(colormapColor('jet', 255)).toEqual([128, 0, 0]);
    expect(colormapColor('gray', 0)).toEqual([0, 0, 0]);
    expect(colormapColor('gray', 128)).toEqual([128, 128, 128]);
  });

  it('viridis, magma, inferno and gray get lighter from low to high', () => {
    for (const name of ['viridis', 'magma', 'inferno', 'gray'] as const) {
      const lut = colormap(name);
      for (let i = 8; i < 256; i += 8) expect(luminance(lut, i)).toBeGreaterThan(luminance(lut, i - 8));
    }
  });

  it('rejects unknown names with a coded error', () => {
    expect(() => colormap('hot' as never)).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
  });
});

describe('palettes', () => {
  it('jet spreads k labels from dark blue to dark red', () => {
    const p = paletteColors('jet', 4);
    expect([...p.subarray(0, 3)]).toEqual([0, 0, 128]);
    expect([...p.subarray(9, 12)]).toEqual([128, 0, 0]);
  });

  it('qualitative colours are distinct for many labels', () => {
    const p = paletteColors('qualitative', 24);
    const seen = new Set<string>();
    for (let i = 0; i < 24; i++) seen.add(`${p[3 * i]},${p[3 * i + 1]},${p[3 * i + 2]}`);
    expect(seen.size).toBe(24);
  });

  it('explicit palettes must cover every label', () => {
    expect(() => paletteColors(new Uint8Array(6), 3)).toThrow(expect.objectContaining({ code: 'ERR_DINO_INVALID_ARGUMENT' }));
  });
});
