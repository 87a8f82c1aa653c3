#include <cstdint>
#include <vector>

#include "check.h"
#include "cuda_api.h"
#include "cuda_test_util.h"
#include "error.h"
#include "half.h"
#include "test_data.h"

namespace cu = dinov3::cuda;

TEST(cuda_runtime_info_never_throws_and_explains_itself) {
  cu::RuntimeInfo info;
  bool threw = false;
  try {
    info = cu::runtime_info();
  } catch (...) {
    threw = true;
  }
  CHECK(!threw);
  CHECK(info.runtime_version > 0);  // the statically linked runtime always knows its version
  if (info.available) {
    CHECK(!info.devices.empty());
    for (const auto& d : info.devices) {
      CHECK(!d.name.empty());
      CHECK(d.major >= 5);
      CHECK(d.total_memory > 0 && d.multiprocessors > 0);
    }
  } else {
    CHECK(!info.reason.empty());
    CHECK(info.devices.empty());
    std::printf("  no device: %s (driver %d, runtime %d)\n", info.reason.c_str(), info.driver_version,
                info.runtime_version);
  }
}

TEST(cuda_entry_points_report_unavailable_without_a_device) {
  if (cu::runtime_info().available) {
    std::printf("  (device present: nothing to check here)\n");
    return;
  }
  CHECK_THROWS_CODE(cu::require_device(), "ERR_DINO_CUDA_UNAVAILABLE");
  CHECK_THROWS_CODE(cu::DeviceBuffer(64), "ERR_DINO_CUDA_UNAVAILABLE");
  CHECK_THROWS_CODE(cu::create_stream(), "ERR_DINO_CUDA_UNAVAILABLE");
  // Valid arguments that point nowhere: the device check comes before any device access.
  static float fake[16];
  const cu::DeviceMatrix x{fake, cu::DType::kFloat32, 4, 4, 4};
  dinov3::KMeansOptions o;
  CHECK_THROWS_CODE(cu::kmeans(x, o, nullptr), "ERR_DINO_CUDA_UNAVAILABLE");
  CHECK_THROWS_CODE(cu::pca(x, dinov3::PcaOptions{}, nullptr), "ERR_DINO_CUDA_UNAVAILABLE");
  float out[4];
  CHECK_THROWS_CODE(cu::cosine_similarity(x, fake, 1, out, nullptr), "ERR_DINO_CUDA_UNAVAILABLE");
  static uint8_t pixels[64];
  cu::DeviceFrame frame;
  frame.data = pixels;
  frame.pitch = 16;
  frame.width = frame.height = 4;
  CHECK_THROWS_CODE(cu::preprocess(frame, 2, 2, dinov3::Normalization{}, out, cu::DType::kFloat32, nullptr),
                    "ERR_DINO_CUDA_UNAVAILABLE");
}

TEST(cuda_argument_errors_come_before_device_errors) {
  static float fake[16];
  float out[4];
  CHECK_THROWS_CODE(cu::download_matrix(cu::DeviceMatrix{nullptr, cu::DType::kFloat32, 4, 4, 4}, nullptr),
                    "ERR_DINO_INVALID_ARGUMENT");
  CHECK_THROWS_CODE(cu::cosine_similarity(cu::DeviceMatrix{fake, cu::DType::kFloat32, 4, 4, 3}, fake, 1, out, nullptr),
                    "ERR_DINO_INVALID_ARGUMENT");  // stride < dim
  CHECK_THROWS_CODE(cu::cosine_similarity(cu::DeviceMatrix{fake, cu::DType::kFloat32, 4, 4, 4}, fake, 0, out, nullptr),
                    "ERR_DINO_INVALID_ARGUMENT");
  cu::DeviceFrame frame;
  frame.data = reinterpret_cast<const uint8_t*>(fake);
  frame.width = frame.height = 4;
  frame.pitch = 15;  // < 4 * 4 bytes of RGBA
  CHECK_THROWS_CODE(cu::preprocess(frame, 2, 2, dinov3::Normalization{}, out, cu::DType::kFloat32, nullptr),
                    "ERR_DINO_INVALID_ARGUMENT");
  frame.pitch = 16;
  frame.format = cu::FrameFormat::kNV12;  // no UV plane
  CHECK_THROWS_CODE(cu::preprocess(frame, 2, 2, dinov3::Normalization{}, out, cu::DType::kFloat32, nullptr),
                    "ERR_DINO_INVALID_ARGUMENT");
  frame.format = cu::FrameFormat::kRGBA;
  dinov3::Normalization zero_std;
  zero_std.std[1] = 0.0f;
  CHECK_THROWS_CODE(cu::preprocess(frame, 2, 2, zero_std, out, cu::DType::kFloat32, nullptr),
                    "ERR_DINO_INVALID_ARGUMENT");
}

TEST(cuda_buffers_streams_and_copies) {
  if (!cuda_test::device_or_skip()) return;
  cu::Stream s = cu::create_stream();
  std::vector<int32_t> host(1000);
  for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<int32_t>(i * 7 - 300);
  cu::DeviceBuffer a(host.size() * 4);
  CHECK(a.bytes() == host.size() * 4 && a.data() != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(a.data()) % 256 == 0);
  cu::copy_to_device(a.data(), host.data(), host.size() * 4, s);
  cu::DeviceBuffer b(std::move(a));
  CHECK(a.data() == nullptr && b.bytes() == host.size() * 4);
  std::vector<int32_t> back(host.size());
  cu::copy_to_host(back.data(), b.data(), back.size() * 4, s);
  CHECK(back == host);
  cu::synchronize(s);
  cu::destroy_stream(s);
  b.reset();
  CHECK(b.data() == nullptr && b.bytes() == 0);
  CHECK_THROWS_CODE(cu::DeviceBuffer(size_t{1} << 56), "ERR_DINO_CUDA_OOM");
}

TEST(cuda_download_matrix_strided_fp32_and_fp16) {
  if (!cuda_test::device_or_skip()) return;
  const int64_t rows = 37, dim = 13;
  const auto x = testdata::uniform(rows * dim, 3);
  for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
    const auto f = cuda_test::upload(x, rows, dim, type, dim + 6, 11);
    CHECK(cu::download_matrix(f.view, nullptr) == f.cpu);
  }
}
