/**
 * The live view's tracking and matching modes: 'track' follows the object under the clicked
 * point by label propagation from the frame the point was set on (the same labels trackVideo
 * gives for the same frames and point) and a new point starts again; 'match' matches the patches
 * of a frozen frame to every live one (the pairs matchPatches gives) and a click freezes anew.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LiveControls, loadModel, matchPatches, segmentStream, trackVideo, type Model, type PatchMatches, type RawImage } from '../lib';
import { IterableSource } from '../lib/video/sources/iterable-source';
import { decodeFrames, hasFfmpeg, noteNoFfmpeg, tempDir, testVideo, tinyModel } from './video/fixtures';

noteNoFfmpeg('live tracking tests');

async function* each(images: readonly RawImage[]): AsyncGenerator<RawImage> {
  yield* images;
}

describe.skipIf(!hasFfmpeg)('live view, track and match modes', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let model: Model;
  let images: RawImage[];
  beforeAll(async () => {
    tmp = await tempDir('live-track');
    const [path, video] = await Promise.all([tinyModel(tmp.dir), testVideo(join(tmp.dir, 'clip.mp4'), 10, 160, 128)]);
    model = await loadModel(path);
    images = (await decodeFrames(video)).map((f) => ({ ...f, format: 'rgb' as const }));
  });
  afterAll(async () => {
    await model?.dispose();
    await tmp?.cleanup();
  });

  it('follows the clicked object as trackVideo does; nothing is drawn before a click; a new point starts again', async () => {
    const point = { x: 40, y: 60 };
    const expected: Int32Array[] = [];
    for await (const f of trackVideo(model, each(images), { point, size: 128, render: false })) expected.push(f.patchLabels);
    expect(expected).toHaveLength(10);

    const controls = new LiveControls({ mode: 'track' });
    const seen: Int32Array[] = [];
    for await (const f of segmentStream(model, new IterableSource(each([images[0] as RawImage, ...images])), { controls, size: 128 })) {
      expect(f.settings.mode).toBe('track');
      seen.push(f.labels as Int32Array);
      if (seen.length === 1) controls.update({ point }); // the click, after the first frame
    }
    expect(seen).toHaveLength(11);
    expect([...(seen[0] as Int32Array)].every((l) => l === -1)).toBe(true); // no point yet
    // From the click on: the object is 1, the rest -1 (not drawn); as trackVideo's labels
    for (let i = 0; i < 10; i++) expect([...(seen[i + 1] as Int32Array)]).toEqual([...(expected[i] as Int32Array)].map((l) => (l === 0 ? -1 : l)));
    expect((seen[1] as Int32Array).some((l) => l === 1)).toBe(true);

    // A new point restarts from the frame it is set on
    const other = { x: 120, y: 30 };
    const restarted: Int32Array[] = [];
    const again = new LiveControls({ mode: 'track', point });
    let n = 0;
    for await (const f of segmentStream(model, new IterableSource(each(images)), { controls: again, size: 128 })) {
      if (++n === 5) again.update({ point: other });
      if (n >= 5) restarted.push(f.labels as Int32Array);
    }
    const fromFive: Int32Array[] = [];
    for await (const f of trackVideo(model, each(images.slice(5)), { point: other, size: 128, render: false })) fromFive.push(f.patchLabels);
    // the point changes after the 5th frame was shown: the 6th (images[5]) is the new first frame
    expect([...(restarted[1] as Int32Array)]).toEqual([...(fromFive[0] as Int32Array)].map((l) => (l === 0 ? -1 : l)));
  });

  it('match: the pairs of a frozen frame and each live one, side by side; a click freezes the current frame', async () => {
    const controls = new LiveControls({ mode: 'match' });
    const shown: Array<{ matches: PatchMatches; width: number; height: number }> = [];
    for await (const f of segmentStream(model, new IterableSource(each(images.slice(0, 6))), { controls, size: 128 })) {
      shown.push({ matches: f.matches as PatchMatches, width: f.rendered.width, height: f.rendered.height });
      if (shown.length === 3) controls.update({ point: { x: 10, y: 10 } }); // freeze the 4th frame
    }
    const features = await Promise.all(images.slice(0, 6).map((img) => model.extract(img, { size: 128 })));
    try {
      for (let i = 0; i < 6; i++) {
        const reference = features[i < 3 ? 0 : 3]!;
        const expected = await matchPatches(reference, features[i]!, { maxMatches: 64 });
        expect(shown[i]!.matches).toEqual(expected);
        expect(shown[i]!.matches.pairs.length).toBeGreaterThan(0);
        expect(shown[i]!.width).toBeGreaterThan(2 * 160); // the frozen frame and the live one, side by side
        expect(shown[i]!.height).toBe(128);
      }
      // a frame matched to itself: every patch its own mutual nearest neighbour
      expect(shown[0]!.matches.pairs.every((p) => p.a.row === p.b.row && p.a.col === p.b.col)).toBe(true);
    } finally {
      for (const f of features) f.dispose();
    }
  });
});
