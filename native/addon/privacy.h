// Privacy defaults applied when the addon loads, before ONNX Runtime can initialise.
#pragma once

namespace dinov3::addon {

// ONNX Runtime (1.29 and newer) keeps telemetry on by default: a device id and an event database
// under ~/.cache/Microsoft/DeveloperTools/.onnxruntime, /tmp/mat-debug-<pid>.log files from its
// telemetry SDK, and HTTPS uploads. Unless the user set either switch, this sets
// ORT_DISABLE_TELEMETRY=1 and ORT_TELEMETRY_DISABLED=1 (different ONNX Runtime revisions read
// different names) in the process environment, so it holds in every thread, worker threads
// included, whose process.env copies never reach native code. A value the user set (an explicit
// opt-in such as ORT_DISABLE_TELEMETRY=0) is left as it is. lib/privacy.ts lists the same names.
void apply_privacy_defaults();

}  // namespace dinov3::addon
