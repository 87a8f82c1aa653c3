/**
 * Unsupervised segmentation of a video file: k-means over the DINOv3 patch tokens of every frame,
 * colours kept stable from frame to frame, written as a new video.
 *
 *   node examples/dist/segment-video.js MODEL.onnx VIDEO [OUT.mp4] [K]
 */
import { loadModel, openSource, openVideoWriter, PipelineStats, segmentVideo, type FrameSink } from 'dinov3-trt';

export async function main(args: readonly string[]): Promise<string> {
  const [modelPath, video, output = 'segmented.mp4', clusters = '5'] = args;
  if (!modelPath || !video) throw new Error('usage: node examples/dist/segment-video.js MODEL.onnx VIDEO [OUT.mp4] [K]');
  const source = await openSource(video);
  const { fps = 25, frames } = source.info;
  const model = await loadModel(modelPath).catch(async (err: unknown) => {
    await source.dispose();
    throw err;
  });
  const stats = new PipelineStats();
  let writer: FrameSink | undefined;
  try {
    for await (const result of segmentVideo(model, source, { k: Number(clusters), render: { palette: 'jet', alpha: 0.4 } })) {
      const picture = result.rendered!;
      writer ??= await openVideoWriter(output, { width: picture.width, height: picture.height, fps });
      const start = performance.now();
      await writer.write(picture);
      stats.add({ ...result.timings, encode: performance.now() - start });
      if (result.reset && result.index > 0) console.log(`frame ${result.index}: ${result.reset}, clusters matched to the previous frame`);
    }
    await writer?.close();
  } catch (err) {
    await writer?.abort();
    throw err;
  } finally {
    await source.dispose();
    await model.dispose();
  }
  stats.finish();
  console.log(`${stats.summary()}\nwrote ${stats.frames}${frames ? ` of ${frames}` : ''} frames to ${output}`);
  return output;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
