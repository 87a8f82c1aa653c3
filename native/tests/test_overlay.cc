#include <cstdint>
#include <string>
#include <vector>

#include "check.h"
#include "error.h"
#include "overlay.h"

namespace {
// A 2x2 grid drawn over a 4x3 photo: columns 0-1 -> cell column 0, 2-3 -> 1; rows 0-1 -> 0, 2 -> 1.
struct Fixture {
  std::vector<uint8_t> photo;
  std::vector<int32_t> col_of{0, 0, 1, 1};
  std::vector<int32_t> row_of{0, 0, 1};
  std::vector<int32_t> labels{0, 1, -1, 2};  // cell (1, 0) unlabelled
  std::vector<uint8_t> colours{255, 0, 0, 0, 255, 0, 0, 0, 255};
  std::vector<uint8_t> drawn{1, 1, 0};  // label 2 not drawn
  Fixture() {
    for (int i = 0; i < 4 * 3 * 3; ++i) photo.push_back(static_cast<uint8_t>(7 * i));
  }
  dinov3::LabelOverlay overlay(bool with_photo, int alpha) const {
    dinov3::LabelOverlay o;
    o.photo = with_photo ? photo.data() : nullptr;
    o.width = 4, o.height = 3;
    o.col_of = col_of.data(), o.row_of = row_of.data(), o.labels = labels.data();
    o.grid_rows = 2, o.grid_cols = 2;
    o.colours = colours.data(), o.drawn = drawn.data(), o.k = 3, o.alpha = alpha;
    return o;
  }
};
}  // namespace

TEST(overlay_blends_drawn_labels_and_keeps_the_photo_elsewhere) {
  Fixture f;
  const int alpha = 102;  // round(0.4 * 256)
  std::vector<uint8_t> out(4 * 3 * 3);
  dinov3::render_label_overlay(f.overlay(true, alpha), out.data());
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 4; ++x) {
      const int label = f.labels[f.row_of[y] * 2 + f.col_of[x]];
      for (int c = 0; c < 3; ++c) {
        const int i = (y * 4 + x) * 3 + c;
        const int expected = label >= 0 && f.drawn[label] ? (f.photo[i] * (256 - alpha) + f.colours[label * 3 + c] * alpha + 128) >> 8 : f.photo[i];
        CHECK(out[i] == expected);
      }
    }
  }
}

TEST(overlay_without_a_photo_is_the_colours_on_black) {
  Fixture f;
  std::vector<uint8_t> out(4 * 3 * 3, 99);
  dinov3::render_label_overlay(f.overlay(false, 102), out.data());
  CHECK(out[0] == 255 && out[1] == 0 && out[2] == 0);                      // (0,0): label 0, red
  CHECK(out[3 * 3] == 0 && out[3 * 3 + 1] == 255 && out[3 * 3 + 2] == 0);  // (3,0): label 1, green
  const int bottom_left = (2 * 4 + 0) * 3, bottom_right = (2 * 4 + 3) * 3;
  CHECK(out[bottom_left] == 0 && out[bottom_left + 1] == 0 && out[bottom_left + 2] == 0);    // unlabelled
  CHECK(out[bottom_right] == 0 && out[bottom_right + 1] == 0 && out[bottom_right + 2] == 0);  // label 2 hidden
}

TEST(overlay_rejects_axis_maps_outside_the_grid) {
  Fixture f;
  f.col_of[3] = 2;
  std::vector<uint8_t> out(4 * 3 * 3);
  bool threw = false;
  try {
    dinov3::render_label_overlay(f.overlay(true, 102), out.data());
  } catch (const dinov3::Error& e) {
    threw = std::string(e.code()) == dinov3::codes::kInvalidArgument;
  }
  CHECK(threw);
}
