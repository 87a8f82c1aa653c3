/**
 * The machine facts of the doctor's report: OS, CPU, memory, Jetson model and L4T/JetPack
 * release, GPU, CUDA, TensorRT, ONNX Runtime, GStreamer, NVMM, and which optional native modules
 * loaded (and why not).
 * @module
 */
import { readFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';

import { native, packageRoot } from '../binding';
import { capabilities } from '../capabilities';
import type { MachineFacts, ModuleFact } from './types';

/** L4T release → JetPack (NVIDIA's release notes; unknown releases give undefined). */
const JETPACK: Record<string, string> = {
  '35.1': '5.0.2',
  '35.2': '5.1',
  '35.3': '5.1.1',
  '35.4': '5.1.2',
  '35.5': '5.1.3',
  '35.6': '5.1.4',
  '36.2': '6.0 DP',
  '36.3': '6.0',
  '36.4.0': '6.1',
  '36.4.3': '6.2',
  '36.4.4': '6.2.1',
};

/** Parses /etc/nv_tegra_release ("# R36 (release), REVISION: 4.3, ...") into "36.4.3". */
export function parseTegraRelease(text: string): string | undefined {
  const m = /R(\d+)\s*\(release\),\s*REVISION:\s*(\d+)(?:\.(\d+))?/.exec(text);
  return m ? `${m[1]}.${m[2]}${m[3] === undefined ? '' : `.${m[3]}`}` : undefined;
}

/** The JetPack release of an L4T release ("36.4.3" → "6.2"), when known. */
export function jetpackFor(l4t: string): string | undefined {
  const [major, minor, patch] = l4t.split('.');
  return JETPACK[`${major}.${minor}.${patch ?? '0'}`] ?? JETPACK[`${major}.${minor}`];
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').replace(/\0/g, '').trim();
  } catch {
    return undefined;
  }
}

/** Jetson facts, or undefined on other machines. `root` prefixes the paths read (tests). */
export function jetsonFacts(root = ''): MachineFacts['jetson'] {
  const model = readText(`${root}/proc/device-tree/model`) ?? readText(`${root}/sys/firmware/devicetree/base/model`);
  const release = readText(`${root}/etc/nv_tegra_release`);
  const l4t = release ? parseTegraRelease(release) : undefined;
  if (!l4t && !(model && /jetson|tegra|orin|xavier/i.test(model))) return undefined;
  const jetpack = l4t ? jetpackFor(l4t) : undefined;
  return { ...(model ? { model } : {}), ...(l4t ? { l4t } : {}), ...(jetpack ? { jetpack } : {}) };
}

const cudaVersion = (v: number | undefined): string | undefined => (v ? `${Math.floor(v / 1000)}.${(v % 1000) / 10}` : undefined);

function onnxRuntimeVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function machineFacts(): MachineFacts {
  const b = native();
  const raw = b.capabilities();
  const caps = capabilities();
  const modules: ModuleFact[] = [
    { name: 'cuda kernels', ...caps.cuda },
    { name: 'tensorrt', ...caps.tensorrt },
    { name: 'capture (GStreamer)', ...caps.gstreamer },
    { name: 'nvmm zero-copy', ...caps.nvmm },
    { name: 'png decoder (libdeflate)', ...caps.decoders.png },
    { name: 'jpeg decoder (libturbojpeg)', ...caps.decoders.jpeg },
  ].map((m) => ({
    name: m.name,
    compiled: m.compiled,
    available: m.available,
    ...(m.version ? { version: m.version } : {}),
    ...(m.reason ? { reason: m.reason } : {}),
  }));
  let trt: MachineFacts['tensorrt'] = caps.tensorrt.reason ? { reason: caps.tensorrt.reason } : {};
  if (caps.tensorrt.available) {
    try {
      const i = b.trtInfo();
      trt = { compiled: i.compiledVersion, runtime: i.runtimeVersion };
    } catch (err) {
      trt = { reason: (err as Error).message };
    }
  }
  const cpuList = cpus();
  const jetson = jetsonFacts();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require(`${packageRoot}/package.json`) as { version: string };
  const driver = cudaVersion(raw.cuda.driverVersion);
  const runtime = cudaVersion(raw.cuda.runtimeVersion);
  return {
    os: `${platform()} ${release()}`,
    arch: arch(),
    node: process.version,
    package: pkg.version,
    addon: b.version,
    cpu: { model: cpuList[0]?.model.trim() ?? 'unknown', cores: cpuList.length },
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    ...(jetson ? { jetson } : {}),
    gpu: caps.cuda.devices.map((d) => ({
      name: d.name,
      computeCapability: d.computeCapability,
      memoryGiB: Math.round((d.totalMemory / 2 ** 30) * 10) / 10,
      integrated: d.integrated,
    })),
    cuda: { ...(driver ? { driver } : {}), ...(runtime ? { runtime } : {}), ...(caps.cuda.reason ? { reason: caps.cuda.reason } : {}) },
    tensorrt: trt,
    onnxruntime: onnxRuntimeVersion(),
    gstreamer: caps.gstreamer.available ? { version: caps.gstreamer.version ?? 'unknown' } : { reason: caps.gstreamer.reason ?? 'not built' },
    nvmm: caps.nvmm.available ? { available: true } : { available: false, reason: caps.nvmm.reason ?? 'not built' },
    modules,
  };
}
