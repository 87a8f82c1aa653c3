/**
 * What `dinov3 doctor` reports: the machine, then one result per check.
 * @module
 */

/** passed / failed, or not-run with the reason (nothing to run it on here). */
export type CheckStatus = 'passed' | 'failed' | 'not-run';

/** One check of the doctor. */
export interface CheckResult {
  /** Stable identifier, e.g. "conformance.onnxruntime", "tensorrt.fp16", "capture.test". */
  id: string;
  /** What it checks, in words. */
  title: string;
  status: CheckStatus;
  /** What was measured and the bar (passed/failed), or why it could not run (not-run). */
  detail: string;
  /** Wall time of the check in milliseconds (absent when it did not run). */
  ms?: number;
  /** Numbers measured (max |diff|, cosines, per-frame times, ...). */
  measurements?: Record<string, number | string>;
}

/** An optional native module: loaded, or why not. */
export interface ModuleFact {
  name: string;
  compiled: boolean;
  available: boolean;
  version?: string;
  reason?: string;
}

/** What the machine is. Fields that could not be read are absent or say so. */
export interface MachineFacts {
  os: string;
  arch: string;
  node: string;
  /** dinov3-trt version and its addon's. */
  package: string;
  addon: string;
  cpu: { model: string; cores: number };
  memoryGiB: number;
  /** Jetson facts, when this is a Jetson (device tree model, L4T release, JetPack derived from it). */
  jetson?: { model?: string; l4t?: string; jetpack?: string };
  gpu: { name: string; computeCapability: string; memoryGiB: number; integrated: boolean }[];
  cuda: { driver?: string; runtime?: string; reason?: string };
  tensorrt: { compiled?: string; runtime?: string; reason?: string };
  onnxruntime: string;
  gstreamer: { version?: string; reason?: string };
  nvmm: { available: boolean; reason?: string };
  modules: ModuleFact[];
}

/** The whole report (what --report writes as JSON). */
export interface DoctorReport {
  tool: 'dinov3 doctor';
  createdAt: string;
  machine: MachineFacts;
  checks: CheckResult[];
  summary: { passed: number; failed: number; notRun: number };
  /** True when every check that could run passed (the exit code is 0 exactly then). */
  ok: boolean;
}
