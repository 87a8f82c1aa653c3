#include "overlay.h"

#include <string>
#include <vector>

#include "error.h"
#include "parallel.h"

namespace dinov3 {
namespace {

void check(const LabelOverlay& o, const uint8_t* out) {
  require(o.width > 0 && o.height > 0, codes::kInvalidArgument,
          "overlay size must be positive, got " + std::to_string(o.width) + "x" + std::to_string(o.height));
  require(o.grid_rows > 0 && o.grid_cols > 0, codes::kInvalidArgument, "the label grid must not be empty");
  require(o.k > 0 && o.alpha >= 0 && o.alpha <= 256, codes::kInvalidArgument, "k must be positive and alpha in [0, 256]");
  require(o.col_of && o.row_of && o.labels && o.colours && o.drawn && out, codes::kInvalidArgument, "missing overlay buffer");
  for (int x = 0; x < o.width; ++x) {
    require(o.col_of[x] >= 0 && o.col_of[x] < o.grid_cols, codes::kInvalidArgument, "column map points outside the grid");
  }
  for (int y = 0; y < o.height; ++y) {
    require(o.row_of[y] >= 0 && o.row_of[y] < o.grid_rows, codes::kInvalidArgument, "row map points outside the grid");
  }
}

// out[i] = (in[i] * keep[i] + term[i]) >> 8; restrict lets the compiler vectorise it.
void blend_row(const uint8_t* __restrict in, const uint32_t* __restrict keep, const uint32_t* __restrict term, int64_t n,
               uint8_t* __restrict out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>((in[i] * keep[i] + term[i]) >> 8);
}

}  // namespace

void render_label_overlay(const LabelOverlay& o, uint8_t* out_rgb) {
  check(o, out_rgb);
  const int64_t row_bytes = static_cast<int64_t>(o.width) * 3;
  parallel_for(o.height, 64, [&](int64_t y0, int64_t y1, int64_t) {
    // Per byte of the current grid row: out = (photo * keep + term) >> 8. A drawn label has
    // keep = 256 - alpha and term = colour * alpha + 128; anything else keeps the photo
    // (keep 256, term 0). Without a photo the row is the colours themselves. Rebuilt only when
    // the grid row changes, so the pixel loop is a plain, vectorisable multiply-add.
    std::vector<uint32_t> keep(row_bytes), term(row_bytes);
    std::vector<uint8_t> colours_row(row_bytes);
    int current_row = -1;
    for (int64_t y = y0; y < y1; ++y) {
      const int grid_row = o.row_of[y];
      if (grid_row != current_row) {
        current_row = grid_row;
        const int32_t* row_labels = o.labels + static_cast<int64_t>(grid_row) * o.grid_cols;
        for (int x = 0; x < o.width; ++x) {
          const int32_t l = row_labels[o.col_of[x]];
          const bool drawn = l >= 0 && l < o.k && o.drawn[l] != 0;
          for (int c = 0; c < 3; ++c) {
            const uint32_t colour = drawn ? o.colours[l * 3 + c] : 0;
            keep[x * 3 + c] = drawn ? 256 - o.alpha : 256;
            term[x * 3 + c] = drawn ? colour * o.alpha + 128 : 0;
            colours_row[x * 3 + c] = static_cast<uint8_t>(colour);
          }
        }
      }
      uint8_t* out = out_rgb + y * row_bytes;
      if (o.photo == nullptr) {
        std::copy(colours_row.begin(), colours_row.end(), out);
        continue;
      }
      blend_row(o.photo + y * row_bytes, keep.data(), term.data(), row_bytes, out);
    }
  });
}

}  // namespace dinov3
