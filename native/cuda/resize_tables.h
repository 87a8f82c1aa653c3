// Device copies of PIL's bilinear resampling tables (dinov3::bilinear_axis, native/core), so the
// GPU resize uses exactly the CPU core's fixed-point weights.
//
// Tables are cached per (device, input size, output size): a camera pipeline resizes the same
// frame size every frame, so after the first frame no upload happens. The cache holds up to
// kMaxCachedTables entries and never evicts (work already queued may still read an entry);
// beyond that, tables are uploaded into stream-ordered scratch memory for each call.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>

#include "device_scratch.h"

namespace dinov3::cuda {

struct DeviceAxis {
  const int32_t* first = nullptr;    // out_size: first input index
  const int32_t* count = nullptr;    // out_size: taps used
  const int32_t* weights = nullptr;  // out_size * taps, 22 fractional bits
  int taps = 0;
};

struct DeviceResizeTables {
  DeviceAxis x, y;
};

inline constexpr int kMaxCachedTables = 64;

// When an axis keeps its size PIL skips that pass; the table is then the identity (one tap of
// weight 1.0), which gives exactly the skipped pass's result. `fallback` receives the scratch
// memory when the cache is full; keep it alive until the kernel using the tables is queued.
DeviceResizeTables resize_tables(int in_width, int in_height, int out_width, int out_height, cudaStream_t stream,
                                 std::unique_ptr<StreamScratch>& fallback);

}  // namespace dinov3::cuda
