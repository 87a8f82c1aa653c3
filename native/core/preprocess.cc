#include "preprocess.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "error.h"
#include "parallel.h"
#include "resize_kernels.h"
#include "resize_rows.h"

namespace dinov3 {
namespace {

double triangle(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

uint8_t clip8(int32_t v) {
  const int32_t shifted = v >> kResamplePrecisionBits;  // arithmetic shift = floor
  return static_cast<uint8_t>(std::clamp(shifted, 0, 255));
}

void check_image(const ImageView& src, int out_width, int out_height) {
  require(src.data != nullptr, codes::kInvalidArgument, "image has no pixel data");
  require(src.width > 0 && src.height > 0, codes::kInvalidArgument,
          "image size must be positive, got " + std::to_string(src.width) + "x" + std::to_string(src.height));
  require(static_cast<int>(src.format) >= 0 && static_cast<int>(src.format) <= 4, codes::kInvalidArgument,
          "unknown pixel format");
  require(src.row_bytes >= static_cast<int64_t>(src.width) * channels_of(src.format), codes::kInvalidArgument,
          "row pitch " + std::to_string(src.row_bytes) + " is smaller than width * channels");
  require(out_width > 0 && out_height > 0, codes::kInvalidArgument,
          "output size must be positive, got " + std::to_string(out_width) + "x" + std::to_string(out_height));
}

}  // namespace

int channels_of(PixelFormat format) {
  switch (format) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR:
      return 3;
    case PixelFormat::kRGBA:
    case PixelFormat::kBGRA:
      return 4;
    case PixelFormat::kGray:
      return 1;
  }
  return 0;
}

namespace {

// One row of `width` pixels in `format` to packed RGB. The switch is outside the pixel loop so
// each loop is a plain copy the compiler can vectorise.
void row_to_rgb(const uint8_t* in, PixelFormat format, int width, uint8_t* out) {
  switch (format) {
    case PixelFormat::kRGB:
      std::copy(in, in + static_cast<size_t>(width) * 3, out);
      break;
    case PixelFormat::kRGBA:
      for (int x = 0; x < width; ++x) out[3 * x] = in[4 * x], out[3 * x + 1] = in[4 * x + 1], out[3 * x + 2] = in[4 * x + 2];
      break;
    case PixelFormat::kBGR:
      for (int x = 0; x < width; ++x) out[3 * x] = in[3 * x + 2], out[3 * x + 1] = in[3 * x + 1], out[3 * x + 2] = in[3 * x];
      break;
    case PixelFormat::kBGRA:
      for (int x = 0; x < width; ++x) out[3 * x] = in[4 * x + 2], out[3 * x + 1] = in[4 * x + 1], out[3 * x + 2] = in[4 * x];
      break;
    case PixelFormat::kGray:
      for (int x = 0; x < width; ++x) out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = in[x];
      break;
  }
}

std::vector<uint8_t> to_rgb(const ImageView& src) {
  std::vector<uint8_t> rgb(static_cast<size_t>(src.width) * src.height * 3);
  to_packed_rgb(src, rgb.data());
  return rgb;
}

}  // namespace

void to_packed_rgb(const ImageView& src, uint8_t* out_rgb) {
  check_image(src, 1, 1);
  require(out_rgb != nullptr, codes::kInvalidArgument, "no output buffer");
  parallel_for(src.height, 64, [&](int64_t y0, int64_t y1, int64_t) {
    for (int64_t y = y0; y < y1; ++y) row_to_rgb(src.data + y * src.row_bytes, src.format, src.width, out_rgb + y * src.width * 3);
  });
}

ResampleAxis bilinear_axis(int in_size, int out_size) {
  ResampleAxis axis;
  axis.in_size = in_size;
  axis.out_size = out_size;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 1.0 * filterscale;
  axis.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  axis.first.resize(out_size);
  axis.count.resize(out_size);
  axis.weights.assign(static_cast<size_t>(out_size) * axis.taps, 0);
  std::vector<double> k(axis.taps);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);  // truncation, as in PIL
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = triangle((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    int32_t* w = &axis.weights[static_cast<size_t>(xx) * axis.taps];
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? k[x] / ww : k[x];
      const double scaled = v * (1 << kResamplePrecisionBits);
      w[x] = static_cast<int32_t>(v < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    axis.first[xx] = xmin;
    axis.count[xx] = xmax;
  }
  return axis;
}

namespace {

// The scalar reference: PIL's loops as they are.
void resize_rgb_scalar(const ImageView& src, int out_width, int out_height, uint8_t* out_rgb) {
  std::vector<uint8_t> rgb = to_rgb(src);
  const int in_w = src.width, in_h = src.height;

  // Horizontal pass (skipped when the width does not change, as PIL does).
  std::vector<uint8_t> horizontal;
  const uint8_t* rows = rgb.data();
  if (out_width != in_w) {
    const ResampleAxis ax = bilinear_axis(in_w, out_width);
    horizontal.resize(static_cast<size_t>(out_width) * in_h * 3);
    parallel_for(in_h, 32, [&](int64_t y0, int64_t y1, int64_t) {
      for (int64_t y = y0; y < y1; ++y) {
        const uint8_t* in = rgb.data() + y * in_w * 3;
        uint8_t* out = horizontal.data() + y * out_width * 3;
        for (int xx = 0; xx < out_width; ++xx) {
          const int32_t* w = &ax.weights[static_cast<size_t>(xx) * ax.taps];
          const uint8_t* p = in + ax.first[xx] * 3;
          int32_t s0 = 1 << (kResamplePrecisionBits - 1), s1 = s0, s2 = s0;
          for (int t = 0; t < ax.count[xx]; ++t, p += 3) {
            s0 += p[0] * w[t];
            s1 += p[1] * w[t];
            s2 += p[2] * w[t];
          }
          out[xx * 3 + 0] = clip8(s0);
          out[xx * 3 + 1] = clip8(s1);
          out[xx * 3 + 2] = clip8(s2);
        }
      }
    });
    rows = horizontal.data();
  }

  // Vertical pass.
  const int64_t row_len = static_cast<int64_t>(out_width) * 3;
  if (out_height == in_h) {
    std::copy(rows, rows + row_len * in_h, out_rgb);
    return;
  }
  const ResampleAxis ay = bilinear_axis(in_h, out_height);
  parallel_for(out_height, 16, [&](int64_t y0, int64_t y1, int64_t) {
    for (int64_t yy = y0; yy < y1; ++yy) {
      const int32_t* w = &ay.weights[static_cast<size_t>(yy) * ay.taps];
      const uint8_t* base = rows + static_cast<int64_t>(ay.first[yy]) * row_len;
      uint8_t* out = out_rgb + yy * row_len;
      for (int64_t i = 0; i < row_len; ++i) {
        int32_t s = 1 << (kResamplePrecisionBits - 1);
        const uint8_t* p = base + i;
        for (int t = 0; t < ay.count[yy]; ++t, p += row_len) s += *p * w[t];
        out[i] = clip8(s);
      }
    }
  });
}

void preprocess_scalar(const ImageView& src, int out_width, int out_height, const Normalization& norm,
                       float* out_nchw) {
  std::vector<uint8_t> rgb(static_cast<size_t>(out_width) * out_height * 3);
  resize_rgb_scalar(src, out_width, out_height, rgb.data());
  const int64_t plane = static_cast<int64_t>(out_width) * out_height;
  // Same float32 operations as torchvision: (x / 255) then (x - mean) / std.
  for (int c = 0; c < 3; ++c) {
    const float mean = norm.mean[c], stdev = norm.std[c];
    require(stdev != 0.0f, codes::kInvalidArgument, "normalisation std must not be zero");
    float* out = out_nchw + c * plane;
    for (int64_t i = 0; i < plane; ++i) {
      const float v = static_cast<float>(rgb[i * 3 + c]) / 255.0f;
      out[i] = (v - mean) / stdev;
    }
  }
}


// The row kernels of `kernel`, or nullptr for the scalar reference.
const RowKernels* vector_kernels(ResizeKernel kernel) {
  if (kernel == ResizeKernel::kScalar) return nullptr;
  require(resize_kernel_supported(kernel), codes::kInvalidArgument,
          std::string("resize kernel ") + resize_kernel_name(kernel) + " is not available on this CPU or build");
  return row_kernels(kernel);
}

}  // namespace

void resize_rgb(const ImageView& src, int out_width, int out_height, uint8_t* out_rgb, ResizeKernel kernel) {
  check_image(src, out_width, out_height);
  const RowKernels* k = vector_kernels(kernel);
  if (k == nullptr) return resize_rgb_scalar(src, out_width, out_height, out_rgb);
  const int64_t length = static_cast<int64_t>(out_width) * 3;
  resize_rows(*k, src, out_width, out_height,
              [&](int64_t y, const uint8_t* row) { std::copy(row, row + length, out_rgb + y * length); });
}

void resize_rgb(const ImageView& src, int out_width, int out_height, uint8_t* out_rgb) {
  resize_rgb(src, out_width, out_height, out_rgb, selected_resize_kernel());
}

void preprocess(const ImageView& src, int out_width, int out_height, const Normalization& norm, float* out_nchw,
                ResizeKernel kernel) {
  check_image(src, out_width, out_height);
  for (float s : norm.std) require(s != 0.0f, codes::kInvalidArgument, "normalisation std must not be zero");
  const RowKernels* k = vector_kernels(kernel);
  if (k == nullptr) return preprocess_scalar(src, out_width, out_height, norm, out_nchw);
  // Normalisation fused into the last pass: each level's float, computed once with the scalar
  // path's operations (so the same bits), looked up per pixel as each output row is finished.
  float table[3][256];
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) table[c][v] = (static_cast<float>(v) / 255.0f - norm.mean[c]) / norm.std[c];
  }
  const int64_t plane = static_cast<int64_t>(out_width) * out_height;
  resize_rows(*k, src, out_width, out_height, [&](int64_t y, const uint8_t* row) {
    float* r = out_nchw + y * out_width;
    float* g = r + plane;
    float* b = g + plane;
    for (int x = 0; x < out_width; ++x) {
      r[x] = table[0][row[3 * x]];
      g[x] = table[1][row[3 * x + 1]];
      b[x] = table[2][row[3 * x + 2]];
    }
  });
}

void preprocess(const ImageView& src, int out_width, int out_height, const Normalization& norm, float* out_nchw) {
  preprocess(src, out_width, out_height, norm, out_nchw, selected_resize_kernel());
}

}  // namespace dinov3
