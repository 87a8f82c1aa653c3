/**
 * Private by default: ONNX Runtime's telemetry (a device id and an event database under the
 * user's cache folder, /tmp/mat-debug-<pid>.log files, HTTPS uploads) stays off unless the user
 * turns it on. Each case runs in a child process with HOME and XDG_CACHE_HOME in a fresh temp
 * folder and without CI (ONNX Runtime suppresses telemetry under CI, which would hide the
 * problem), then looks for anything written to that home or a mat-debug file of that process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { describe, expect, it } from 'vitest';

import { TELEMETRY_SWITCHES } from '../lib/privacy';
import { conformanceCases, conformanceImage, conformanceModel, projectRoot } from './helpers/shared';

const dist = join(projectRoot, 'dist');
if (!existsSync(join(dist, 'index.js'))) throw new Error(`${dist} is missing: the privacy tests run the built package (npm run build)`);
const c = conformanceCases()[0]!;

interface Run {
  pid: number;
  code: number | null;
  stdout: string;
  stderr: string;
  home: string;
}

/** Runs `node args` with a fresh HOME, without CI and without the telemetry switches (unless `extraEnv` sets them). */
function runIsolated(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const home = mkdtempSync(join(tmpdir(), 'dinov3-home-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), ...extraEnv };
  delete env.CI;
  for (const name of TELEMETRY_SWITCHES) if (!(name in extraEnv)) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, cwd: home });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ pid: child.pid!, code, stdout, stderr, home }));
  });
}

/** Every file and folder under `dir`, relative to it (excluding `keep`). */
function entriesUnder(dir: string, keep: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const rel = relative(dir, join(e.parentPath, e.name));
    if (!keep.some((k) => rel === k || rel.startsWith(`${k}/`))) out.push(rel);
  }
  return out;
}

const matDebugLog = (pid: number): string => join(tmpdir(), `mat-debug-${pid}.log`);

describe('telemetry is off by default', () => {
  it('the CLI extract writes nothing under HOME and no mat-debug log', async () => {
    const out = 'features'; // relative to the child's cwd, the temp home: the only thing allowed there
    const r = await runIsolated([join(dist, 'cli', 'main.js'), 'extract', '--model', conformanceModel(c), '--image', conformanceImage(c), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(r.home, out, 'patches.npy'))).toBe(true);
    expect(entriesUnder(r.home, [out])).toEqual([]);
    expect(existsSync(matDebugLog(r.pid))).toBe(false);
  });

  it('the API inside a worker_thread writes nothing under HOME and no mat-debug log', async () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      const w = new Worker(${JSON.stringify(`
        const { parentPort } = require('node:worker_threads');
        const { loadModel } = require(${JSON.stringify(join(dist, 'index.js'))});
        (async () => {
          const model = await loadModel(${JSON.stringify(conformanceModel(c))});
          const f = await model.extract(${JSON.stringify(conformanceImage(c))}, { size: 224 });
          await model.dispose();
          parentPort.postMessage(f.patchCount);
        })().catch((e) => { console.error(e); process.exit(3); });
      `)}, { eval: true });
      w.on('message', (n) => console.log('patches', n));
      w.on('error', (e) => { console.error(e); process.exitCode = 2; });
    `;
    const r = await runIsolated(['-e', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/patches 196/);
    expect(entriesUnder(r.home)).toEqual([]);
    expect(existsSync(matDebugLog(r.pid))).toBe(false);
  });

  it('the addon sets both switches in the process environment when it loads', async () => {
    const script = `require(${JSON.stringify(join(dist, 'binding.js'))}).native(); console.log(JSON.stringify(${JSON.stringify(TELEMETRY_SWITCHES)}.map((n) => process.env[n] ?? null)));`;
    const r = await runIsolated(['-e', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(['1', '1']);
  });

  it.each(TELEMETRY_SWITCHES.map((name) => [name]))('an explicit %s=0 (opt-in) is left alone, and so is the other switch', async (name) => {
    // Only the environment is checked: with telemetry on, ONNX Runtime would try to upload.
    const script = `
      const { applyPrivacyDefaults } = require(${JSON.stringify(join(dist, 'privacy.js'))});
      applyPrivacyDefaults();
      console.log(JSON.stringify(${JSON.stringify(TELEMETRY_SWITCHES)}.map((n) => process.env[n] ?? null)));`;
    const r = await runIsolated(['-e', script], { [name]: '0' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(TELEMETRY_SWITCHES.map((n) => (n === name ? '0' : null)));
  });
});
