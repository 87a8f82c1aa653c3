#include "matrix_view.h"

#include <cmath>
#include <string>

#include "error.h"

namespace dinov3 {

void check_view(const MatrixView& view, const char* what) {
  require(view.data != nullptr, codes::kInvalidArgument, std::string(what) + ": no data");
  require(view.rows > 0 && view.dim > 0, codes::kInvalidArgument,
          std::string(what) + ": rows and dim must be positive (got " + std::to_string(view.rows) + "x" +
              std::to_string(view.dim) + ")");
  require(view.stride >= view.dim, codes::kInvalidArgument,
          std::string(what) + ": stride " + std::to_string(view.stride) + " is smaller than dim " +
              std::to_string(view.dim));
}

void check_finite(const MatrixView& view, const char* what) {
  for (int64_t r = 0; r < view.rows; ++r) {
    const float* x = view.row(r);
    for (int64_t c = 0; c < view.dim; ++c) {
      if (!std::isfinite(x[c])) {
        fail(codes::kInvalidFeatures, std::string(what) + " contain a non-finite value (" +
                                          (std::isnan(x[c]) ? "NaN" : "Inf") + ") at row " +
                                          std::to_string(r) + ", column " + std::to_string(c));
      }
    }
  }
}

}  // namespace dinov3
