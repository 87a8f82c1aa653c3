#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "check.h"
#include "error.h"
#include "field_render.h"

namespace {
// A 2x3 grid drawn at 5x4 pixels with hand-made sample tables.
struct Fixture {
  std::vector<float> values{0.0f, 0.5f, 1.0f, -0.25f, 0.25f, 0.75f};
  std::vector<int32_t> x_lo{0, 0, 1, 1, 2}, x_hi{0, 1, 2, 2, 2};
  std::vector<float> x_w{0.0f, 0.3f, 0.1f, 0.8f, 0.0f};
  std::vector<int32_t> y_lo{0, 0, 0, 1}, y_hi{0, 1, 1, 1};
  std::vector<float> y_w{0.0f, 0.25f, 0.75f, 0.0f};
  std::vector<uint8_t> lut;
  std::vector<uint8_t> photo;
  Fixture() {
    for (int i = 0; i < 256; ++i) lut.insert(lut.end(), {static_cast<uint8_t>(i), static_cast<uint8_t>(255 - i), 7});
    for (int i = 0; i < 5 * 4 * 3; ++i) photo.push_back(static_cast<uint8_t>(11 * i));
  }
  dinov3::FieldRender field() const {
    dinov3::FieldRender f;
    f.values = values.data(), f.channels = 1, f.grid_rows = 2, f.grid_cols = 3, f.width = 5, f.height = 4;
    f.x_lo = x_lo.data(), f.x_hi = x_hi.data(), f.x_w = x_w.data();
    f.y_lo = y_lo.data(), f.y_hi = y_hi.data(), f.y_w = y_w.data();
    return f;
  }
  // The sampled value at (x, y), as the kernel documents it.
  double sample(int x, int y, int channels = 1, int c = 0) const {
    auto v = [&](int r, int col) { return static_cast<double>(values[(r * 3 + col) * channels + c]); };
    const double fx = x_w[x], fy = y_w[y];
    const double a = v(y_lo[y], x_lo[x]) * (1 - fx) + v(y_lo[y], x_hi[x]) * fx;
    const double b = v(y_hi[y], x_lo[x]) * (1 - fx) + v(y_hi[y], x_hi[x]) * fx;
    return static_cast<float>(a * (1 - fy) + b * fy);
  }
};
int round_clamp(double v) { return static_cast<int>(std::clamp(std::floor(v + 0.5), 0.0, 255.0)); }
}  // namespace

TEST(field_render_colormap_blend_and_threshold) {
  Fixture fx;
  dinov3::FieldRender f = fx.field();
  f.lut = fx.lut.data(), f.lo = -0.25, f.hi = 1.0, f.has_threshold = true, f.threshold = 0.1;
  f.photo = fx.photo.data(), f.alpha = 128;
  std::vector<uint8_t> out(5 * 4 * 3);
  dinov3::render_field(f, out.data());
  int below = 0;
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 5; ++x) {
      const double v = fx.sample(x, y);
      const int i = (y * 5 + x) * 3;
      if (v < 0.1) {
        ++below;
        for (int c = 0; c < 3; ++c) CHECK(out[i + c] == fx.photo[i + c]);
        continue;
      }
      const int index = round_clamp((v + 0.25) * (255.0 / 1.25));
      for (int c = 0; c < 3; ++c) CHECK(out[i + c] == ((fx.photo[i + c] * 128 + fx.lut[index * 3 + c] * 128 + 128) >> 8));
    }
  }
  CHECK(below > 0 && below < 20);  // both branches ran
}

TEST(field_render_plain_colormap_top_value_gets_the_top_colour) {
  Fixture fx;
  dinov3::FieldRender f = fx.field();
  f.lut = fx.lut.data(), f.lo = -0.25, f.hi = 1.0;
  std::vector<uint8_t> out(5 * 4 * 3);
  dinov3::render_field(f, out.data());
  // pixel (4, 0) samples cell (0, 2) alone: the maximum 1.0 -> index 255
  CHECK(out[4 * 3] == 255 && out[4 * 3 + 1] == 0 && out[4 * 3 + 2] == 7);
  // pixel (0, 3) samples cell (1, 0) alone: the minimum -0.25 -> index 0
  const int i = (3 * 5 + 0) * 3;
  CHECK(out[i] == 0 && out[i + 1] == 255);
}

TEST(field_render_direct_rgb_and_gray) {
  Fixture fx;
  fx.values.clear();
  for (int cell = 0; cell < 6; ++cell) fx.values.insert(fx.values.end(), {40.0f * cell, 200.0f - 30 * cell, 99.5f});
  dinov3::FieldRender f = fx.field();
  f.channels = 3;
  std::vector<uint8_t> out(5 * 4 * 3);
  dinov3::render_field(f, out.data());
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 5; ++x) {
      for (int c = 0; c < 3; ++c) CHECK(out[(y * 5 + x) * 3 + c] == round_clamp(fx.sample(x, y, 3, c)));
    }
  }
  Fixture gray;
  for (float& v : gray.values) v = v * 100 + 50;
  dinov3::FieldRender g = gray.field();
  dinov3::render_field(g, out.data());
  const int expected = round_clamp(gray.sample(1, 1));
  const int i = (1 * 5 + 1) * 3;
  CHECK(out[i] == expected && out[i + 1] == expected && out[i + 2] == expected);
}

TEST(field_render_rejects_tables_outside_the_grid_and_colormaps_on_rgb) {
  Fixture fx;
  std::vector<uint8_t> out(5 * 4 * 3);
  auto throws = [&](dinov3::FieldRender f) {
    try {
      dinov3::render_field(f, out.data());
    } catch (const dinov3::Error& e) {
      return std::string(e.code()) == dinov3::codes::kInvalidArgument;
    }
    return false;
  };
  fx.y_hi[3] = 2;
  CHECK(throws(fx.field()));
  Fixture rgb;
  dinov3::FieldRender f = rgb.field();
  f.channels = 3, f.lut = rgb.lut.data();
  CHECK(throws(f));
}
