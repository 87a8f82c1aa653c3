// TensorRT bindings (compiled only when the TensorRT module dinov3_tensorrt.so is built; see
// tensorrt_unavailable.cc for the stand-ins). The addon has no TensorRT headers: it loads the
// module on first use through plugin_loader.h and talks to it through native/trt/trt_module.h.
//
// JS surface (lib/binding.ts types it):
//
//   trtInfo(): { compiledVersion: string, runtimeVersion: string, abi: number }
//     compiledVersion: the TensorRT headers the module was built against, e.g. "10.3.0";
//     runtimeVersion: the libnvinfer loaded now. Throws ERR_DINO_TENSORRT_UNAVAILABLE (with the
//     loader's reason) when the module cannot be loaded.
//
//   trtBuildEngine(
//     onnxPath: string,
//     options: {
//       precision: 'fp32' | 'fp16' | 'bf16',
//       pinNormsFp32?: boolean,        // default false; fp16 on TensorRT < 11 only
//       pinAttentionFp32?: boolean,    // default false; with pinNormsFp32: attention MatMuls too
//       minShape: number[],            // [N, 3, H, W]
//       optShape: number[],
//       maxShape: number[],
//       inputName?: string,            // default: the only input, or 'pixel_values'
//       workspaceBytes?: number,       // default 0 = TensorRT's default
//       timingCache?: Uint8Array,      // a Buffer from an earlier build's result.timingCache
//       optimizationLevel?: number,    // 0..5, TensorRT >= 8.6
//     },
//     onEvent?: ((event: {
//       type: 'phase-start' | 'step' | 'phase-finish' | 'log',
//       phase?: string,                // phase-start, step, phase-finish
//       parent?: string,               // phase-start, when nested
//       step?: number,                 // step: 0-based
//       steps?: number,                // phase-start, step: total, 0 = unknown
//       severity?: 'internal-error' | 'error' | 'warning' | 'info',   // log
//       message?: string,              // log
//     }) => void) | null,
//     cancel?: CancelToken | null,
//   ): Promise<{
//     plan: Buffer, timingCache: Buffer, precision: 'fp32' | 'fp16' | 'bf16', inputName: string,
//     pinnedLayers: number, log: { severity: string, message: string }[],
//   }>
//     Runs on its own thread (never a libuv pool slot); events arrive on the JS thread in order,
//     before the promise settles. If onEvent throws, the build is cancelled and the promise
//     rejects with that exception. Cancelling through the token rejects with ERR_DINO_ABORTED
//     (TensorRT >= 10 stops at once; 8.x finishes the build and discards it). Other rejections:
//     ERR_DINO_FILE_NOT_FOUND, ERR_DINO_INVALID_MODEL, ERR_DINO_UNSUPPORTED_OP,
//     ERR_DINO_SHAPE_MISMATCH, ERR_DINO_INVALID_ARGUMENT, ERR_DINO_ENGINE_BUILD; each rejection
//     error carries `log` (the same array as a result's log) when TensorRT said anything.
//     Throws synchronously ERR_DINO_INVALID_ARGUMENT / ERR_DINO_TENSORRT_UNAVAILABLE.
//
//   trtLoadEngine(plan: Uint8Array): Promise<TrtEngine>
//     Rejects with ERR_DINO_ENGINE_CORRUPT (truncated, another TensorRT version or GPU).
//
//   class TrtEngine (not constructible from JS)
//     readonly tensors: {
//       name: string, mode: 'input' | 'output',
//       dtype: 'float32' | 'float16' | 'int8' | 'int32' | 'bool' | 'uint8' | 'fp8' | 'bfloat16' |
//              'int64' | 'int4' | 'unknown',
//       shape: number[],               // -1 where dynamic
//       min?: number[], opt?: number[], max?: number[],   // inputs: the optimization profile
//     }[]
//     readonly deviceMemoryBytes: number   // activation memory per concurrent run
//     readonly disposed: boolean
//     outputShapes(inputShapes: Record<string, number[]>): Record<string, number[]>
//       Every input must be given; throws ERR_DINO_SHAPE_MISMATCH naming the dimensions outside
//       the profile and the range it allows.
//     run(inputs: Record<string, DeviceTensor>, outputs: Record<string, DeviceTensor>,
//         inputShapes?: Record<string, number[]>): Promise<void>
//       Every engine input must be given; outputs may be a subset (the others go to scratch
//       memory). inputShapes defaults to each input tensor's own shape. Each tensor's dtype must
//       equal the engine's, its memory must hold the run's shape (a larger, preallocated tensor
//       is fine) and be 256-byte aligned. Runs on a libuv worker with that worker's CUDA stream
//       on an execution context from a pool (one per concurrent run, created on demand) and
//       resolves once the outputs are written. Throws ERR_DINO_INVALID_ARGUMENT,
//       ERR_DINO_SHAPE_MISMATCH, ERR_DINO_DISPOSED synchronously; rejects with ERR_DINO_BACKEND
//       / ERR_DINO_CUDA* when TensorRT or CUDA fail.
//     dispose(): void
//       Marks the engine disposed (later calls throw ERR_DINO_DISPOSED); its memory is freed when
//       the last run in flight has finished. Idempotent.
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "../core/error.h"
#include "../cuda/cuda_api.h"
#include "../trt/trt_module.h"
#include "args.h"
#include "cancel_token.h"
#include "device_tensor.h"
#include "errors.h"
#include "ops.h"
#include "plugins.h"
#include "promise_worker.h"
#include "worker_stream.h"

namespace dinov3::addon {
namespace {

constexpr const char* kUnavailable = "ERR_DINO_TENSORRT_UNAVAILABLE";
constexpr const char* kDisposed = "ERR_DINO_DISPOSED";

// ---- the module ----------------------------------------------------------------------------------

trt::Module* module_or_throw(Napi::Env env) {
  const PluginStatus& status = tensorrt_status();
  if (!status.loaded) throw coded_error(env, kUnavailable, "TensorRT is not available: " + status.reason);
  auto entry = reinterpret_cast<trt::ModuleEntryFn>(status.entry);
  trt::Module* module = entry(trt::kTrtModuleAbi);
  if (module == nullptr) {
    throw coded_error(env, kUnavailable,
                      std::string("TensorRT is not available: ") + kTensorRtModule + " (" + status.version +
                          ") was built for another version of this addon (module ABI differs from " +
                          std::to_string(trt::kTrtModuleAbi) + "); rebuild with npm run build:native");
  }
  return module;
}

// ---- argument helpers --------------------------------------------------------------------------

trt::Shape shape_value(const Napi::Value& v, const std::string& name) {
  Napi::Env env = v.Env();
  if (!v.IsArray()) throw_invalid(env, name + " must be an array of positive integers");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() == 0 || a.Length() > 8) throw_invalid(env, name + " must have 1 to 8 dimensions");
  trt::Shape s;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value d = a.Get(i);
    const double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1.0;
    if (!(x >= 1.0 && x <= 9007199254740991.0) || x != static_cast<double>(static_cast<int64_t>(x))) {
      throw_invalid(env, name + "[" + std::to_string(i) + "] must be a positive integer");
    }
    s.push_back(static_cast<int64_t>(x));
  }
  return s;
}

std::string shape_text(const trt::Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i > 0 ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

Napi::Array shape_array(Napi::Env env, const trt::Shape& s) {
  Napi::Array a = Napi::Array::New(env, s.size());
  for (size_t i = 0; i < s.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(s[i])));
  return a;
}

std::map<std::string, trt::Shape> shape_record(const Napi::Value& v, const char* name) {
  std::map<std::string, trt::Shape> out;
  if (v.IsUndefined() || v.IsNull()) return out;
  if (!v.IsObject()) throw_invalid(v.Env(), std::string(name) + " must be an object of shapes keyed by tensor name");
  Napi::Object o = v.As<Napi::Object>();
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    out[key] = shape_value(o.Get(key), std::string(name) + "." + key);
  }
  return out;
}

bool optional_bool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) throw_invalid(o.Env(), std::string("options.") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

int64_t element_count(const trt::Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// ---- trtInfo -----------------------------------------------------------------------------------

Napi::Value TrtInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  trt::Module* module = module_or_throw(env);
  const trt::VersionInfo v = call_with_coded_errors(env, codes::kInternal, [&] { return module->version(); });
  Napi::Object o = Napi::Object::New(env);
  o.Set("compiledVersion", v.compiled());
  o.Set("runtimeVersion", v.runtime());
  o.Set("abi", Napi::Number::New(env, module->abi()));
  return o;
}

// ---- trtBuildEngine ----------------------------------------------------------------------------

struct BuildEvent {
  enum class Kind { kPhaseStart, kStep, kPhaseFinish, kLog, kDone };
  Kind kind = Kind::kDone;
  std::string phase, parent, message;
  int step = 0, steps = 0;
  trt::LogSeverity severity = trt::LogSeverity::kInfo;
};

struct BuildJob;
void deliver_build_event(Napi::Env env, Napi::Function listener, BuildJob* job, BuildEvent* event);
using BuildTsfn = Napi::TypedThreadSafeFunction<BuildJob, BuildEvent, deliver_build_event>;

// One build: shared by the JS thread, the build thread, the thread-safe function (its context)
// and the env cleanup hook.
struct BuildJob {
  explicit BuildJob(Napi::Env env) : env(env), deferred(Napi::Promise::Deferred::New(env)) {}
  // Normally joined on the JS thread (settle_build / build_env_cleanup); never terminate().
  ~BuildJob() {
    if (thread.joinable()) thread.detach();
  }
  BuildJob(const BuildJob&) = delete;
  BuildJob& operator=(const BuildJob&) = delete;

  napi_env env;
  trt::Module* module = nullptr;
  trt::BuildOptions options;
  std::shared_ptr<std::atomic<bool>> cancel;
  BuildTsfn tsfn;
  std::thread thread;

  // Written by the build thread before it posts the final event.
  std::optional<trt::BuildResult> result;
  std::string error_code, error_message;
  std::mutex log_mutex;
  std::vector<trt::LogLine> log;  // every line the observer saw (kept for errors)

  // JS thread only.
  Napi::Promise::Deferred deferred;
  std::optional<Napi::Error> listener_error;  // a copy keeps its own reference
  bool listener_failed = false;
  bool settled = false;
  std::shared_ptr<BuildJob>* hook_arg = nullptr;  // set while the env cleanup hook is registered

  void post(BuildEvent* event) {
    if (tsfn.NonBlockingCall(event) != napi_ok) delete event;  // the env is going away
  }
};

// Forwards the module's progress to the JS thread. Called on the build thread and, on
// TensorRT >= 10, on TensorRT's threads (NonBlockingCall is thread-safe).
class JobObserver final : public trt::BuildObserver {
 public:
  explicit JobObserver(BuildJob& job) : job_(job) {}

  void phase_start(const std::string& phase, const std::string& parent, int steps) override {
    auto* e = new BuildEvent();
    e->kind = BuildEvent::Kind::kPhaseStart;
    e->phase = phase;
    e->parent = parent;
    e->steps = steps;
    job_.post(e);
  }

  bool step(const std::string& phase, int step, int steps) override {
    auto* e = new BuildEvent();
    e->kind = BuildEvent::Kind::kStep;
    e->phase = phase;
    e->step = step;
    e->steps = steps;
    job_.post(e);
    return !job_.cancel->load();
  }

  void phase_finish(const std::string& phase) override {
    auto* e = new BuildEvent();
    e->kind = BuildEvent::Kind::kPhaseFinish;
    e->phase = phase;
    job_.post(e);
  }

  void log(trt::LogSeverity severity, const std::string& text) override {
    {
      std::lock_guard<std::mutex> lock(job_.log_mutex);
      job_.log.push_back(trt::LogLine{severity, text});
    }
    auto* e = new BuildEvent();
    e->kind = BuildEvent::Kind::kLog;
    e->severity = severity;
    e->message = text;
    job_.post(e);
  }

  bool cancelled() override { return job_.cancel->load(); }

 private:
  BuildJob& job_;
};

void run_build(std::shared_ptr<BuildJob> job) {
  JobObserver observer(*job);
  try {
    trt::BuildResult result = job->module->build(job->options, &observer);
    if (job->cancel->load()) {
      job->error_code = "ERR_DINO_ABORTED";
      job->error_message = "the engine build was cancelled";
    } else {
      job->result.emplace(std::move(result));
    }
  } catch (...) {
    ErrorInfo e = current_exception_info(codes::kInternal, "out of host memory while building the engine");
    job->error_code = std::move(e.code);
    job->error_message = std::move(e.message);
  }
  job->post(new BuildEvent());  // kDone
  job->tsfn.Release();
}

Napi::Array log_array(Napi::Env env, const std::vector<trt::LogLine>& lines) {
  Napi::Array a = Napi::Array::New(env, lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    Napi::Object line = Napi::Object::New(env);
    line.Set("severity", trt::severity_name(lines[i].severity));
    line.Set("message", lines[i].text);
    a.Set(static_cast<uint32_t>(i), line);
  }
  return a;
}

Napi::Buffer<uint8_t> take_buffer(Napi::Env env, std::vector<uint8_t>&& bytes) {
  if (bytes.empty()) return Napi::Buffer<uint8_t>::New(env, 0);
  auto* owned = new std::vector<uint8_t>(std::move(bytes));
  return Napi::Buffer<uint8_t>::NewOrCopy(
      env, owned->data(), owned->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, owned);
}

void remove_cleanup_hook(BuildJob& job);

// On the JS thread, once the build thread has posted its last event.
void settle_build(Napi::Env env, BuildJob& job) {
  if (job.settled) return;
  job.settled = true;
  if (job.thread.joinable()) job.thread.join();  // it has finished: only Release() is left
  remove_cleanup_hook(job);
  if (job.listener_failed) {
    job.deferred.Reject(job.listener_error->Value());
    return;
  }
  if (job.result) {
    trt::BuildResult& r = *job.result;
    Napi::Object o = Napi::Object::New(env);
    o.Set("plan", take_buffer(env, std::move(r.plan)));
    o.Set("timingCache", take_buffer(env, std::move(r.timing_cache)));
    o.Set("precision", trt::precision_name(r.precision));
    o.Set("inputName", r.input_name);
    o.Set("pinnedLayers", Napi::Number::New(env, r.pinned_layers));
    o.Set("log", log_array(env, r.log));
    job.result.reset();
    job.deferred.Resolve(o);
    return;
  }
  Napi::Error error = coded_error(env, job.error_code.empty() ? codes::kInternal : job.error_code, job.error_message);
  std::vector<trt::LogLine> lines;
  {
    std::lock_guard<std::mutex> lock(job.log_mutex);
    lines.swap(job.log);
  }
  if (!lines.empty()) error.Set("log", log_array(env, lines));
  job.deferred.Reject(error.Value());
}

void deliver_event(Napi::Env env, Napi::Function listener, BuildJob* job, BuildEvent* event);

void deliver_build_event(Napi::Env env, Napi::Function listener, BuildJob* job, BuildEvent* raw) {
  std::unique_ptr<BuildEvent> event(raw);
  if (static_cast<napi_env>(env) == nullptr || job == nullptr || event == nullptr) return;  // env torn down
  try {
    Napi::HandleScope scope(env);
    if (event->kind == BuildEvent::Kind::kDone) {
      settle_build(env, *job);
    } else {
      deliver_event(env, listener, job, event.get());
    }
  } catch (const Napi::Error&) {
    // N-API refuses to run JavaScript while the env is being torn down (worker terminate,
    // process exit): there is nobody left to tell, and rethrowing here would abort the process.
    job->cancel->store(true);
  }
}

void deliver_event(Napi::Env env, Napi::Function listener, BuildJob* job, BuildEvent* event) {
  if (job->listener_failed || listener.IsEmpty()) return;
  Napi::Object o = Napi::Object::New(env);
  switch (event->kind) {
    case BuildEvent::Kind::kPhaseStart:
      o.Set("type", "phase-start");
      o.Set("phase", event->phase);
      if (!event->parent.empty()) o.Set("parent", event->parent);
      o.Set("steps", Napi::Number::New(env, event->steps));
      break;
    case BuildEvent::Kind::kStep:
      o.Set("type", "step");
      o.Set("phase", event->phase);
      o.Set("step", Napi::Number::New(env, event->step));
      o.Set("steps", Napi::Number::New(env, event->steps));
      break;
    case BuildEvent::Kind::kPhaseFinish:
      o.Set("type", "phase-finish");
      o.Set("phase", event->phase);
      break;
    case BuildEvent::Kind::kLog:
      o.Set("type", "log");
      o.Set("severity", trt::severity_name(event->severity));
      o.Set("message", event->message);
      break;
    case BuildEvent::Kind::kDone:
      break;
  }
  try {
    listener.Call({o});
  } catch (const Napi::Error& e) {
    // A throwing listener cancels the build; the promise rejects with its exception.
    job->listener_failed = true;
    job->listener_error.emplace(e);
    job->cancel->store(true);
  }
}

// Env teardown (process exit, worker termination) while a build runs: cancel it and wait for the
// thread, so that no thread runs the module's code after the env is gone. On TensorRT 8.x this
// waits for the build to finish (it cannot be interrupted).
void build_env_cleanup(void* arg) {
  auto* holder = static_cast<std::shared_ptr<BuildJob>*>(arg);
  BuildJob& job = **holder;
  job.hook_arg = nullptr;
  job.cancel->store(true);
  if (job.thread.joinable()) job.thread.join();
  delete holder;
}

void remove_cleanup_hook(BuildJob& job) {
  if (job.hook_arg == nullptr) return;
  napi_remove_env_cleanup_hook(job.env, build_env_cleanup, job.hook_arg);
  delete job.hook_arg;
  job.hook_arg = nullptr;
}

trt::BuildOptions build_options(const Napi::Value& path, const Napi::Value& value) {
  Napi::Env env = value.Env();
  trt::BuildOptions o;
  if (!path.IsString()) throw_invalid(env, "onnxPath must be a string");
  o.onnx_path = path.As<Napi::String>().Utf8Value();
  if (o.onnx_path.empty()) throw_invalid(env, "onnxPath must not be empty");
  if (!value.IsObject()) throw_invalid(env, "options must be an object");
  Napi::Object opts = value.As<Napi::Object>();

  const Napi::Value precision = opts.Get("precision");
  const std::string p = precision.IsString() ? precision.As<Napi::String>().Utf8Value() : "";
  if (p == "fp32") {
    o.precision = trt::Precision::kFp32;
  } else if (p == "fp16") {
    o.precision = trt::Precision::kFp16;
  } else if (p == "bf16") {
    o.precision = trt::Precision::kBf16;  // TensorRT < 10 refuses it when building
  } else {
    throw_invalid(env, "options.precision must be 'fp32', 'fp16' or 'bf16'");
  }
  o.pin_norms_fp32 = optional_bool(opts, "pinNormsFp32", false);
  o.pin_attention_fp32 = optional_bool(opts, "pinAttentionFp32", false);
  o.min_shape = shape_value(opts.Get("minShape"), "options.minShape");
  o.opt_shape = shape_value(opts.Get("optShape"), "options.optShape");
  o.max_shape = shape_value(opts.Get("maxShape"), "options.maxShape");
  const Napi::Value input_name = opts.Get("inputName");
  if (!input_name.IsUndefined() && !input_name.IsNull()) {
    if (!input_name.IsString()) throw_invalid(env, "options.inputName must be a string");
    o.input_name = input_name.As<Napi::String>().Utf8Value();
  }
  const Napi::Value workspace = opts.Get("workspaceBytes");
  if (!workspace.IsUndefined() && !workspace.IsNull()) {
    o.workspace_bytes = static_cast<uint64_t>(int_arg(workspace, "options.workspaceBytes", 0, 9007199254740991));
  }
  const Napi::Value cache = opts.Get("timingCache");
  if (!cache.IsUndefined() && !cache.IsNull()) {
    if (!cache.IsTypedArray() || cache.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw_invalid(env, "options.timingCache must be a Buffer or Uint8Array");
    }
    Napi::Uint8Array bytes = cache.As<Napi::Uint8Array>();
    o.timing_cache.assign(bytes.Data(), bytes.Data() + bytes.ElementLength());
  }
  const Napi::Value level = opts.Get("optimizationLevel");
  if (!level.IsUndefined() && !level.IsNull()) {
    o.optimization_level = static_cast<int>(int_arg(level, "options.optimizationLevel", 0, 5));
  }
  return o;
}

Napi::Value TrtBuildEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  trt::BuildOptions options = build_options(info[0], info[1]);
  Napi::Value on_event = info[2];
  if (!on_event.IsUndefined() && !on_event.IsNull() && !on_event.IsFunction()) {
    throw_invalid(env, "onEvent must be a function");
  }
  std::shared_ptr<std::atomic<bool>> cancel = CancelToken::from(info[3]);
  trt::Module* module = module_or_throw(env);

  auto job = std::make_shared<BuildJob>(env);
  job->module = module;
  job->options = std::move(options);
  job->cancel = std::move(cancel);
  Napi::Function listener = on_event.IsFunction() ? on_event.As<Napi::Function>()
                                                  : Napi::Function::New(env, [](const Napi::CallbackInfo&) {});
  // The thread-safe function holds one reference to the job until it is finalized.
  job->tsfn = BuildTsfn::New(
      env, listener, "dinov3.trtBuildEngine", 0, 1, job.get(),
      [](Napi::Env, std::shared_ptr<BuildJob>* ref, BuildJob*) { delete ref; }, new std::shared_ptr<BuildJob>(job));
  // Registered after the thread-safe function, so it runs before the function's own cleanup.
  job->hook_arg = new std::shared_ptr<BuildJob>(job);
  napi_add_env_cleanup_hook(env, build_env_cleanup, job->hook_arg);
  Napi::Promise promise = job->deferred.Promise();
  try {
    job->thread = std::thread(run_build, job);
  } catch (const std::system_error& e) {
    remove_cleanup_hook(*job);
    job->settled = true;
    job->tsfn.Release();
    job->deferred.Reject(coded_error(env, codes::kInternal, std::string("could not start the build thread: ") + e.what()).Value());
  }
  return promise;
}

// ---- engines -----------------------------------------------------------------------------------

struct PooledContext {
  std::unique_ptr<trt::Context> context;
  std::map<std::string, cuda::DeviceBuffer> scratch;  // outputs the caller did not bind
};

// An engine and its idle execution contexts. Runs hold a shared reference, so dispose() while
// runs are in flight frees everything when the last one ends.
struct EngineHandle {
  std::unique_ptr<trt::Engine> engine;
  std::mutex mutex;
  std::vector<std::unique_ptr<PooledContext>> idle;

  std::unique_ptr<PooledContext> acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!idle.empty()) {
        std::unique_ptr<PooledContext> c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
    }
    auto c = std::make_unique<PooledContext>();
    c->context = engine->create_context();
    return c;
  }

  void release(std::unique_ptr<PooledContext> c) {
    std::lock_guard<std::mutex> lock(mutex);
    idle.push_back(std::move(c));
  }
};

struct TrtOpsData {
  Napi::FunctionReference engine_ctor;
};

std::optional<TensorDType> tensor_dtype(trt::DataType t) {
  switch (t) {
    case trt::DataType::kFloat32: return TensorDType::kFloat32;
    case trt::DataType::kFloat16: return TensorDType::kFloat16;
    case trt::DataType::kUint8: return TensorDType::kUint8;
    case trt::DataType::kInt32: return TensorDType::kInt32;
    default: return std::nullopt;
  }
}

struct RunBinding {
  std::string name;
  void* ptr = nullptr;
  std::shared_ptr<DeviceStorage> storage;  // keeps the memory alive while the run is in flight
};

class TrtEngine : public Napi::ObjectWrap<TrtEngine> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TrtEngine",
                       {InstanceAccessor<&TrtEngine::GetTensors>("tensors"),
                        InstanceAccessor<&TrtEngine::GetDeviceMemoryBytes>("deviceMemoryBytes"),
                        InstanceAccessor<&TrtEngine::GetDisposed>("disposed"),
                        InstanceMethod<&TrtEngine::OutputShapes>("outputShapes"),
                        InstanceMethod<&TrtEngine::Run>("run"),
                        InstanceMethod<&TrtEngine::Dispose>("dispose")});
  }

  explicit TrtEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrtEngine>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) {
      throw_invalid(info.Env(), "TrtEngine cannot be constructed directly; use trtLoadEngine()");
    }
    handle_ = *info[0].As<Napi::External<std::shared_ptr<EngineHandle>>>().Data();
  }

 private:
  std::shared_ptr<EngineHandle> handle(Napi::Env env) const {
    if (!handle_) throw coded_error(env, kDisposed, "the TensorRT engine was disposed");
    return handle_;
  }

  Napi::Value GetTensors(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& tensors = handle(env)->engine->tensors();
    Napi::Array out = Napi::Array::New(env, tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      const trt::TensorInfo& t = tensors[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", t.name);
      o.Set("mode", t.is_input ? "input" : "output");
      o.Set("dtype", trt::dtype_name(t.dtype));
      o.Set("shape", shape_array(env, t.shape));
      if (t.is_input && !t.min.empty()) {
        o.Set("min", shape_array(env, t.min));
        o.Set("opt", shape_array(env, t.opt));
        o.Set("max", shape_array(env, t.max));
      }
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  }

  Napi::Value GetDeviceMemoryBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(handle(info.Env())->engine->device_memory_bytes()));
  }

  Napi::Value GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !handle_); }

  Napi::Value OutputShapes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::shared_ptr<EngineHandle> h = handle(env);
    if (!info[0].IsObject()) throw_invalid(env, "inputShapes must be an object of shapes keyed by input name");
    const auto inputs = shape_record(info[0], "inputShapes");
    const auto outputs = call_with_coded_errors(env, codes::kInternal, [&] { return h->engine->output_shapes(inputs); });
    Napi::Object o = Napi::Object::New(env);
    for (const auto& kv : outputs) o.Set(kv.first, shape_array(env, kv.second));
    return o;
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::shared_ptr<EngineHandle> h = handle(env);
    if (!info[0].IsObject()) throw_invalid(env, "inputs must be an object of DeviceTensors keyed by input name");
    if (!info[1].IsObject()) throw_invalid(env, "outputs must be an object of DeviceTensors keyed by output name");
    Napi::Object inputs = info[0].As<Napi::Object>();
    Napi::Object outputs = info[1].As<Napi::Object>();
    const std::map<std::string, trt::Shape> given_shapes = shape_record(info[2], "inputShapes");
    const std::vector<trt::TensorInfo>& tensors = h->engine->tensors();

    auto find = [&](const std::string& name) -> const trt::TensorInfo* {
      for (const auto& t : tensors) {
        if (t.name == name) return &t;
      }
      return nullptr;
    };
    auto names = [&](bool want_inputs) {
      std::string s;
      for (const auto& t : tensors) {
        if (t.is_input == want_inputs) s += (s.empty() ? "" : ", ") + t.name;
      }
      return s;
    };
    auto check_keys = [&](const Napi::Object& o, bool want_inputs, const char* what) {
      Napi::Array keys = o.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        const std::string key = keys.Get(i).ToString().Utf8Value();
        const trt::TensorInfo* t = find(key);
        if (t == nullptr || t->is_input != want_inputs) {
          throw_invalid(env, std::string(what) + " has '" + key + "', which is not an engine " + (want_inputs ? "input" : "output") +
                                 "; the engine's " + (want_inputs ? "inputs" : "outputs") + ": " + names(want_inputs));
        }
      }
    };
    check_keys(inputs, true, "inputs");
    check_keys(outputs, false, "outputs");
    for (const auto& kv : given_shapes) {
      const trt::TensorInfo* t = find(kv.first);
      if (t == nullptr || !t->is_input) throw_invalid(env, "inputShapes has '" + kv.first + "', which is not an engine input");
    }

    std::vector<RunBinding> bindings;
    std::map<std::string, trt::Shape> input_shapes;
    std::vector<std::pair<DeviceTensor*, const trt::TensorInfo*>> bound;
    for (const auto& t : tensors) {
      Napi::Object from = t.is_input ? inputs : outputs;
      if (!from.Has(t.name) || from.Get(t.name).IsUndefined()) {
        if (t.is_input) throw_invalid(env, "inputs is missing the engine input '" + t.name + "'");
        continue;  // an output the caller does not want: scratch memory
      }
      DeviceTensor* dt = DeviceTensor::From(from.Get(t.name), t.name.c_str());
      const std::optional<TensorDType> want = tensor_dtype(t.dtype);
      if (!want || *want != dt->dtype()) {
        throw_invalid(env, "tensor '" + t.name + "' is " + dtype_name(dt->dtype()) + " but the engine's is " +
                               trt::dtype_name(t.dtype));
      }
      if (t.is_input) {
        auto it = given_shapes.find(t.name);
        input_shapes[t.name] = it != given_shapes.end() ? it->second : trt::Shape(dt->shape().begin(), dt->shape().end());
      }
      bound.emplace_back(dt, &t);
      bindings.push_back(RunBinding{t.name, dt->storage()->ptr, dt->storage()});
    }
    // Validates the input shapes against the profile and gives the outputs' shapes.
    const auto output_shapes = call_with_coded_errors(env, codes::kInternal, [&] { return h->engine->output_shapes(input_shapes); });
    for (const auto& [dt, t] : bound) {
      const trt::Shape& shape = t->is_input ? input_shapes.at(t->name) : output_shapes.at(t->name);
      const int64_t need = element_count(shape) * static_cast<int64_t>(trt::dtype_bytes(t->dtype));
      const size_t have = dt->storage()->bytes;
      if (need < 0 || static_cast<uint64_t>(need) > have) {
        throw coded_error(env, codes::kShapeMismatch,
                          std::string(t->is_input ? "input" : "output") + " tensor '" + t->name + "' holds " +
                              std::to_string(have) + " bytes but shape " + shape_text(shape) + " needs " +
                              std::to_string(need));
      }
      if (reinterpret_cast<uintptr_t>(dt->storage()->ptr) % 256 != 0) {
        throw_invalid(env, "tensor '" + t->name + "' must be 256-byte aligned for TensorRT");
      }
    }

    return PromiseWorker<bool>::Start(
        env, "dinov3.trtRun",
        [h, bindings = std::move(bindings), input_shapes = std::move(input_shapes)] {
          std::unique_ptr<PooledContext> pc = h->acquire();
          trt::Context& ctx = *pc->context;
          for (const auto& kv : input_shapes) ctx.set_input_shape(kv.first, kv.second);
          std::map<std::string, bool> is_bound;
          for (const auto& b : bindings) {
            ctx.set_tensor_address(b.name, b.ptr);
            is_bound[b.name] = true;
          }
          for (const auto& t : h->engine->tensors()) {
            if (t.is_input || is_bound.count(t.name) != 0) continue;
            const int64_t bytes = element_count(ctx.tensor_shape(t.name)) * static_cast<int64_t>(trt::dtype_bytes(t.dtype));
            if (bytes <= 0) fail(codes::kInvalidArgument, "output '" + t.name + "' must be bound (its size is not known)");
            cuda::DeviceBuffer& scratch = pc->scratch[t.name];
            if (scratch.bytes() < static_cast<size_t>(bytes)) scratch = cuda::DeviceBuffer(static_cast<size_t>(bytes));
            ctx.set_tensor_address(t.name, scratch.data());
          }
          cuda::Stream stream = worker_stream();
          ctx.enqueue(stream);
          cuda::synchronize(stream);
          // Only a context whose run succeeded goes back to the pool.
          h->release(std::move(pc));
          return true;
        },
        [](Napi::Env e, bool&, const Napi::Array&) { return e.Undefined(); });
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    handle_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<EngineHandle> handle_;
};

Napi::Value TrtLoadEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* data = static_cast<TrtOpsData*>(info.Data());
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw_invalid(env, "plan must be a Buffer or Uint8Array");
  }
  Napi::Uint8Array plan = info[0].As<Napi::Uint8Array>();
  trt::Module* module = module_or_throw(env);
  const uint8_t* bytes = plan.Data();
  const size_t length = plan.ElementLength();
  return PromiseWorker<std::shared_ptr<EngineHandle>>::Start(
      env, "dinov3.trtLoadEngine",
      [module, bytes, length] {
        auto h = std::make_shared<EngineHandle>();
        h->engine = module->deserialize(bytes, length);
        return h;
      },
      [data](Napi::Env e, std::shared_ptr<EngineHandle>& h, const Napi::Array&) -> Napi::Value {
        return data->engine_ctor.New({Napi::External<std::shared_ptr<EngineHandle>>::New(e, &h)});
      },
      {plan});  // the plan's bytes are read on the worker thread
}

void delete_ops_data(void* arg) { delete static_cast<TrtOpsData*>(arg); }

}  // namespace

void register_tensorrt_ops(Napi::Env env, Napi::Object exports) {
  auto* data = new TrtOpsData();
  data->engine_ctor = Napi::Persistent(TrtEngine::Define(env));
  napi_add_env_cleanup_hook(env, delete_ops_data, data);
  exports.Set("trtInfo", Napi::Function::New<TrtInfo>(env, "trtInfo"));
  exports.Set("trtBuildEngine", Napi::Function::New<TrtBuildEngine>(env, "trtBuildEngine"));
  exports.Set("trtLoadEngine", Napi::Function::New(env, TrtLoadEngine, "trtLoadEngine", data));
}

}  // namespace dinov3::addon
