/** `dinov3 make-test-model`: writes the seeded tiny DINOv3-shaped ONNX model. */
import { main, USAGE } from '../../onnx/make-tiny-model';

export const usage = USAGE;

export async function run(argv: readonly string[], out: (s: string) => void): Promise<number> {
  return main(argv, { stdout: (t) => out(t.replace(/\n$/, '')), stderr: (t) => process.stderr.write(t) });
}
