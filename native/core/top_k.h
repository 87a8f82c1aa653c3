// The best-first list of k (value, index) entries used by the CPU and CUDA correspondence
// kernels (native/core/correspondence.cc, native/cuda/correspondence.cu): one definition, so both
// keep the same entries in the same order.
#pragma once
#include <cstdint>

#include "host_device.h"

namespace dinov3 {

// Inserts (value, index) into the k-entry list if it beats the last entry. Ties keep the earlier
// entry first, so offering indices in ascending order keeps the lower index. NaN is never taken.
DINOV3_HOST_DEVICE inline void top_k_offer(float* values, int32_t* indices, int k, float value, int32_t index) {
  if (!(value > values[k - 1])) return;
  int pos = k - 1;
  while (pos > 0 && value > values[pos - 1]) {
    values[pos] = values[pos - 1];
    indices[pos] = indices[pos - 1];
    --pos;
  }
  values[pos] = value;
  indices[pos] = index;
}

}  // namespace dinov3
