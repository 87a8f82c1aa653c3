// Building: progress and log of one build, cancellation, timing cache, and the clear errors
// for bad files, bad profiles and what a TensorRT version cannot do.
#include <atomic>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "../../core/error.h"
#include "../check.h"
#include "trt_fixture.h"

using namespace trt_test;

namespace {

class RecordingObserver : public trt::BuildObserver {
 public:
  std::atomic<int> cancel_after_steps{-1};  // -1: never
  std::atomic<bool> cancel_now{false};

  void phase_start(const std::string& phase, const std::string& parent, int) override {
    std::lock_guard<std::mutex> lock(mutex_);
    phases_.push_back(parent.empty() ? phase : parent + " > " + phase);
  }
  bool step(const std::string&, int, int) override {
    const int n = ++steps_;
    const int limit = cancel_after_steps.load();
    return !(limit >= 0 && n > limit);
  }
  void phase_finish(const std::string&) override { ++finished_; }
  void log(trt::LogSeverity, const std::string& text) override {
    std::lock_guard<std::mutex> lock(mutex_);
    logs_.push_back(text);
  }
  bool cancelled() override { return cancel_now.load(); }

  std::vector<std::string> phases() {
    std::lock_guard<std::mutex> lock(mutex_);
    return phases_;
  }
  size_t log_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return logs_.size();
  }
  int steps() const { return steps_.load(); }
  int finished() const { return finished_.load(); }

 private:
  std::mutex mutex_;
  std::vector<std::string> phases_;
  std::vector<std::string> logs_;
  std::atomic<int> steps_{0};
  std::atomic<int> finished_{0};
};

template <typename Fn>
std::string error_of(Fn fn, std::string* code) {
  try {
    fn();
  } catch (const dinov3::Error& e) {
    *code = e.code();
    return e.what();
  }
  *code = "";
  return "";
}

bool contains(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

std::string temp_file(const char* name, const std::string& bytes) {
  const char* dir = std::getenv("TMPDIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f != nullptr) {
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  return path;
}

}  // namespace

TEST(trt_build_reports_phases_and_log) {
  RecordingObserver observer;
  trt::BuildOptions options = conformance_build_options(trt::Precision::kFp32);
  std::string code;
  trt::BuildResult result;
  const std::string msg = error_of([&] { result = module().build(options, &observer); }, &code);
  if (!code.empty()) {
    const std::string why = known_issue(code.c_str(), msg, trt::Precision::kFp32);
    if (!why.empty()) return skip("trt_build_reports_phases_and_log", why);
    check::report(__FILE__, __LINE__, code + ": " + msg);
    return;
  }
  const std::vector<std::string> phases = observer.phases();
  std::printf("    %zu phases, %d steps, %zu log lines; first phases:", phases.size(), observer.steps(),
              observer.log_count());
  for (size_t i = 0; i < phases.size() && i < 6; ++i) std::printf(" [%s]", phases[i].c_str());
  std::printf("\n");
  CHECK(!phases.empty() && phases[0] == "Parsing ONNX");
  CHECK(phases.size() >= 2);  // TensorRT's own (>= 10) or the log-derived ones (8.x)
  if (trt_major() < 10) CHECK(phases.size() >= 2 && phases[1] == "Building engine");
  CHECK(observer.finished() >= 2);
  CHECK(!result.log.empty());
  CHECK(observer.log_count() >= result.log.size());
  CHECK(!result.plan.empty() && !result.timing_cache.empty());

  // A rebuild with that timing cache is accepted (no "could not be read" / "another ... GPU").
  options.timing_cache = result.timing_cache;
  const trt::BuildResult again = module().build(options, nullptr);
  bool complained = false;
  for (const auto& line : again.log) complained = complained || contains(line.text, "timing cache given");
  CHECK(!complained);
  // A cache of garbage is ignored with a warning, not an error.
  options.timing_cache.assign(100, 0x42);
  const trt::BuildResult third = module().build(options, nullptr);
  CHECK(!third.plan.empty());
}

TEST(trt_build_cancelled_before_start) {
  RecordingObserver observer;
  observer.cancel_now = true;
  std::string code;
  error_of([&] { module().build(conformance_build_options(trt::Precision::kFp32), &observer); }, &code);
  CHECK(code == trt::codes::kAborted);
}

TEST(trt_build_cancelled_during_the_build) {
  RecordingObserver observer;
  observer.cancel_after_steps = 0;  // refuse the first step
  std::string code;
  const std::string msg =
      error_of([&] { module().build(conformance_build_options(trt::Precision::kFp32), &observer); }, &code);
  if (!code.empty() && !known_issue(code.c_str(), msg, trt::Precision::kFp32).empty()) {
    return skip("trt_build_cancelled_during_the_build", known_issue(code.c_str(), msg, trt::Precision::kFp32));
  }
  if (observer.steps() == 0) {
    return skip("trt_build_cancelled_during_the_build", "this TensorRT reported no steps to cancel at");
  }
  CHECK(code == trt::codes::kAborted);
  if (trt_major() < 10) CHECK(contains(msg, "discarded"));
}

TEST(trt_missing_and_invalid_files) {
  std::string code;
  trt::BuildOptions options = conformance_build_options(trt::Precision::kFp32);
  options.onnx_path = "/nonexistent/dinov3/model.onnx";
  error_of([&] { module().build(options, nullptr); }, &code);
  CHECK(code == trt::codes::kFileNotFound);

  options.onnx_path = temp_file("dinov3-trt-test-not-onnx.onnx", std::string(4096, '\x7f'));
  const std::string msg = error_of([&] { module().build(options, nullptr); }, &code);
  CHECK(code == trt::codes::kInvalidModel);
  std::printf("    not-ONNX file: %s\n", msg.substr(0, 160).c_str());
}

TEST(trt_bad_profiles_are_refused) {
  std::string code;
  trt::BuildOptions options = conformance_build_options(trt::Precision::kFp32);
  options.min_shape = {1, 3, 448, 448};
  options.max_shape = {1, 3, 224, 224};
  std::string msg = error_of([&] { module().build(options, nullptr); }, &code);
  CHECK(code == trt::codes::kInvalidArgument && contains(msg, "min <= opt <= max"));
  options = conformance_build_options(trt::Precision::kFp32);
  options.opt_shape = {1, 3, 224};
  error_of([&] { module().build(options, nullptr); }, &code);
  CHECK(code == trt::codes::kInvalidArgument);
  options = conformance_build_options(trt::Precision::kFp32);
  options.input_name = "not_an_input";
  msg = error_of([&] { module().build(options, nullptr); }, &code);
  if (!known_issue(code.c_str(), msg, trt::Precision::kFp32).empty()) {
    return skip("trt_bad_profiles_are_refused (input name)", known_issue(code.c_str(), msg, trt::Precision::kFp32));
  }
  CHECK(code == trt::codes::kInvalidArgument && contains(msg, "pixel_values"));
}

// TensorRT 8.5 and the opset-17 conformance ONNX: the error must say how to fix it.
TEST(trt_85_layernorm_error_says_export_opset_16) {
  if (!(trt_major() == 8 && trt_minor() == 5)) return skip("trt_85_layernorm_error_says_export_opset_16", "TensorRT 8.5 only");
  if (model_overridden()) return skip("trt_85_layernorm_error_says_export_opset_16", "DINOV3_TRT_ONNX is set");
  std::string code;
  const std::string msg =
      error_of([&] { module().build(conformance_build_options(trt::Precision::kFp32), nullptr); }, &code);
  CHECK(code == trt::codes::kUnsupportedOp);
  CHECK(contains(msg, "LayerNormalization") && contains(msg, "--opset 16"));
}

// TensorRT 11 is strongly typed: fp16 from an fp32 ONNX must be refused with the way out.
TEST(trt_11_fp16_needs_an_fp16_onnx) {
  if (trt_major() < 11) return skip("trt_11_fp16_needs_an_fp16_onnx", "TensorRT 11 and newer only");
  std::string code;
  const std::string msg =
      error_of([&] { module().build(conformance_build_options(trt::Precision::kFp16), nullptr); }, &code);
  CHECK(code == trt::codes::kEngineBuild && contains(msg, "--dtype fp16"));
}

// bf16 exists from TensorRT 10 (weakly typed); 8.x refuses it naming the version it needs.
TEST(trt_bf16_needs_tensorrt_10) {
  if (trt_major() >= 10) return skip("trt_bf16_needs_tensorrt_10", "TensorRT 8.x only (10.x builds bf16: see the conformance tests)");
  std::string code;
  const std::string msg =
      error_of([&] { module().build(conformance_build_options(trt::Precision::kBf16), nullptr); }, &code);
  CHECK(code == trt::codes::kEngineBuild && contains(msg, "TensorRT 10"));
}

TEST(trt_version_is_reported) {
  const trt::VersionInfo v = module().version();
  std::printf("    compiled %s, runtime %s\n", v.compiled().c_str(), v.runtime().c_str());
  CHECK(v.compiled_major >= 8);
  CHECK(v.runtime_major == v.compiled_major);
  CHECK(module().abi() == trt::kTrtModuleAbi);
  CHECK(dinov3_tensorrt_module_v1(trt::kTrtModuleAbi + 1) == nullptr);
  CHECK(std::strncmp(dinov3_plugin_version(), "TensorRT ", 9) == 0);
}
