// ONNX -> serialized engine: parse, choose the input and its profile, precision, workspace,
// timing cache, progress, build. One code path for TensorRT 8.5 to 11; the guards mark where
// the API really differs.
#include "trt_headers.h"

#include <cstring>
#include <string>

#include "logger.h"
#include "network_precision.h"
#include "onnx_parse.h"
#include "progress.h"
#include "trt_internal.h"

namespace dinov3::trt {
namespace {

constexpr const char* kParsePhase = "Parsing ONNX";
constexpr const char* kDimNames[4] = {"batch", "channels", "height", "width"};

std::string trt_version() {
  return std::to_string(NV_TENSORRT_MAJOR) + "." + std::to_string(NV_TENSORRT_MINOR) + "." +
         std::to_string(NV_TENSORRT_PATCH);
}

// A message of our own in this build's log (and to the observer), next to TensorRT's.
void note(LogCapture& log, LogSeverity severity, const std::string& text) {
  log.on_message(severity, ("dinov3: " + text).c_str());
}

void check_profile_shape(const char* which, const Shape& s) {
  if (s.size() != 4) {
    fail(codes::kInvalidArgument, std::string(which) + " must have 4 dimensions (N, 3, H, W); got " + shape_string(s));
  }
  for (int64_t v : s) {
    if (v <= 0) fail(codes::kInvalidArgument, std::string(which) + " must be positive; got " + shape_string(s));
  }
}

void validate_options(const BuildOptions& o) {
  if (o.onnx_path.empty()) fail(codes::kInvalidArgument, "onnxPath must not be empty");
  check_profile_shape("minShape", o.min_shape);
  check_profile_shape("optShape", o.opt_shape);
  check_profile_shape("maxShape", o.max_shape);
  for (size_t i = 0; i < 4; ++i) {
    if (!(o.min_shape[i] <= o.opt_shape[i] && o.opt_shape[i] <= o.max_shape[i])) {
      fail(codes::kInvalidArgument, std::string("the shape profile needs min <= opt <= max in every dimension; ") +
                                        kDimNames[i] + " is " + std::to_string(o.min_shape[i]) + " / " +
                                        std::to_string(o.opt_shape[i]) + " / " + std::to_string(o.max_shape[i]));
    }
  }
  if (o.optimization_level < -1 || o.optimization_level > 5) {
    fail(codes::kInvalidArgument, "optimizationLevel must be 0..5; got " + std::to_string(o.optimization_level));
  }
}

std::string input_names(nvinfer1::INetworkDefinition& network) {
  std::string names;
  for (int32_t i = 0; i < network.getNbInputs(); ++i) {
    if (!names.empty()) names += ", ";
    names += network.getInput(i)->getName();
  }
  return names;
}

nvinfer1::ITensor* select_input(nvinfer1::INetworkDefinition& network, const std::string& wanted) {
  const int32_t n = network.getNbInputs();
  if (n == 0) fail(codes::kInvalidModel, "the ONNX model has no inputs");
  for (int32_t i = 0; i < n; ++i) {
    nvinfer1::ITensor* t = network.getInput(i);
    if (!wanted.empty() && wanted == t->getName()) return t;
  }
  if (!wanted.empty()) {
    fail(codes::kInvalidArgument, "the ONNX model has no input named '" + wanted + "'; its inputs: " + input_names(network));
  }
  if (n == 1) return network.getInput(0);
  for (int32_t i = 0; i < n; ++i) {
    if (std::strcmp(network.getInput(i)->getName(), "pixel_values") == 0) return network.getInput(i);
  }
  fail(codes::kInvalidArgument, "the ONNX model has " + std::to_string(n) + " inputs (" + input_names(network) +
                                    ") and none is named pixel_values; say which one is the image");
}

// The profile must fit the ONNX input: rank 4, and dimensions the ONNX fixes are given as fixed.
void check_profile_fits(const std::string& name, const Shape& net, const BuildOptions& o) {
  if (net.size() != 4) {
    fail(codes::kShapeMismatch, "the ONNX input '" + name + "' has shape " + shape_string(net) +
                                    "; an image input (N, 3, H, W) was expected");
  }
  std::string problems;
  for (size_t i = 0; i < 4; ++i) {
    if (net[i] < 0) continue;
    if (o.min_shape[i] != net[i] || o.opt_shape[i] != net[i] || o.max_shape[i] != net[i]) {
      if (!problems.empty()) problems += "; ";
      problems += std::string(kDimNames[i]) + " is fixed to " + std::to_string(net[i]) + " in the ONNX but the profile asks for " +
                  std::to_string(o.min_shape[i]) + ".." + std::to_string(o.max_shape[i]);
    }
  }
  if (!problems.empty()) {
    fail(codes::kShapeMismatch, "the shape profile does not fit the ONNX input '" + name + "' " + shape_string(net) + ": " +
                                    problems + ". Export with dynamic sizes (python tools/export-onnx.py --dynamic) or "
                                    "build for the fixed size.");
  }
}

void check_cancelled(GuardedObserver& observer) {
  if (observer.cancelled()) fail(codes::kAborted, "the engine build was cancelled");
}

// Closes the parse phase whether parsing succeeds or throws.
struct PhaseScope {
  GuardedObserver& observer;
  const char* name;
  PhaseScope(GuardedObserver& o, const char* n) : observer(o), name(n) { observer.phase_start(name, "", 0); }
  ~PhaseScope() { observer.phase_finish(name); }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;
};

std::vector<uint8_t> copy_bytes(const nvinfer1::IHostMemory* m) {
  if (m == nullptr || m->data() == nullptr) return {};
  const auto* p = static_cast<const uint8_t*>(m->data());
  return std::vector<uint8_t>(p, p + m->size());
}

}  // namespace

BuildResult build_engine(const BuildOptions& options, BuildObserver* user_observer) {
  validate_options(options);
  NullObserver null_observer;
  GuardedObserver observer(user_observer != nullptr ? user_observer : &null_observer);

#if DINOV3_TRT_10
  ProgressMonitor monitor(observer);
  LogCapture capture(observer.inner());
#else
  LogPhaseTracker tracker(observer);
  LogCapture capture(observer.inner(), LogSeverity::kInfo,
                     [&tracker](LogSeverity s, const char* text) { tracker.on_message(s, text); });
#endif
  ScopedLogSink sink(&capture);
  check_cancelled(observer);

  Ptr<nvinfer1::IBuilder> builder(nvinfer1::createInferBuilder(trt_logger()));
  if (!builder) {
    fail(codes::kTensorRtUnavailable,
         "TensorRT " + trt_version() + " could not create a builder (is a CUDA device available?)\n" + capture.errors());
  }
#if DINOV3_TRT_10
  // 10.x: always explicit batch; weakly typed so that kFP16 applies. 11: always strongly typed.
  const nvinfer1::NetworkDefinitionCreationFlags flags = 0;
#else
  // 8.x: dynamic shapes need an explicit-batch network.
  const nvinfer1::NetworkDefinitionCreationFlags flags =
      1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kEXPLICIT_BATCH);
#endif
  Ptr<nvinfer1::INetworkDefinition> network(builder->createNetworkV2(flags));
  if (!network) fail(codes::kEngineBuild, "TensorRT could not create a network definition\n" + capture.errors());
  Ptr<nvonnxparser::IParser> parser(nvonnxparser::createParser(*network, trt_logger()));
  if (!parser) fail(codes::kEngineBuild, "TensorRT could not create the ONNX parser\n" + capture.errors());

  {
    PhaseScope phase(observer, kParsePhase);
    parse_onnx(*parser, options.onnx_path, capture);
  }
  check_cancelled(observer);

  const NetworkFacts facts = inspect_network(*network);
  if (facts.conditional_layers > 0) {
    note(capture, LogSeverity::kWarning,
         "the network has " + std::to_string(facts.conditional_layers) + " conditional (If) layers. " + rope_if_advice());
  }

  BuildResult result;
  nvinfer1::ITensor* input = select_input(*network, options.input_name);
  result.input_name = input->getName();
  check_profile_fits(result.input_name, to_shape(input->getDimensions()), options);

  Ptr<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
  if (!config) fail(codes::kEngineBuild, "TensorRT could not create a builder config\n" + capture.errors());
  if (options.workspace_bytes > 0) {
    config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, static_cast<size_t>(options.workspace_bytes));
  }

  // ---- precision ----
  const bool want_fp16 = options.precision == Precision::kFp16;
  const bool want_bf16 = options.precision == Precision::kBf16;
#if DINOV3_TRT_STRONGLY_TYPED_ONLY
  // Strongly typed: the ONNX's dtypes are the engine's precision.
  if (want_bf16) {
    fail(codes::kEngineBuild, "TensorRT " + trt_version() +
                                  " builds strongly typed networks only: an engine's precision comes from the ONNX's own "
                                  "data types; build the ONNX's precision (fp32 or fp16) instead of bf16.");
  }
  if (want_fp16 && !facts.half_io) {
    fail(codes::kEngineBuild, "TensorRT " + trt_version() +
                                  " builds strongly typed networks only: an engine's precision comes from the ONNX's own "
                                  "data types, and this ONNX is fp32. Export an fp16 ONNX (python tools/export-onnx.py "
                                  "--dtype fp16 ...) to build an fp16 engine, or build fp32.");
  }
  if (!want_fp16 && facts.half_io) {
    fail(codes::kEngineBuild, "TensorRT " + trt_version() +
                                  " builds strongly typed networks only and this ONNX is fp16; build fp16, or export an "
                                  "fp32 ONNX (python tools/export-onnx.py --dtype fp32 ...) for an fp32 engine.");
  }
  if (options.pin_norms_fp32) {
    note(capture, LogSeverity::kInfo, "pinNormsFp32 has no effect on TensorRT 11 (strongly typed: the ONNX's dtypes decide)");
  }
  result.precision = options.precision;
#else
  if (want_bf16) {
#if DINOV3_TRT_BF16
    // bf16 has fp32's exponent range: DINOv3's attention logits do not overflow it, nothing is pinned.
    config->setFlag(nvinfer1::BuilderFlag::kBF16);
#else
    fail(codes::kEngineBuild, "bf16 engines need TensorRT 10 or newer; this is TensorRT " + trt_version() +
                                  " (JetPack 5/6.0): build fp16 or fp32");
#endif
  }
  if (want_fp16) {
    config->setFlag(nvinfer1::BuilderFlag::kFP16);
    if (options.pin_norms_fp32) {
      const int norms = pin_norms_fp32(*network);
      const int attention = options.pin_attention_fp32 ? pin_attention_fp32(*network) : 0;
      result.pinned_layers = norms + attention;
      // Without kOBEY_PRECISION_CONSTRAINTS the pins are only hints TensorRT may ignore. (Its
      // predecessor kSTRICT_TYPES is deprecated since 8.2 and gone in 10; every release this
      // project supports has kOBEY_PRECISION_CONSTRAINTS.) Fusion may still drop a pin: the
      // accuracy check on a real photo decides.
      if (result.pinned_layers > 0) config->setFlag(nvinfer1::BuilderFlag::kOBEY_PRECISION_CONSTRAINTS);
      note(capture, LogSeverity::kInfo,
           "pinned " + std::to_string(norms) + " LayerNorm/Softmax layers and " + std::to_string(attention) +
               " attention layers to fp32 (" + std::to_string(facts.decomposed_norms) + " decomposed LayerNorms, " +
               std::to_string(facts.normalization_layers) + " normalization layers, " +
               std::to_string(facts.softmax_layers) + " softmax layers)");
    }
  }
  result.precision = want_bf16 ? Precision::kBf16 : want_fp16 || facts.half_io ? Precision::kFp16 : Precision::kFp32;
#endif

#if DINOV3_TRT_85
  // Opt-in on 8.5, default from 8.6; NVIDIA recommends it for dynamic-shape transformers.
  config->setPreviewFeature(nvinfer1::PreviewFeature::kFASTER_DYNAMIC_SHAPES_0805, true);
#endif

#if DINOV3_TRT_86
  if (options.optimization_level >= 0) config->setBuilderOptimizationLevel(options.optimization_level);
#else
  if (options.optimization_level >= 0) {
    note(capture, LogSeverity::kInfo, "optimizationLevel is ignored: TensorRT 8.5 has no builder optimization level");
  }
#endif

  // ---- shape profile ----
  nvinfer1::IOptimizationProfile* profile = builder->createOptimizationProfile();  // owned by the builder
  if (profile == nullptr) fail(codes::kEngineBuild, "TensorRT could not create an optimization profile\n" + capture.errors());
  const char* name = input->getName();
  if (!profile->setDimensions(name, nvinfer1::OptProfileSelector::kMIN, to_dims(options.min_shape)) ||
      !profile->setDimensions(name, nvinfer1::OptProfileSelector::kOPT, to_dims(options.opt_shape)) ||
      !profile->setDimensions(name, nvinfer1::OptProfileSelector::kMAX, to_dims(options.max_shape)) ||
      config->addOptimizationProfile(profile) < 0) {
    fail(codes::kShapeMismatch, "TensorRT rejected the shape profile min " + shape_string(options.min_shape) + ", opt " +
                                    shape_string(options.opt_shape) + ", max " + shape_string(options.max_shape) +
                                    " for input '" + result.input_name + "'\n" + capture.errors());
  }

  // ---- timing cache ----
  Ptr<nvinfer1::ITimingCache> cache(
      config->createTimingCache(options.timing_cache.empty() ? nullptr : options.timing_cache.data(), options.timing_cache.size()));
  if (!cache && !options.timing_cache.empty()) {
    note(capture, LogSeverity::kWarning, "the timing cache given could not be read; starting a fresh one");
    cache.reset(config->createTimingCache(nullptr, 0));
  }
  if (cache && !config->setTimingCache(*cache, false)) {
    note(capture, LogSeverity::kWarning,
         "the timing cache given was made by another TensorRT version or GPU; starting a fresh one");
    cache.reset(config->createTimingCache(nullptr, 0));
    if (cache) config->setTimingCache(*cache, false);
  }

  // ---- build ----
#if DINOV3_TRT_10
  config->setProgressMonitor(&monitor);
#else
  tracker.start();
#endif
  check_cancelled(observer);
  Ptr<nvinfer1::IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
#if DINOV3_TRT_10
  config->setProgressMonitor(nullptr);
#else
  tracker.finish_all();
#endif

  if (observer.cancelled()) {
#if DINOV3_TRT_10
    fail(codes::kAborted, "the engine build was cancelled");
#else
    fail(codes::kAborted,
         "the engine build was cancelled (TensorRT 8.x cannot stop a build early: it ran to its end and the result "
         "was discarded)");
#endif
  }
  if (!plan || plan->size() == 0) {
    const std::string errors = capture.errors();
    if (is_if_conditional_failure(errors)) {
      fail(codes::kUnsupportedOp, "TensorRT " + trt_version() + " could not build " + options.onnx_path + ". " +
                                      rope_if_advice() + " TensorRT said:\n" + errors);
    }
    fail(codes::kEngineBuild, "TensorRT " + trt_version() + " could not build an engine from " + options.onnx_path +
                                  (errors.empty() ? std::string(" (it gave no error message; see the build log)")
                                                  : ":\n" + errors));
  }

  result.plan = copy_bytes(plan.get());
  if (const nvinfer1::ITimingCache* used = config->getTimingCache()) {
    Ptr<nvinfer1::IHostMemory> serialized(used->serialize());
    result.timing_cache = copy_bytes(serialized.get());
  }
  result.log = capture.lines();
  return result;
}

}  // namespace dinov3::trt
