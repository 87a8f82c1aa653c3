#include "resize_tables.h"

#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "../core/preprocess.h"
#include "cuda_api.h"
#include "cuda_check.h"

// The CUDA frame formats extend the CPU core's pixel formats with the same numbers (JavaScript
// sends one number for both: NativePixelFormat in lib/binding.ts).
static_assert(static_cast<int>(dinov3::cuda::FrameFormat::kRGB) == static_cast<int>(dinov3::PixelFormat::kRGB));
static_assert(static_cast<int>(dinov3::cuda::FrameFormat::kRGBA) == static_cast<int>(dinov3::PixelFormat::kRGBA));
static_assert(static_cast<int>(dinov3::cuda::FrameFormat::kBGR) == static_cast<int>(dinov3::PixelFormat::kBGR));
static_assert(static_cast<int>(dinov3::cuda::FrameFormat::kBGRA) == static_cast<int>(dinov3::PixelFormat::kBGRA));
static_assert(static_cast<int>(dinov3::cuda::FrameFormat::kGray) == static_cast<int>(dinov3::PixelFormat::kGray));

namespace dinov3::cuda {
namespace {

ResampleAxis axis_for(int in_size, int out_size) {
  if (in_size != out_size) return bilinear_axis(in_size, out_size);
  ResampleAxis identity;
  identity.in_size = identity.out_size = in_size;
  identity.taps = 1;
  identity.first.resize(in_size);
  identity.count.assign(in_size, 1);
  identity.weights.assign(in_size, 1 << kResamplePrecisionBits);
  for (int i = 0; i < in_size; ++i) identity.first[i] = i;
  return identity;
}

// Host image of the tables: [x first | x count | x weights | y first | y count | y weights].
struct HostTables {
  std::vector<int32_t> data;
  size_t x_count = 0, x_weights = 0, y_first = 0, y_count = 0, y_weights = 0;
  int x_taps = 0, y_taps = 0;
};

HostTables build(int in_w, int in_h, int out_w, int out_h) {
  const ResampleAxis ax = axis_for(in_w, out_w), ay = axis_for(in_h, out_h);
  HostTables t;
  auto append = [&](const std::vector<int32_t>& v) {
    const size_t at = t.data.size();
    t.data.insert(t.data.end(), v.begin(), v.end());
    return at;
  };
  append(ax.first);
  t.x_count = append(ax.count);
  t.x_weights = append(ax.weights);
  t.y_first = append(ay.first);
  t.y_count = append(ay.count);
  t.y_weights = append(ay.weights);
  t.x_taps = ax.taps;
  t.y_taps = ay.taps;
  return t;
}

DeviceResizeTables point_into(const HostTables& t, const int32_t* base) {
  DeviceResizeTables d;
  d.x = {base, base + t.x_count, base + t.x_weights, t.x_taps};
  d.y = {base + t.y_first, base + t.y_count, base + t.y_weights, t.y_taps};
  return d;
}

struct CacheEntry {
  DeviceBuffer buffer;
  DeviceResizeTables tables;
};

using Key = std::tuple<int, int, int, int, int>;  // device, in w, in h, out w, out h

}  // namespace

DeviceResizeTables resize_tables(int in_w, int in_h, int out_w, int out_h, cudaStream_t stream,
                                 std::unique_ptr<StreamScratch>& fallback) {
  int device = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  static std::mutex mutex;
  static std::map<Key, CacheEntry> cache;
  const Key key{device, in_w, in_h, out_w, out_h};
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto it = cache.find(key);
    if (it != cache.end()) return it->second.tables;
    if (cache.size() < kMaxCachedTables) {
      const HostTables t = build(in_w, in_h, out_w, out_h);
      CacheEntry entry;
      entry.buffer = DeviceBuffer(t.data.size() * sizeof(int32_t));
      // Synchronous copy: the entry is complete before any other thread can find it.
      check_cuda(cudaMemcpy(entry.buffer.data(), t.data.data(), t.data.size() * sizeof(int32_t),
                            cudaMemcpyHostToDevice),
                 "resize tables upload");
      entry.tables = point_into(t, static_cast<const int32_t*>(entry.buffer.data()));
      return cache.emplace(key, std::move(entry)).first->second.tables;
    }
  }
  const HostTables t = build(in_w, in_h, out_w, out_h);
  fallback = std::make_unique<StreamScratch>(t.data.size() * sizeof(int32_t), stream);
  check_cuda(cudaMemcpyAsync(fallback->data(), t.data.data(), t.data.size() * sizeof(int32_t),
                             cudaMemcpyHostToDevice, stream),
             "resize tables upload");
  // cudaMemcpyAsync from pageable memory has staged the source before returning, so `t` may go.
  return point_into(t, fallback->at<const int32_t>(0));
}

}  // namespace dinov3::cuda
