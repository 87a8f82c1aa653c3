/** `dinov3 doctor`: checks this machine end to end and writes a report worth attaching to an issue. */
import { writeFile } from 'node:fs/promises';

import { toMarkdown, toText } from '../../doctor/format';
import { runDoctor } from '../../doctor/run';
import { flag, parse, str, type Options } from '../args';

export const usage = `Usage: dinov3 doctor [--model MODEL.onnx] [--report report.json] [--markdown report.md] [--json]
                     [--conformance DIR]

Checks this machine end to end: what it is (Jetson model, L4T/JetPack, CPU, GPU, CUDA, TensorRT,
GStreamer, NVMM, which optional native modules loaded and why not), then the bundled conformance
model and reference tokens through every backend present (ONNX Runtime; TensorRT at each
precision this TensorRT supports), the CUDA kernels against the CPU core, and capture from
test:// (and csi://0, /dev/video0 when present), with timings. --model adds your model: TensorRT
against ONNX Runtime on the conformance photo. Checks that cannot run here say why.
--conformance DIR uses a folder laid out like the bundled data instead.

Exit code 0 only when every check that could run passed. Attach the report to an issue.`;

const options: Options = {
  model: { type: 'string' },
  report: { type: 'string' },
  markdown: { type: 'string' },
  json: { type: 'boolean' },
  conformance: { type: 'string' },
};

export async function run(argv: readonly string[], out: (s: string) => void): Promise<number> {
  const p = parse(argv, options);
  const model = str(p, 'model');
  const conformanceDir = str(p, 'conformance');
  const json = flag(p, 'json');
  const report = await runDoctor({
    ...(model === undefined ? {} : { model }),
    ...(conformanceDir === undefined ? {} : { conformanceDir }),
    ...(process.stderr.isTTY && !json ? { onCheck: (c) => process.stderr.write(`  ${c.status.padEnd(7)} ${c.id}\n`) } : {}),
  });
  const reportPath = str(p, 'report');
  const markdownPath = str(p, 'markdown');
  if (reportPath !== undefined) await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  if (markdownPath !== undefined) await writeFile(markdownPath, toMarkdown(report));
  out(json ? JSON.stringify(report, null, 2) : toText(report));
  if (!json && (reportPath !== undefined || markdownPath !== undefined)) {
    out(`\nwrote ${[reportPath, markdownPath].filter((x) => x !== undefined).join(' and ')}: attach it to your issue`);
  }
  return report.ok ? 0 : 1;
}
