// Field pictures: a per-patch field (a similarity map, or PCA components) upsampled to the
// picture's resolution and coloured — through a colormap (heatmaps) or directly as byte values
// (PCA-RGB) — plain or blended over a photo.
//
// Sampling: output pixel (x, y) reads the four cells (y_lo[y] | y_hi[y], x_lo[x] | x_hi[x]) with
// weights x_w[x], y_w[y] (bilinear; nearest is the same with lo == hi and zero weights):
//   a = v(y_lo, x_lo) * (1 - x_w) + v(y_lo, x_hi) * x_w      (double)
//   b = v(y_hi, x_lo) * (1 - x_w) + v(y_hi, x_hi) * x_w
//   v = float(a * (1 - y_w) + b * y_w)
// Colour, colormap mode (1 channel): v < threshold leaves the photo (black without one); else
// index = clamp(floor((v - lo) * scale + 0.5), 0, 255) with scale = 255 / (hi - lo), or, when
// hi <= lo, 255 if v >= hi else 0; colour = lut[index].
// Colour, direct mode (1 or 3 channels, values 0..255): channel = floor(v + 0.5); 1 channel is
// gray. Blend with a photo: (photo * (256 - alpha) + colour * alpha + 128) >> 8.
// The arithmetic is that of lib/render (JavaScript numbers are doubles; the upsampled field is
// stored as float32 there too), so the pictures are the same to the bit.
#pragma once
#include <cstdint>

namespace dinov3 {

struct FieldRender {
  const float* values = nullptr;  // grid_rows * grid_cols * channels, row-major, interleaved
  int channels = 1;               // 1 or 3
  int grid_rows = 0;
  int grid_cols = 0;
  int width = 0;
  int height = 0;
  const int32_t* x_lo = nullptr;  // width entries each
  const int32_t* x_hi = nullptr;
  const float* x_w = nullptr;
  const int32_t* y_lo = nullptr;  // height entries each
  const int32_t* y_hi = nullptr;
  const float* y_w = nullptr;
  const uint8_t* lut = nullptr;  // 256 * 3 bytes: colormap mode (channels must be 1); null: direct
  double lo = 0;
  double hi = 1;
  bool has_threshold = false;
  double threshold = 0;
  const uint8_t* photo = nullptr;  // packed RGB width * height * 3, or null (plain)
  int alpha = 0;                   // 0..256, the colour's weight when blending
};

// Writes width * height * 3 bytes of packed RGB. Throws ERR_DINO_INVALID_ARGUMENT on bad sizes
// or sample tables that point outside the grid.
void render_field(const FieldRender& f, uint8_t* out_rgb);

}  // namespace dinov3
