// The TensorRT tests' entry point: skips visibly (exit code 77, which CTest reports as
// "Skipped") when there is no CUDA device or no conformance data; runs everything otherwise.
#include <cstdio>
#include <string>

#include "../check.h"
#include "trt_fixture.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--list") return check::run_all(argc, argv);
  const dinov3::cuda::RuntimeInfo rt = dinov3::cuda::runtime_info();
  if (!rt.available) {
    std::printf("SKIPPED: the TensorRT tests need a CUDA device: %s\n", rt.reason.c_str());
    return 77;
  }
  const std::string model = trt_test::model_path();
  if (std::FILE* f = std::fopen(model.c_str(), "rb")) {
    std::fclose(f);
  } else {
    std::printf("SKIPPED: no ONNX model at %s (set DINOV3_CONFORMANCE to a conformance folder)\n",
                model.c_str());
    return 77;
  }
  const dinov3::trt::VersionInfo v = trt_test::module().version();
  std::printf("TensorRT module: compiled against %s, running %s; GPU %s; model %s\n", v.compiled().c_str(),
              v.runtime().c_str(), rt.devices.empty() ? "?" : rt.devices[0].name.c_str(), model.c_str());
  return check::run_all(argc, argv);
}
