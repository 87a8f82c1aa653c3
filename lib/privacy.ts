/**
 * Privacy defaults: the library never phones home and writes nothing to the user's home on its
 * own. ONNX Runtime (1.29 and newer) keeps telemetry on by default — a device id and an event
 * database under `~/.cache/Microsoft/DeveloperTools/.onnxruntime`, `/tmp/mat-debug-<pid>.log`
 * files from its telemetry SDK, HTTPS uploads of session and model events — so both of its
 * switches are set before ONNX Runtime initialises, unless the user set either one (an explicit
 * `ORT_DISABLE_TELEMETRY=0` is an opt-in and stays).
 * Internal: not part of the public API.
 * @module
 */
import { native } from './binding';

/** The environment switches ONNX Runtime revisions read (native/addon/privacy.cc sets the same). */
export const TELEMETRY_SWITCHES = ['ORT_DISABLE_TELEMETRY', 'ORT_TELEMETRY_DISABLED'] as const;

/**
 * Sets the telemetry switches where the user has not. On the main thread `process.env` is the
 * process environment; in a worker thread it is a copy native code never reads, so the native
 * addon, whose initialisation sets the same switches in the process environment, is loaded too.
 */
export function applyPrivacyDefaults(): void {
  if (!TELEMETRY_SWITCHES.some((name) => process.env[name] !== undefined)) {
    for (const name of TELEMETRY_SWITCHES) process.env[name] = '1';
  }
  native();
}
