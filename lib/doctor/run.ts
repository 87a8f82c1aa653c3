/**
 * runDoctor(): the machine facts, then every check, into one {@link DoctorReport}.
 * @module
 */
import { bundledPaths } from '../conformance/bundled';
import { captureChecks } from './capture';
import { runCheck, notRun } from './check';
import { conformanceChecks } from './conformance';
import { cudaChecks } from './cuda';
import { machineFacts } from './machine';
import { readReference } from './reference';
import { userModelChecks } from './user-model';
import type { CheckResult, DoctorReport } from './types';

export interface DoctorOptions {
  /** The user's model, checked TensorRT against ONNX Runtime. */
  model?: string;
  /** A folder laid out like the shipped conformance data (default: the package's). */
  conformanceDir?: string;
  /** Called as each check finishes (progress on a terminal). */
  onCheck?: (check: CheckResult) => void;
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const machine = machineFacts();
  const checks: CheckResult[] = [];
  const add = (list: CheckResult[]): void => {
    for (const c of list) {
      checks.push(c);
      options.onCheck?.(c);
    }
  };
  let reference;
  try {
    reference = await readReference(options.conformanceDir);
  } catch (err) {
    add([await runCheck('conformance.data', 'the bundled conformance data is present and complete', async () => Promise.reject(err))]);
  }
  if (reference) {
    const ref = reference;
    add(await conformanceChecks(ref));
    add(await cudaChecks(ref));
  } else {
    add([await runCheck('cuda', 'CUDA kernels match the CPU core', async () => notRun('the conformance data they run on is missing'))]);
  }
  add(await captureChecks(machine.jetson !== undefined));
  if (options.model !== undefined) add(await userModelChecks(options.model, reference?.paths.photo ?? bundledPaths().photo));
  const summary = {
    passed: checks.filter((c) => c.status === 'passed').length,
    failed: checks.filter((c) => c.status === 'failed').length,
    notRun: checks.filter((c) => c.status === 'not-run').length,
  };
  return { tool: 'dinov3 doctor', createdAt: new Date().toISOString(), machine, checks, summary, ok: summary.failed === 0 };
}
