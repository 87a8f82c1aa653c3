// Exact scalar pieces the vectorised row kernels use for the samples their vectors do not cover
// (row ends, loads that would pass the end of the input). Same arithmetic as preprocess.cc.
#pragma once
#include <algorithm>
#include <cstdint>

#include "resize_kernels.h"

namespace dinov3::rows {

inline uint8_t clip8(int32_t v) {
  return static_cast<uint8_t>(std::clamp(v >> kResamplePrecisionBits, 0, 255));
}

// Output sample x of the horizontal pass (3 bytes at out).
inline void horizontal_sample(const ResizePlan& plan, int x, const uint8_t* row, PixelLayout l, uint8_t* out) {
  const int32_t* w = &plan.weights[static_cast<size_t>(x) * plan.steps * 2];
  const uint8_t* p = row + static_cast<int64_t>(plan.first[x]) * l.channels;
  int32_t r = 1 << (kResamplePrecisionBits - 1), g = r, b = r;
  for (int t = 0; t < plan.count[x]; ++t, p += l.channels) {
    r += p[l.r] * w[t];
    g += p[l.g] * w[t];
    b += p[l.b] * w[t];
  }
  out[0] = clip8(r);
  out[1] = clip8(g);
  out[2] = clip8(b);
}

// Bytes [from, to) of output row `index` of the vertical pass.
inline void vertical_span(const ResizePlan& plan, int index, const uint8_t* rows, int64_t pitch, int64_t from, int64_t to,
                          uint8_t* out) {
  const int32_t* w = &plan.weights[static_cast<size_t>(index) * plan.steps * 2];
  const uint8_t* base = rows + static_cast<int64_t>(plan.first[index]) * pitch;
  for (int64_t i = from; i < to; ++i) {
    int32_t s = 1 << (kResamplePrecisionBits - 1);
    const uint8_t* p = base + i;
    for (int t = 0; t < plan.count[index]; ++t, p += pitch) s += *p * w[t];
    out[i] = clip8(s);
  }
}

// Whether the vector loads of `pairs` pairs of taps from sample x (`load_bytes` from each pair's
// first pixel) stay inside the row of plan.in_size pixels.
inline bool loads_fit(const ResizePlan& plan, int x, int pairs, int channels, int load_bytes) {
  return (static_cast<int64_t>(plan.first[x]) + 2 * pairs - 2) * channels + load_bytes <=
         static_cast<int64_t>(plan.in_size) * channels;
}

// Row pointer of tap t of output row `index` (clamped to its last used row: past count the weight is 0).
inline const uint8_t* tap_row(const ResizePlan& plan, int index, int t, const uint8_t* rows, int64_t pitch) {
  const int last = plan.count[index] - 1;
  return rows + static_cast<int64_t>(plan.first[index] + std::min(t, last)) * pitch;
}

}  // namespace dinov3::rows
