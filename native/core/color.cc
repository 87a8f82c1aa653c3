#include "color.h"

#include <string>

#include "error.h"
#include "parallel.h"

namespace dinov3 {

void nv12_to_rgb(const uint8_t* y, int64_t y_pitch, const uint8_t* uv, int64_t uv_pitch, int width, int height,
                 bool full_range, uint8_t* rgb) {
  require(y != nullptr && uv != nullptr && rgb != nullptr, codes::kInvalidArgument, "NV12 frame has no pixel data");
  require(width > 0 && height > 0, codes::kInvalidArgument,
          "NV12 frame size must be positive, got " + std::to_string(width) + "x" + std::to_string(height));
  require(y_pitch >= width, codes::kInvalidArgument,
          "NV12 luma pitch " + std::to_string(y_pitch) + " is smaller than the width " + std::to_string(width));
  const int64_t uv_row = 2 * ((static_cast<int64_t>(width) + 1) / 2);
  require(uv_pitch >= uv_row, codes::kInvalidArgument,
          "NV12 chroma pitch " + std::to_string(uv_pitch) + " is smaller than " + std::to_string(uv_row));
  const YuvCoefficients k = bt601_coefficients(full_range);
  parallel_for(height, 64, [&](int64_t y0, int64_t y1, int64_t) {
    for (int64_t row = y0; row < y1; ++row) {
      const uint8_t* luma = y + row * y_pitch;
      const uint8_t* chroma = uv + (row / 2) * uv_pitch;
      uint8_t* out = rgb + row * width * 3;
      for (int x = 0; x < width; ++x) {
        const uint8_t* pair = chroma + (x / 2) * 2;
        yuv_to_rgb(luma[x], pair[0], pair[1], k, out + x * 3);
      }
    }
  });
}

}  // namespace dinov3
