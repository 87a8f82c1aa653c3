/**
 * Heatmap of an image: how similar every patch is to one patch, blended over the photo, with
 * the target patch marked and a colour bar.
 *
 *   node examples/dist/heatmap.js MODEL.onnx IMAGE [OUT.png] [ROW,COL]
 *
 * Without ROW,COL the centre patch is the target.
 */
import { loadModel, renderHeatmap, toPng } from 'dinov3-trt';

export async function main(args: readonly string[]): Promise<string> {
  const [modelPath, image, output = 'heatmap.png', target] = args;
  if (!modelPath || !image) throw new Error('usage: node examples/dist/heatmap.js MODEL.onnx IMAGE [OUT.png] [ROW,COL]');
  const model = await loadModel(modelPath);
  try {
    const features = await model.extract(image);
    const { rows, cols } = features.grid;
    const [row, col] = target ? target.split(',').map(Number) : [Math.floor(rows / 2), Math.floor(cols / 2)];
    const heatmap = await features.similarity({ row: row as number, col: col as number });
    const picture = await renderHeatmap(image, heatmap, { colormap: 'inferno', overlay: true, alpha: 0.6, colorbar: true });
    await toPng(picture, output);
    console.log(`patch (${row}, ${col}) of a ${rows}x${cols} grid: similarity ${heatmap.min.toFixed(2)}..${heatmap.max.toFixed(2)} -> ${output}`);
    return output;
  } finally {
    await model.dispose();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
