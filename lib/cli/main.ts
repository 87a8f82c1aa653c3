#!/usr/bin/env node
/**
 * The `dinov3` command line.
 * @module
 */
import { DinoError, isDinoError } from '../errors';
import * as build from './commands/build';
import * as demo from './commands/demo';
import * as doctor from './commands/doctor';
import * as evalDavis from './commands/eval-davis';
import * as extract from './commands/extract';
import * as heatmap from './commands/heatmap';
import * as info from './commands/info';
import * as kmeans from './commands/kmeans';
import * as live from './commands/live';
import * as makeTestModel from './commands/make-test-model';
import * as match from './commands/match';
import * as segment from './commands/segment';
import * as submit from './commands/submit';
import * as track from './commands/track';
import * as worker from './commands/worker';

interface Command {
  usage: string;
  /** Resolves to an exit code, or nothing for success. */
  run: (argv: readonly string[], out: (s: string) => void) => Promise<void | number>;
}

const COMMANDS: Record<string, { summary: string; command: Command }> = {
  demo: { summary: 'heatmap, segmentation and PCA pictures of one image (the main job; no files needed)', command: demo },
  info: { summary: "show a model's contract and this machine's capabilities", command: info },
  doctor: { summary: 'check this machine end to end (all backends, CUDA, capture) and write a report for issues', command: doctor },
  extract: { summary: 'write CLS, register and patch tokens of an image', command: extract },
  kmeans: { summary: 'k-means over a patch-token matrix (.npy)', command: kmeans },
  live: { summary: 'live segmentation/heatmaps of a camera or stream in the browser', command: live },
  build: { summary: 'build and cache a TensorRT engine (precision chosen by measurement)', command: build },
  'make-test-model': { summary: 'write a small DINOv3-shaped ONNX model with seeded weights', command: makeTestModel },
  heatmap: { summary: 'patch-similarity heatmaps of an image (PNG, optional .npy)', command: heatmap },
  match: { summary: 'patch correspondences between two images (mutual nearest neighbours), picture and JSON', command: match },
  track: { summary: 'track objects through a video from a first-frame mask or a click (label propagation)', command: track },
  'eval-davis': { summary: 'J, F and J&F of tracking on a DAVIS-2017 folder (semi-supervised video segmentation)', command: evalDavis },
  segment: { summary: 'k-means segmentation or PCA pictures of an image, a video or an image directory', command: segment },
  worker: { summary: 'extract features of queued images as a NATS JetStream worker (batched)', command: worker },
  submit: { summary: 'extract a folder of images through NATS JetStream workers', command: submit },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: dinov3 <command> [options]   (dinov3 <command> --help for details)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
  err: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    out((require('../../package.json') as { version: string }).version);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    err(`dinov3: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const command = entry.command;
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.usage);
    return 0;
  }
  try {
    const code = await command.run(rest, out);
    return typeof code === 'number' ? code : 0;
  } catch (caught) {
    const e = isDinoError(caught) ? caught : new DinoError('ERR_DINO_INTERNAL', caught instanceof Error ? caught.message : String(caught), { cause: caught });
    err(`dinov3 ${name}: ${e.message} [${e.code}]`);
    if (process.env.DINOV3_DEBUG && e.stack) err(e.stack);
    return e.code === 'ERR_DINO_INVALID_ARGUMENT' ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`dinov3: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
