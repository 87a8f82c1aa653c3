// Validation and small facts about DeviceMatrix views, shared by the analysis kernels' hosts.
#pragma once
#include <cstddef>

#include "cuda_api.h"

namespace dinov3::cuda {

// Throws ERR_DINO_INVALID_ARGUMENT, with the same wording as the CPU core's check_view, when the
// view cannot be used (null data, non-positive sizes, stride < dim, unknown dtype).
void check_matrix(const DeviceMatrix& x, const char* what);

size_t element_bytes(DType type);

// True when every row can be read in 4-element vectors: dim and stride multiples of 4 and the
// base pointer aligned to 4 elements (16 bytes fp32, 8 bytes fp16).
bool vector_loads_ok(const DeviceMatrix& x);

}  // namespace dinov3::cuda
