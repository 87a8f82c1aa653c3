// The TensorRT module's interface: plain C++17, no TensorRT and no CUDA headers.
//
// The TensorRT code is built into its own shared library, dinov3_tensorrt.so, which links
// libnvinfer and libnvonnxparser. The addon (built without TensorRT headers) includes only this
// file and loads the module at run time through native/addon/plugin_loader.h, so the addon still
// loads on machines without TensorRT and can say why the backend is missing.
//
// Entry points exported by the module (the only symbols it exports):
//   extern "C" dinov3::trt::Module* dinov3_tensorrt_module_v1(uint32_t abi);
//       the process-wide module, or nullptr when `abi` != kTrtModuleAbi (a module from another
//       build of the package). The module is never destroyed.
//   extern "C" const char* dinov3_plugin_version();   e.g. "TensorRT 10.3.0"
//
// Both sides must be compiled by the same compiler and standard library (they are built
// together by one CMake run): the interface passes std::string / std::vector / unique_ptr, and
// errors cross it as C++ exceptions (dinov3::Error from native/core/error.h, with the codes
// below).
//
// Threads: build() runs on the caller's thread (minutes; never call it on the event loop).
// Engine and Context are safe to use from any thread, but one Context must not be used by two
// threads at once (TensorRT's rule for IExecutionContext).
//
// Bump kTrtModuleAbi whenever anything in this file changes layout or meaning.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dinov3::trt {

inline constexpr uint32_t kTrtModuleAbi = 1;

// Exported symbol names (native/addon/plugins.h spells the same names for the loader).
inline constexpr const char* kModuleEntrySymbol = "dinov3_tensorrt_module_v1";
inline constexpr const char* kVersionSymbol = "dinov3_plugin_version";

// Error codes this module throws (dinov3::Error::code()); lib/errors.ts lists them all.
namespace codes {
inline constexpr const char* kTensorRtUnavailable = "ERR_DINO_TENSORRT_UNAVAILABLE";
inline constexpr const char* kEngineBuild = "ERR_DINO_ENGINE_BUILD";
inline constexpr const char* kEngineCorrupt = "ERR_DINO_ENGINE_CORRUPT";
inline constexpr const char* kUnsupportedOp = "ERR_DINO_UNSUPPORTED_OP";
inline constexpr const char* kAborted = "ERR_DINO_ABORTED";
inline constexpr const char* kShapeMismatch = "ERR_DINO_SHAPE_MISMATCH";
inline constexpr const char* kInvalidArgument = "ERR_DINO_INVALID_ARGUMENT";
inline constexpr const char* kInvalidModel = "ERR_DINO_INVALID_MODEL";
inline constexpr const char* kFileNotFound = "ERR_DINO_FILE_NOT_FOUND";
inline constexpr const char* kBackend = "ERR_DINO_BACKEND";
}  // namespace codes

// A tensor shape. -1 marks a dimension that is dynamic in the engine.
using Shape = std::vector<int64_t>;

// kBf16: TensorRT >= 10 only (BuilderFlag::kBF16); older releases refuse it with ERR_DINO_ENGINE_BUILD.
enum class Precision : int { kFp32 = 0, kFp16 = 1, kBf16 = 2 };

// Same order and meaning as TensorRT's ILogger::Severity.
enum class LogSeverity : int { kInternalError = 0, kError = 1, kWarning = 2, kInfo = 3, kVerbose = 4 };

enum class DataType : int {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt8 = 2,
  kInt32 = 3,
  kBool = 4,
  kUint8 = 5,
  kFp8 = 6,
  kBFloat16 = 7,
  kInt64 = 8,
  kInt4 = 9,
  kOther = 10,  // a type this build does not know (newer TensorRT)
};

inline const char* precision_name(Precision p) {
  return p == Precision::kFp16 ? "fp16" : p == Precision::kBf16 ? "bf16" : "fp32";
}

inline const char* severity_name(LogSeverity s) {
  switch (s) {
    case LogSeverity::kInternalError: return "internal-error";
    case LogSeverity::kError: return "error";
    case LogSeverity::kWarning: return "warning";
    case LogSeverity::kInfo: return "info";
    case LogSeverity::kVerbose: return "verbose";
  }
  return "info";
}

// The names match the DeviceTensor dtypes of the addon where they overlap.
inline const char* dtype_name(DataType t) {
  switch (t) {
    case DataType::kFloat32: return "float32";
    case DataType::kFloat16: return "float16";
    case DataType::kInt8: return "int8";
    case DataType::kInt32: return "int32";
    case DataType::kBool: return "bool";
    case DataType::kUint8: return "uint8";
    case DataType::kFp8: return "fp8";
    case DataType::kBFloat16: return "bfloat16";
    case DataType::kInt64: return "int64";
    case DataType::kInt4: return "int4";
    case DataType::kOther: return "unknown";
  }
  return "unknown";
}

// Bytes per element; 0 for sub-byte and unknown types.
inline size_t dtype_bytes(DataType t) {
  switch (t) {
    case DataType::kFloat32:
    case DataType::kInt32:
      return 4;
    case DataType::kFloat16:
    case DataType::kBFloat16:
      return 2;
    case DataType::kInt8:
    case DataType::kBool:
    case DataType::kUint8:
    case DataType::kFp8:
      return 1;
    case DataType::kInt64:
      return 8;
    case DataType::kInt4:
    case DataType::kOther:
      return 0;
  }
  return 0;
}

struct LogLine {
  LogSeverity severity = LogSeverity::kInfo;
  std::string text;
};

struct VersionInfo {
  // NV_TENSORRT_MAJOR/MINOR/PATCH of the headers the module was compiled against.
  int compiled_major = 0, compiled_minor = 0, compiled_patch = 0;
  // getInferLibVersion() of the libnvinfer actually loaded.
  int runtime_major = 0, runtime_minor = 0, runtime_patch = 0;

  static std::string format(int major, int minor, int patch) {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  }
  std::string compiled() const { return format(compiled_major, compiled_minor, compiled_patch); }
  std::string runtime() const { return format(runtime_major, runtime_minor, runtime_patch); }
};

struct BuildOptions {
  std::string onnx_path;
  Precision precision = Precision::kFp32;
  // fp16 builds on TensorRT < 11: keep Softmax and LayerNorm (the ONNX LayerNormalization op,
  // and the ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div chain an opset-16 export decomposes it
  // into) in fp32, with kOBEY_PRECISION_CONSTRAINTS. Ignored for fp32/bf16 builds and on
  // TensorRT 11 (strongly typed: the ONNX's own dtypes decide).
  bool pin_norms_fp32 = false;
  // With pin_norms_fp32: also pin the attention MatMuls (Q·Kᵀ before each Softmax, with the
  // scale/mask layers between, and the MatMul that applies the Softmax to V): DINOv3's attention
  // logits overflow fp16.
  bool pin_attention_fp32 = false;
  // Name of the image input; empty: the network's only input, or "pixel_values" among several.
  std::string input_name;
  // Optimization profile of the image input, each (N, 3, H, W). min <= opt <= max per dimension;
  // kernels are tuned for opt. Dimensions the ONNX fixes must be given with that value.
  Shape min_shape, opt_shape, max_shape;
  // Builder workspace limit (MemoryPoolType::kWORKSPACE); 0 = TensorRT's default (all device
  // memory, which on Jetson's shared RAM is worth limiting).
  uint64_t workspace_bytes = 0;
  // A timing cache from an earlier build (same TensorRT version and GPU); empty = start fresh.
  // A cache that does not match is ignored with a warning in the log.
  std::vector<uint8_t> timing_cache;
  // Builder optimization level 0..5 (TensorRT >= 8.6; default 3). -1 = TensorRT's default.
  // Ignored with a log line on 8.5.
  int optimization_level = -1;
};

struct BuildResult {
  std::vector<uint8_t> plan;          // the serialized engine
  std::vector<uint8_t> timing_cache;  // the timing cache after this build (to pass to the next)
  Precision precision = Precision::kFp32;  // what was built
  std::string input_name;             // the input the profile was set on
  int pinned_layers = 0;              // layers pinned to fp32 by pin_norms_fp32 (attention included)
  // TensorRT's messages of this build only (info and more severe), in order.
  std::vector<LogLine> log;
};

// Receives a build's progress. TensorRT >= 10 reports phases through IProgressMonitor (names
// such as "Building engine", nested through `parent`, with a step count); on 8.x the module
// derives coarse phases from the builder's log ("Parsing ONNX", "Building engine" >
// "Optimizing graph", "Selecting tactics", "Generating engine") with `steps` 0 (unknown).
// Methods may be called from TensorRT's threads: implementations must be thread-safe and quick.
class BuildObserver {
 public:
  virtual ~BuildObserver() = default;
  // parent: empty for a top-level phase. steps: number of steps, 0 when unknown.
  virtual void phase_start(const std::string& phase, const std::string& parent, int steps) = 0;
  // A step of `phase` finished (0-based). Return false to cancel the build: TensorRT >= 10 stops
  // at once; on 8.x the build runs to its end and its result is discarded (ERR_DINO_ABORTED).
  virtual bool step(const std::string& phase, int step, int steps) = 0;
  virtual void phase_finish(const std::string& phase) = 0;
  // One TensorRT message of this build (info and more severe; verbose messages are not sent).
  virtual void log(LogSeverity severity, const std::string& text) = 0;
  // Polled between phases (and at every step): true cancels like step() returning false.
  virtual bool cancelled() = 0;
};

struct TensorInfo {
  std::string name;
  bool is_input = false;
  DataType dtype = DataType::kFloat32;
  Shape shape;                 // as built; -1 where dynamic
  Shape min, opt, max;         // inputs: optimization profile 0; empty for outputs
};

// One execution context: the state of one inference in flight. Create one per concurrent stream.
class Context {
 public:
  virtual ~Context() = default;
  // Throws ERR_DINO_SHAPE_MISMATCH naming the dimensions outside the profile and what it allows.
  virtual void set_input_shape(const std::string& name, const Shape& shape) = 0;
  // The shape of any IO tensor given the input shapes set so far (outputs resolved).
  virtual Shape tensor_shape(const std::string& name) const = 0;
  // Device address of an IO tensor; must be 256-byte aligned (ERR_DINO_INVALID_ARGUMENT).
  virtual void set_tensor_address(const std::string& name, void* device_ptr) = 0;
  // enqueueV3 on `stream` (a cudaStream_t; nullptr = legacy default stream). Does not wait.
  // Throws ERR_DINO_INVALID_ARGUMENT when an input shape or a tensor address is missing,
  // ERR_DINO_BACKEND (with TensorRT's messages) when TensorRT refuses.
  virtual void enqueue(void* stream) = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const std::vector<TensorInfo>& tensors() const = 0;
  // Activation memory each execution context allocates.
  virtual int64_t device_memory_bytes() const = 0;
  // Output shapes for the given input shapes (every input must be given). Validates like
  // Context::set_input_shape; allocates no device memory.
  virtual std::map<std::string, Shape> output_shapes(const std::map<std::string, Shape>& inputs) = 0;
  // Throws ERR_DINO_BACKEND (with TensorRT's messages) when TensorRT cannot create it, e.g. out
  // of device memory.
  virtual std::unique_ptr<Context> create_context() = 0;
};

class Module {
 public:
  virtual uint32_t abi() const = 0;
  virtual VersionInfo version() const = 0;
  // Parses the ONNX and builds a serialized engine. Throws ERR_DINO_FILE_NOT_FOUND,
  // ERR_DINO_INVALID_MODEL, ERR_DINO_UNSUPPORTED_OP (e.g. LayerNormalization on 8.5, the RoPE
  // If node on 10.x), ERR_DINO_SHAPE_MISMATCH (profile vs ONNX), ERR_DINO_INVALID_ARGUMENT,
  // ERR_DINO_ENGINE_BUILD, ERR_DINO_ABORTED. `observer` may be nullptr.
  virtual BuildResult build(const BuildOptions& options, BuildObserver* observer) = 0;
  // Throws ERR_DINO_ENGINE_CORRUPT when the plan cannot be deserialized (truncated, another
  // TensorRT version, another GPU), with TensorRT's own explanation.
  virtual std::unique_ptr<Engine> deserialize(const void* plan, size_t bytes) = 0;

 protected:
  virtual ~Module() = default;  // the module object lives as long as the process; never delete it
};

// Signature of the module's entry point (dlsym'd by the addon).
using ModuleEntryFn = Module* (*)(uint32_t abi);
using VersionFn = const char* (*)();

}  // namespace dinov3::trt
