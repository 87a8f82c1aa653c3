#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "check.h"
#include "color.h"
#include "error.h"
#include "test_data.h"

namespace {
// One pixel through the public frame converter (1x1 frame).
std::vector<uint8_t> pixel(int y, int u, int v, bool full) {
  const uint8_t luma = static_cast<uint8_t>(y);
  const uint8_t chroma[2] = {static_cast<uint8_t>(u), static_cast<uint8_t>(v)};
  std::vector<uint8_t> rgb(3);
  dinov3::nv12_to_rgb(&luma, 1, chroma, 2, 1, 1, full, rgb.data());
  return rgb;
}

// The BT.601 matrix in double precision, rounded and clamped: the fixed-point version may differ
// by one level where the exact value is within rounding of a half.
int reference(double y, double u, double v, bool full, int channel) {
  const double ky = full ? 1.0 : 255.0 / 219.0, kc = full ? 1.0 : 255.0 / 224.0;
  const double l = (y - (full ? 0 : 16)) * ky, d = (u - 128) * kc, e = (v - 128) * kc;
  const double kr = 0.299, kb = 0.114, kg = 1 - kr - kb;
  const double c[3] = {l + 2 * (1 - kr) * e, l - 2 * kb * (1 - kb) / kg * d - 2 * kr * (1 - kr) / kg * e,
                       l + 2 * (1 - kb) * d};
  return static_cast<int>(std::clamp(std::floor(c[channel] + 0.5), 0.0, 255.0));
}
}  // namespace

TEST(color_limited_range_black_and_white) {
  CHECK(pixel(16, 128, 128, false) == (std::vector<uint8_t>{0, 0, 0}));
  CHECK(pixel(235, 128, 128, false) == (std::vector<uint8_t>{255, 255, 255}));
  CHECK(pixel(0, 128, 128, false) == (std::vector<uint8_t>{0, 0, 0}));        // footroom clamps
  CHECK(pixel(255, 128, 128, false) == (std::vector<uint8_t>{255, 255, 255}));  // headroom clamps
  // mid grey: 110 * 255 / 219 = 128.08
  CHECK(pixel(126, 128, 128, false) == (std::vector<uint8_t>{128, 128, 128}));
}

TEST(color_full_range_black_and_white) {
  CHECK(pixel(0, 128, 128, true) == (std::vector<uint8_t>{0, 0, 0}));
  CHECK(pixel(255, 128, 128, true) == (std::vector<uint8_t>{255, 255, 255}));
  CHECK(pixel(77, 128, 128, true) == (std::vector<uint8_t>{77, 77, 77}));
}

TEST(color_primaries_limited_range) {
  // Studio-swing BT.601 codes of the 100% primaries.
  const auto red = pixel(81, 90, 240, false), green = pixel(145, 54, 34, false), blue = pixel(41, 240, 110, false);
  CHECK(red[0] >= 254 && red[1] <= 1 && red[2] <= 1);
  CHECK(green[0] <= 1 && green[1] >= 254 && green[2] <= 1);
  CHECK(blue[0] <= 1 && blue[1] <= 1 && blue[2] >= 254);
}

TEST(color_fixed_point_within_one_level_of_exact_matrix) {
  for (bool full : {false, true}) {
    int worst = 0;
    for (int y = 0; y < 256; y += 3)
      for (int u = 0; u < 256; u += 5)
        for (int v = 0; v < 256; v += 7) {
          uint8_t rgb[3];
          dinov3::yuv_to_rgb(y, u, v, dinov3::bt601_coefficients(full), rgb);
          for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(rgb[c] - reference(y, u, v, full, c)));
        }
    CHECK(worst <= 1);
  }
}

TEST(color_odd_sizes_and_padded_pitches_share_chroma_per_2x2_block) {
  for (int w : {1, 2, 7, 33}) {
    for (int h : {1, 3, 8, 17}) {
      const int64_t y_pitch = w + 5, uv_pitch = 2 * ((w + 1) / 2) + 3;  // odd padding
      const int uv_rows = (h + 1) / 2;
      auto noise = testdata::uniform(y_pitch * h + uv_pitch * uv_rows, 11 + w * h, 0.0f, 255.99f);
      std::vector<uint8_t> yp(y_pitch * h), uvp(uv_pitch * uv_rows);
      for (size_t i = 0; i < yp.size(); ++i) yp[i] = static_cast<uint8_t>(noise[i]);
      for (size_t i = 0; i < uvp.size(); ++i) uvp[i] = static_cast<uint8_t>(noise[yp.size() + i]);
      std::vector<uint8_t> rgb(static_cast<size_t>(w) * h * 3, 0xAB);
      dinov3::nv12_to_rgb(yp.data(), y_pitch, uvp.data(), uv_pitch, w, h, false, rgb.data());
      bool ok = true;
      for (int r = 0; r < h; ++r)
        for (int x = 0; x < w; ++x) {
          const uint8_t* pair = &uvp[(r / 2) * uv_pitch + (x / 2) * 2];
          const auto expect = pixel(yp[r * y_pitch + x], pair[0], pair[1], false);
          for (int c = 0; c < 3; ++c) ok = ok && rgb[(r * w + x) * 3 + c] == expect[c];
        }
      CHECK(ok);
    }
  }
}

TEST(color_rejects_bad_input) {
  std::vector<uint8_t> y(16), uv(16), rgb(64);
  CHECK_THROWS_CODE(dinov3::nv12_to_rgb(nullptr, 4, uv.data(), 4, 4, 4, false, rgb.data()),
                    "ERR_DINO_INVALID_ARGUMENT");
  CHECK_THROWS_CODE(dinov3::nv12_to_rgb(y.data(), 3, uv.data(), 4, 4, 4, false, rgb.data()),
                    "ERR_DINO_INVALID_ARGUMENT");
  CHECK_THROWS_CODE(dinov3::nv12_to_rgb(y.data(), 5, uv.data(), 5, 5, 2, false, rgb.data()),
                    "ERR_DINO_INVALID_ARGUMENT");  // 5 wide needs 6 bytes of chroma per row
  CHECK_THROWS_CODE(dinov3::nv12_to_rgb(y.data(), 4, uv.data(), 4, 0, 4, false, rgb.data()),
                    "ERR_DINO_INVALID_ARGUMENT");
}
