// Helpers shared by the CUDA tests: device detection with a visible skip, device copies of host
// data (fp32 or fp16, padded strides), CPU views of the same values, and the conformance data.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "check.h"
#include "cuda_api.h"
#include "half.h"
#include "matrix_view.h"

namespace cuda_test {

namespace cu = dinov3::cuda;

// True when a CUDA device is usable; otherwise marks the running test skipped and returns false.
inline bool device_or_skip() {
  const cu::RuntimeInfo info = cu::runtime_info();
  if (info.available) return true;
  check::skip("no CUDA device (" + info.reason + ")");
  return false;
}

template <typename T>
struct DeviceArray {
  cu::DeviceBuffer buffer;
  size_t size = 0;

  explicit DeviceArray(size_t n) : buffer(std::max<size_t>(n, 1) * sizeof(T)), size(n) {}
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) {
    cu::copy_to_device(buffer.data(), host.data(), host.size() * sizeof(T), nullptr);
  }
  T* get() const { return static_cast<T*>(buffer.data()); }
  std::vector<T> download() const {
    std::vector<T> host(size);
    cu::copy_to_host(host.data(), buffer.data(), size * sizeof(T), nullptr);
    return host;
  }
};

// A dense host matrix placed on the device as fp32 or fp16 with `stride` >= dim and `offset`
// leading elements, plus the values the CPU core must see (fp16-rounded for fp16).
struct Features {
  cu::DeviceBuffer buffer;
  cu::DeviceMatrix view;
  std::vector<float> cpu;  // rows * dim, dense
  int64_t rows = 0, dim = 0;

  dinov3::MatrixView cpu_view() const { return dinov3::MatrixView{cpu.data(), rows, dim, dim}; }
};

inline Features upload(const std::vector<float>& x, int64_t rows, int64_t dim, cu::DType type = cu::DType::kFloat32,
                       int64_t stride = 0, int64_t offset = 0) {
  if (stride == 0) stride = dim;
  Features f;
  f.rows = rows;
  f.dim = dim;
  f.cpu.resize(static_cast<size_t>(rows) * dim);
  const size_t total = static_cast<size_t>(offset + rows * stride);
  if (type == cu::DType::kFloat16) {
    std::vector<uint16_t> host(total, dinov3::float_to_half(-7.0f));  // padding that must not be read as data
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t d = 0; d < dim; ++d) {
        const uint16_t h = dinov3::float_to_half(x[r * dim + d]);
        host[offset + r * stride + d] = h;
        f.cpu[r * dim + d] = dinov3::half_to_float(h);
      }
    f.buffer = cu::DeviceBuffer(total * 2);
    cu::copy_to_device(f.buffer.data(), host.data(), total * 2, nullptr);
    f.view.data = static_cast<const uint16_t*>(f.buffer.data()) + offset;
  } else {
    std::vector<float> host(total, -7.0f);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t d = 0; d < dim; ++d) host[offset + r * stride + d] = f.cpu[r * dim + d] = x[r * dim + d];
    f.buffer = cu::DeviceBuffer(total * 4);
    cu::copy_to_device(f.buffer.data(), host.data(), total * 4, nullptr);
    f.view.data = static_cast<const float*>(f.buffer.data()) + offset;
  }
  f.view.dtype = type;
  f.view.rows = rows;
  f.view.dim = dim;
  f.view.stride = stride;
  return f;
}

// Conformance features: every `<tag>__last_hidden_state.f32` under $DINOV3_CONFORMANCE, or under
// the repository's test/fixtures/conformance when it is unset; raw little-endian
// [1, 1 + 4 + N, 64]; the patch tokens are the rows after CLS and 4 registers.
struct ConformanceCase {
  std::string tag;
  std::vector<float> tokens;  // (5 + N) * 64
  int64_t patches = 0;
  static constexpr int64_t kDim = 64;
  static constexpr int64_t kSkip = 5;
};

inline std::vector<ConformanceCase> conformance_cases() {
  std::vector<ConformanceCase> cases;
  const char* env_root = std::getenv("DINOV3_CONFORMANCE");
  const char* root = env_root != nullptr && *env_root != '\0' ? env_root : DINOV3_DEFAULT_CONFORMANCE;
  const std::string suffix = "__last_hidden_state.f32";
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    const auto bytes = static_cast<int64_t>(in.tellg());
    ConformanceCase c;
    c.tag = path.filename().string();
    c.patches = bytes / 4 / ConformanceCase::kDim - ConformanceCase::kSkip;
    if (c.patches < 2) continue;
    c.tokens.resize(static_cast<size_t>(bytes / 4));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(c.tokens.data()), bytes);
    cases.push_back(std::move(c));
  }
  // A conformance test with no case would pass without testing anything.
  if (cases.empty()) check::report(__FILE__, __LINE__, std::string("no *") + suffix + " files under " + root);
  return cases;
}

// Patch tokens of a case on the device, read through a view that skips CLS and registers.
inline Features upload_patches(const ConformanceCase& c, cu::DType type = cu::DType::kFloat32) {
  std::vector<float> patches(c.tokens.begin() + ConformanceCase::kSkip * ConformanceCase::kDim, c.tokens.end());
  return upload(patches, c.patches, ConformanceCase::kDim, type, ConformanceCase::kDim,
                ConformanceCase::kSkip * ConformanceCase::kDim);
}

inline double agreement(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  if (a.size() != b.size() || a.empty()) return 0.0;
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i] ? 1 : 0;
  return static_cast<double>(same) / static_cast<double>(a.size());
}

// Fraction of rows whose pair of labels follows the majority mapping from a's clusters to b's:
// 1.0 when both are the same partition with different cluster ids.
inline double partition_agreement(const std::vector<int32_t>& a, const std::vector<int32_t>& b, int k) {
  if (a.size() != b.size() || a.empty()) return 0.0;
  std::vector<std::vector<size_t>> pairs(k, std::vector<size_t>(k, 0));
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] >= 0 && a[i] < k && b[i] >= 0 && b[i] < k) ++pairs[a[i]][b[i]];
  size_t matched = 0;
  for (const auto& row : pairs) matched += *std::max_element(row.begin(), row.end());
  return static_cast<double>(matched) / static_cast<double>(a.size());
}

inline double relative_difference(double a, double b) {
  return std::fabs(a - b) / std::max({std::fabs(a), std::fabs(b), 1e-30});
}

}  // namespace cuda_test
