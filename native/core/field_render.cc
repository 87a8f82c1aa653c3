#include "field_render.h"

#include <algorithm>
#include <string>
#include <vector>

#include "error.h"
#include "parallel.h"

namespace dinov3 {
namespace {

void check_axis(const int32_t* lo, const int32_t* hi, const float* w, int n, int cells, const char* name) {
  require(lo && hi && w, codes::kInvalidArgument, std::string("missing ") + name + " sample table");
  for (int i = 0; i < n; ++i) {
    require(lo[i] >= 0 && lo[i] < cells && hi[i] >= 0 && hi[i] < cells, codes::kInvalidArgument,
            std::string(name) + " sample table points outside the grid");
  }
}

void check(const FieldRender& f, const uint8_t* out) {
  require(f.width > 0 && f.height > 0 && f.grid_rows > 0 && f.grid_cols > 0, codes::kInvalidArgument,
          "picture and grid sizes must be positive");
  require(f.channels == 1 || f.channels == 3, codes::kInvalidArgument, "a field has 1 or 3 channels");
  require(f.lut == nullptr || f.channels == 1, codes::kInvalidArgument, "a colormap colours a 1-channel field");
  require(f.alpha >= 0 && f.alpha <= 256, codes::kInvalidArgument, "alpha must be in [0, 256]");
  require(f.values && out, codes::kInvalidArgument, "missing field buffer");
  check_axis(f.x_lo, f.x_hi, f.x_w, f.width, f.grid_cols, "column");
  check_axis(f.y_lo, f.y_hi, f.y_w, f.height, f.grid_rows, "row");
}

// floor(v + 0.5) clamped to [0, 255], without a libm call: clamping first makes the conversion
// safe, and for x >= 0 truncation is floor (x in [0, 256] here).
inline int round_byte(double v) {
  const double x = std::min(256.0, std::max(0.0, v + 0.5));
  return std::min(255, static_cast<int>(x));
}

// The colours of one output row from its two horizontal passes `a` and `b` (see render_field).
void colour_row(const double* __restrict a, const double* __restrict b, double fy, int width, int ch,
                const uint8_t* __restrict lut, double lo, double hi, double scale, bool has_threshold, double threshold,
                uint8_t* __restrict colour, uint8_t* __restrict drawn) {
  if (lut) {
    for (int x = 0; x < width; ++x) {
      const double v = static_cast<float>(a[x] * (1 - fy) + b[x] * fy);
      drawn[x] = !(has_threshold && v < threshold);
      const int index = scale > 0 ? round_byte((v - lo) * scale) : (v >= hi ? 255 : 0);
      colour[x * 3] = lut[index * 3], colour[x * 3 + 1] = lut[index * 3 + 1], colour[x * 3 + 2] = lut[index * 3 + 2];
    }
    return;
  }
  for (int x = 0; x < width; ++x) {
    drawn[x] = 1;
    for (int c = 0; c < ch; ++c) {
      const int64_t i = static_cast<int64_t>(x) * ch + c;
      colour[x * 3 + c] = static_cast<uint8_t>(round_byte(static_cast<float>(a[i] * (1 - fy) + b[i] * fy)));
    }
    if (ch == 1) colour[x * 3 + 1] = colour[x * 3 + 2] = colour[x * 3];
  }
}

// out = (photo * keep + colour * alpha + 128) >> 8 per byte; restrict lets the compiler vectorise.
void blend_row(const uint8_t* __restrict photo, const uint8_t* __restrict colour, uint32_t keep, uint32_t alpha, int64_t n,
               uint8_t* __restrict out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>((photo[i] * keep + colour[i] * alpha + 128) >> 8);
}

}  // namespace

void render_field(const FieldRender& f, uint8_t* out_rgb) {
  check(f, out_rgb);
  const int ch = f.channels;
  const int64_t row_values = static_cast<int64_t>(f.width) * ch;
  const double scale = f.hi > f.lo ? 255.0 / (f.hi - f.lo) : 0.0;
  const int32_t keep = 256 - f.alpha;
  const int64_t row_bytes = static_cast<int64_t>(f.width) * 3;
  parallel_for(f.height, 32, [&](int64_t y0, int64_t y1, int64_t) {
    // The horizontal pass of the two grid rows an output row reads, per output pixel and channel:
    // a = v(lo row) interpolated along x, b = the same for the hi row. Output rows between the
    // same two grid rows share them, so they are recomputed only when the pair changes.
    std::vector<double> a(row_values), b(row_values);
    int cached_lo = -1, cached_hi = -1;
    auto horizontal = [&](int grid_row, std::vector<double>& out) {
      const float* row = f.values + static_cast<int64_t>(grid_row) * f.grid_cols * ch;
      for (int x = 0; x < f.width; ++x) {
        const int64_t c0 = static_cast<int64_t>(f.x_lo[x]) * ch, c1 = static_cast<int64_t>(f.x_hi[x]) * ch;
        const double fx = f.x_w[x];
        for (int c = 0; c < ch; ++c) out[x * ch + c] = static_cast<double>(row[c0 + c]) * (1 - fx) + static_cast<double>(row[c1 + c]) * fx;
      }
    };
    std::vector<uint8_t> colour(static_cast<size_t>(f.width) * 3);
    std::vector<uint8_t> drawn(f.width);
    for (int64_t y = y0; y < y1; ++y) {
      if (f.y_lo[y] != cached_lo) horizontal(cached_lo = f.y_lo[y], a);
      if (f.y_hi[y] != cached_hi) horizontal(cached_hi = f.y_hi[y], b);
      const double fy = f.y_w[y];
      // Colours of this row (locals only: byte stores could alias anything read through `f`).
      colour_row(a.data(), b.data(), fy, f.width, ch, f.lut, f.lo, f.hi, scale, f.has_threshold, f.threshold, colour.data(),
                 drawn.data());
      // Written out: plain, or blended over the photo; pixels below the threshold keep the photo
      // (black without one).
      uint8_t* out = out_rgb + y * f.width * 3;
      const uint8_t* photo = f.photo ? f.photo + y * f.width * 3 : nullptr;
      if (photo) blend_row(photo, colour.data(), keep, f.alpha, row_bytes, out);
      else std::copy(colour.begin(), colour.end(), out);
      if (f.has_threshold) {
        for (int x = 0; x < f.width; ++x) {
          if (drawn[x]) continue;
          for (int c = 0; c < 3; ++c) out[x * 3 + c] = photo ? photo[x * 3 + c] : 0;
        }
      }
    }
  });
}

}  // namespace dinov3
