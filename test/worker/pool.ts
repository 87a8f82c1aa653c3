/**
 * Worker processes (`dinov3 worker` from dist/) and folders of small test images for the worker
 * tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import sharp from 'sharp';

import { projectRoot } from '../helpers/shared';

export const cli = join(projectRoot, 'dist', 'cli', 'main.js');

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when it is connected and pulling. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `dinov3 worker --nats url ...args`. */
export function spawnWorker(url: string, args: readonly string[]): WorkerProcess {
  const child = spawn(process.execPath, [cli, 'worker', '--nats', url, '--stats-s', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (/^worker .*: .*pool/m.test(text)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`worker exited (${code}) before it was ready:\n${text}`)));
  });
  ready.catch(() => undefined);
  return { child, output: () => text, ready, exited };
}

/** Writes `count` distinct small PNGs (seeded by their index) into `dir`, in two sub-folders. Returns their relative paths. */
export async function writeImages(dir: string, count: number, size = 24): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const data = Buffer.alloc(size * size * 3);
    for (let j = 0; j < data.length; j++) data[j] = (i * 37 + j * (1 + (i % 7)) + ((j * j) % 13)) % 256;
    const name = `${i % 2 === 0 ? 'even' : 'odd'}/img${String(i).padStart(4, '0')}.png`;
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
    names.push(name);
  }
  return names;
}
