// Label overlays: cluster labels on a patch grid drawn over a photo at the photo's resolution.
//
// Each output pixel (x, y) belongs to grid cell (row_of[y], col_of[x]) (nearest-neighbour
// upsampling; the caller computes the two axis maps once). If that cell's label l is in [0, k)
// and drawn[l] is set, the pixel is
//   with a photo:    (photo * (256 - alpha) + colour[l] * alpha + 128) >> 8   per channel
//   without a photo: colour[l]
// and otherwise the photo pixel (or black without a photo). alpha is the colour's weight in
// 1/256 steps (0..256). The arithmetic is integer and matches lib/render/segmentation.ts.
#pragma once
#include <cstdint>

namespace dinov3 {

struct LabelOverlay {
  const uint8_t* photo = nullptr;  // packed RGB, width * height * 3 bytes; null: colours alone
  int width = 0;
  int height = 0;
  const int32_t* col_of = nullptr;  // width entries, each in [0, grid_cols)
  const int32_t* row_of = nullptr;  // height entries, each in [0, grid_rows)
  const int32_t* labels = nullptr;  // grid_rows * grid_cols, row-major
  int grid_rows = 0;
  int grid_cols = 0;
  const uint8_t* colours = nullptr;  // k * 3 bytes
  const uint8_t* drawn = nullptr;    // k flags (0: leave the photo)
  int k = 0;
  int alpha = 0;  // 0..256
};

// Writes width * height * 3 bytes of packed RGB. Throws ERR_DINO_INVALID_ARGUMENT on
// inconsistent sizes or axis maps that point outside the grid.
void render_label_overlay(const LabelOverlay& o, uint8_t* out_rgb);

}  // namespace dinov3
