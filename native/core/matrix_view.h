// A read-only strided view of a row-major float matrix: `rows` rows of `dim` values, row r
// starting at data + r * stride. Kernels take views so that patch tokens can be read straight
// out of a [tokens, dim] last_hidden_state buffer (stride = dim, data offset past CLS and
// registers) without a copy.
#pragma once
#include <cstdint>

namespace dinov3 {

struct MatrixView {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t dim = 0;
  int64_t stride = 0;  // elements between the starts of consecutive rows (>= dim)

  const float* row(int64_t r) const { return data + r * stride; }
};

// Throws ERR_DINO_INVALID_ARGUMENT when the view is not usable (null data, non-positive sizes,
// stride < dim).
void check_view(const MatrixView& view, const char* what);

// Throws ERR_DINO_INVALID_FEATURES naming the first row and column holding NaN or +/-Inf.
void check_finite(const MatrixView& view, const char* what);

}  // namespace dinov3
