// Serialized engine -> Engine / Context: deserialize with a clear error, describe the IO
// tensors, validate shapes against the profile, enqueueV3. Name-based tensor API only.
#include "trt_headers.h"

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "logger.h"
#include "trt_internal.h"

namespace dinov3::trt {
namespace {

// The TensorRT objects behind an Engine, shared with its contexts so that a context can outlive
// the Engine handle. Members are destroyed in reverse order: contexts, engine, then runtime.
struct EngineState {
  Ptr<nvinfer1::IRuntime> runtime;
  Ptr<nvinfer1::ICudaEngine> engine;
  std::vector<TensorInfo> tensors;
  int64_t device_memory = 0;
  std::mutex shape_mutex;
  Ptr<nvinfer1::IExecutionContext> shape_context;  // no device memory; for output_shapes()

  const TensorInfo* find(const std::string& name) const {
    for (const auto& t : tensors) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  const TensorInfo& require(const std::string& name) const {
    if (const TensorInfo* t = find(name)) return *t;
    std::string names;
    for (const auto& t : tensors) names += (names.empty() ? "" : ", ") + t.name;
    fail(codes::kInvalidArgument, "the engine has no tensor named '" + name + "'; its tensors: " + names);
  }
};

constexpr const char* kDimNames[4] = {"batch", "channels", "height", "width"};

std::string dim_label(const Shape& shape, size_t i) {
  std::string label = "dim " + std::to_string(i);
  if (shape.size() == 4) label += std::string(" (") + kDimNames[i] + ")";
  return label;
}

// Input shape vs the engine's optimization profile, with a message naming every bad dimension.
void validate_input_shape(const TensorInfo& t, const Shape& shape) {
  if (!t.is_input) fail(codes::kInvalidArgument, "'" + t.name + "' is an output; only inputs take a shape");
  if (shape.size() != t.shape.size()) {
    fail(codes::kShapeMismatch, "input '" + t.name + "' must have " + std::to_string(t.shape.size()) + " dimensions " +
                                    shape_string(t.shape) + "; got " + shape_string(shape));
  }
  std::string problems;
  for (size_t i = 0; i < shape.size(); ++i) {
    const int64_t lo = t.min.size() == shape.size() ? t.min[i] : t.shape[i];
    const int64_t hi = t.max.size() == shape.size() ? t.max[i] : t.shape[i];
    const bool fixed = t.shape[i] >= 0;
    const bool ok = fixed ? shape[i] == t.shape[i] : (shape[i] >= lo && shape[i] <= hi);
    if (ok) continue;
    if (!problems.empty()) problems += "; ";
    problems += dim_label(shape, i) + " is " + std::to_string(shape[i]) + " but the engine " +
                (fixed ? "fixes it to " + std::to_string(t.shape[i]) : "allows " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  if (!problems.empty()) {
    fail(codes::kShapeMismatch, "input '" + t.name + "' shape " + shape_string(shape) +
                                    " is outside the engine's optimization profile (min " + shape_string(t.min) + ", max " +
                                    shape_string(t.max) + "): " + problems +
                                    ". Build an engine whose profile covers this size.");
  }
}

Ptr<nvinfer1::IExecutionContext> new_context(nvinfer1::ICudaEngine& engine, bool with_memory) {
#if DINOV3_TRT_10
  return Ptr<nvinfer1::IExecutionContext>(engine.createExecutionContext(
      with_memory ? nvinfer1::ExecutionContextAllocationStrategy::kSTATIC
                  : nvinfer1::ExecutionContextAllocationStrategy::kUSER_MANAGED));
#else
  return Ptr<nvinfer1::IExecutionContext>(with_memory ? engine.createExecutionContext()
                                                      : engine.createExecutionContextWithoutDeviceMemory());
#endif
}

class ContextImpl final : public Context {
 public:
  ContextImpl(std::shared_ptr<EngineState> state, Ptr<nvinfer1::IExecutionContext> context)
      : state_(std::move(state)), context_(std::move(context)) {}

  void set_input_shape(const std::string& name, const Shape& shape) override {
    const TensorInfo& t = state_->require(name);
    validate_input_shape(t, shape);
    LogCapture capture;
    ScopedLogSink sink(&capture);
    if (!context_->setInputShape(name.c_str(), to_dims(shape))) {
      fail(codes::kShapeMismatch, "TensorRT rejected shape " + shape_string(shape) + " for input '" + name + "'\n" +
                                      capture.errors());
    }
    shapes_set_.insert(name);
  }

  Shape tensor_shape(const std::string& name) const override {
    state_->require(name);
    return to_shape(context_->getTensorShape(name.c_str()));
  }

  void set_tensor_address(const std::string& name, void* device_ptr) override {
    state_->require(name);
    if (device_ptr == nullptr || reinterpret_cast<uintptr_t>(device_ptr) % 256 != 0) {
      fail(codes::kInvalidArgument, "the device address of tensor '" + name + "' must be non-null and 256-byte aligned");
    }
    LogCapture capture;
    ScopedLogSink sink(&capture);
    if (!context_->setTensorAddress(name.c_str(), device_ptr)) {
      fail(codes::kInvalidArgument, "TensorRT rejected the address of tensor '" + name + "'\n" + capture.errors());
    }
    addresses_set_.insert(name);
  }

  void enqueue(void* stream) override {
    std::string missing;
    for (const auto& t : state_->tensors) {
      if (t.is_input && shapes_set_.count(t.name) == 0) missing += " shape of input '" + t.name + "';";
      if (addresses_set_.count(t.name) == 0) missing += " address of '" + t.name + "';";
    }
    if (!missing.empty()) fail(codes::kInvalidArgument, "cannot run the engine; missing:" + missing);
    LogCapture capture;
    ScopedLogSink sink(&capture);
    if (!context_->enqueueV3(static_cast<cudaStream_t>(stream))) {
      const std::string errors = capture.errors();
      fail(codes::kBackend, "TensorRT could not enqueue the engine" + (errors.empty() ? std::string() : ":\n" + errors));
    }
  }

 private:
  std::shared_ptr<EngineState> state_;
  Ptr<nvinfer1::IExecutionContext> context_;
  std::set<std::string> shapes_set_;
  std::set<std::string> addresses_set_;
};

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(std::shared_ptr<EngineState> state) : state_(std::move(state)) {}

  const std::vector<TensorInfo>& tensors() const override { return state_->tensors; }
  int64_t device_memory_bytes() const override { return state_->device_memory; }

  std::map<std::string, Shape> output_shapes(const std::map<std::string, Shape>& inputs) override {
    for (const auto& kv : inputs) validate_input_shape(state_->require(kv.first), kv.second);
    for (const auto& t : state_->tensors) {
      if (t.is_input && inputs.count(t.name) == 0) fail(codes::kInvalidArgument, "the shape of input '" + t.name + "' is missing");
    }
    std::lock_guard<std::mutex> lock(state_->shape_mutex);
    LogCapture capture;
    ScopedLogSink sink(&capture);
    if (!state_->shape_context) {
      state_->shape_context = new_context(*state_->engine, false);
      if (!state_->shape_context) fail(codes::kBackend, "TensorRT could not create an execution context\n" + capture.errors());
    }
    nvinfer1::IExecutionContext& ctx = *state_->shape_context;
    for (const auto& kv : inputs) {
      if (!ctx.setInputShape(kv.first.c_str(), to_dims(kv.second))) {
        fail(codes::kShapeMismatch, "TensorRT rejected shape " + shape_string(kv.second) + " for input '" + kv.first + "'\n" +
                                        capture.errors());
      }
    }
    std::map<std::string, Shape> out;
    for (const auto& t : state_->tensors) {
      if (!t.is_input) out[t.name] = to_shape(ctx.getTensorShape(t.name.c_str()));
    }
    return out;
  }

  std::unique_ptr<Context> create_context() override {
    LogCapture capture;
    ScopedLogSink sink(&capture);
    Ptr<nvinfer1::IExecutionContext> ctx = new_context(*state_->engine, true);
    if (!ctx) {
      fail(codes::kBackend, "TensorRT could not create an execution context (needs " + std::to_string(state_->device_memory) +
                                " bytes of device memory)\n" + capture.errors());
    }
    return std::make_unique<ContextImpl>(state_, std::move(ctx));
  }

 private:
  std::shared_ptr<EngineState> state_;
};

std::vector<TensorInfo> describe_tensors(const nvinfer1::ICudaEngine& engine) {
  std::vector<TensorInfo> out;
  const int32_t n = engine.getNbIOTensors();
  for (int32_t i = 0; i < n; ++i) {
    TensorInfo t;
    const char* name = engine.getIOTensorName(i);
    t.name = name;
    t.is_input = engine.getTensorIOMode(name) == nvinfer1::TensorIOMode::kINPUT;
    t.dtype = from_trt(engine.getTensorDataType(name));
    t.shape = to_shape(engine.getTensorShape(name));
    if (t.is_input && engine.getNbOptimizationProfiles() > 0) {
      t.min = to_shape(engine.getProfileShape(name, 0, nvinfer1::OptProfileSelector::kMIN));
      t.opt = to_shape(engine.getProfileShape(name, 0, nvinfer1::OptProfileSelector::kOPT));
      t.max = to_shape(engine.getProfileShape(name, 0, nvinfer1::OptProfileSelector::kMAX));
      // A fully static input has no meaningful profile; report its own shape.
      if (t.min.empty()) t.min = t.opt = t.max = t.shape;
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

std::unique_ptr<Engine> deserialize_engine(const void* plan, size_t bytes) {
  if (plan == nullptr || bytes == 0) fail(codes::kEngineCorrupt, "the engine plan is empty");
  LogCapture capture;
  ScopedLogSink sink(&capture);
  auto state = std::make_shared<EngineState>();
  state->runtime.reset(nvinfer1::createInferRuntime(trt_logger()));
  if (!state->runtime) {
    fail(codes::kTensorRtUnavailable,
         "TensorRT could not create a runtime (is a CUDA device available?)\n" + capture.errors());
  }
  state->engine.reset(state->runtime->deserializeCudaEngine(plan, bytes));
  if (!state->engine) {
    const std::string errors = capture.errors();
    fail(codes::kEngineCorrupt,
         "the engine plan (" + std::to_string(bytes) + " bytes) could not be deserialized by TensorRT " +
             std::to_string(NV_TENSORRT_MAJOR) + "." + std::to_string(NV_TENSORRT_MINOR) + "." +
             std::to_string(NV_TENSORRT_PATCH) +
             ": it is truncated or corrupt, or was built by another TensorRT version or for another GPU. Rebuild it." +
             (errors.empty() ? std::string() : "\nTensorRT said:\n" + errors));
  }
  state->tensors = describe_tensors(*state->engine);
#if DINOV3_TRT_101
  state->device_memory = state->engine->getDeviceMemorySizeV2();
#else
  state->device_memory = static_cast<int64_t>(state->engine->getDeviceMemorySize());
#endif
  return std::make_unique<EngineImpl>(std::move(state));
}

}  // namespace dinov3::trt
