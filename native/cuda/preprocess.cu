// Fused frame preprocessing: pixel-format conversion (packed RGB/BGR(A), gray, NV12) + PIL
// bilinear resize + ToTensor + Normalize, in one kernel writing NCHW fp32 or fp16.
//
// Arithmetic is the CPU core's (native/core/preprocess.cc), step for step:
//   horizontal pass: 22-bit fixed-point taps, +2^21, >> 22, clamp to uint8
//   vertical pass over those uint8 values: the same, then x / 255 and (x - mean) / std in fp32
// so results are bit-identical. Each thread makes one output pixel and recomputes the horizontal
// pass for each of the rows its vertical taps touch (count_y * count_x fetches): a little
// redundant arithmetic, but no intermediate image, one launch, and the frame is read through
// L1/L2 (for 1920x1080 -> 448x448 that is ~9 x 6 taps per pixel). NV12 pixels go through
// dinov3::yuv_to_rgb (native/core/color.h), the function the CPU path uses.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <memory>
#include <string>

#include "../core/color.h"
#include "../core/error.h"
#include "cuda_api.h"
#include "cuda_check.h"
#include "resize_tables.h"

namespace dinov3::cuda {
namespace {

enum class Kind { kPacked, kGray, kNv12 };

struct FrameArgs {
  const uint8_t* data;
  int64_t pitch;
  const uint8_t* uv;
  int64_t uv_pitch;
  int channels;  // packed formats: 3 or 4
  int red;       // byte offset of red within a packed pixel (0 RGB, 2 BGR); blue is 2 - red
  YuvCoefficients yuv;
};

struct NormArgs {
  float mean[3];
  float stdev[3];
};

constexpr int kBits = kResamplePrecisionBits;

__device__ __forceinline__ int32_t clip8(int32_t v) {
  const int32_t shifted = v >> kBits;  // arithmetic shift = floor, as on the CPU
  return shifted < 0 ? 0 : (shifted > 255 ? 255 : shifted);
}

template <Kind kKind>
__device__ __forceinline__ void fetch_rgb(const FrameArgs& f, int x, int y, int32_t rgb[3]) {
  if constexpr (kKind == Kind::kPacked) {
    const uint8_t* p = f.data + y * f.pitch + static_cast<int64_t>(x) * f.channels;
    rgb[0] = __ldg(p + f.red);
    rgb[1] = __ldg(p + 1);
    rgb[2] = __ldg(p + (2 - f.red));
  } else if constexpr (kKind == Kind::kGray) {
    rgb[0] = rgb[1] = rgb[2] = __ldg(f.data + y * f.pitch + x);
  } else {
    const uint8_t* pair = f.uv + (y >> 1) * f.uv_pitch + (x >> 1) * 2;
    uint8_t out[3];
    yuv_to_rgb(__ldg(f.data + y * f.pitch + x), __ldg(pair), __ldg(pair + 1), f.yuv, out);
    rgb[0] = out[0], rgb[1] = out[1], rgb[2] = out[2];
  }
}

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(__half* p, float v) { *p = __float2half_rn(v); }

template <Kind kKind, typename Out>
__global__ void __launch_bounds__(256) preprocess_kernel(FrameArgs f, DeviceAxis ax, DeviceAxis ay, NormArgs norm,
                                                         Out* dst, int out_w, int out_h) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= out_w || y >= out_h) return;
  const int x0 = __ldg(ax.first + x), nx = __ldg(ax.count + x);
  const int y0 = __ldg(ay.first + y), ny = __ldg(ay.count + y);
  const int32_t* wx = ax.weights + static_cast<int64_t>(x) * ax.taps;
  const int32_t* wy = ay.weights + static_cast<int64_t>(y) * ay.taps;
  constexpr int32_t kHalf = 1 << (kBits - 1);
  int32_t v[3] = {kHalf, kHalf, kHalf};
  for (int ty = 0; ty < ny; ++ty) {
    int32_t h[3] = {kHalf, kHalf, kHalf};
    for (int tx = 0; tx < nx; ++tx) {
      int32_t rgb[3];
      fetch_rgb<kKind>(f, x0 + tx, y0 + ty, rgb);
      const int32_t w = __ldg(wx + tx);
      h[0] += rgb[0] * w;
      h[1] += rgb[1] * w;
      h[2] += rgb[2] * w;
    }
    const int32_t w = __ldg(wy + ty);
    v[0] += clip8(h[0]) * w;
    v[1] += clip8(h[1]) * w;
    v[2] += clip8(h[2]) * w;
  }
  const int64_t plane = static_cast<int64_t>(out_w) * out_h;
  Out* out = dst + static_cast<int64_t>(y) * out_w + x;
#pragma unroll
  for (int c = 0; c < 3; ++c) {
    // Explicitly rounded operations: the same float32 result as the CPU's (x / 255 - mean) / std,
    // whatever contraction or fast-math flags the build uses.
    const float value = __fdiv_rn(static_cast<float>(clip8(v[c])), 255.0f);
    store(out + c * plane, __fdiv_rn(__fsub_rn(value, norm.mean[c]), norm.stdev[c]));
  }
}

int packed_channels(FrameFormat f) {
  switch (f) {
    case FrameFormat::kRGB:
    case FrameFormat::kBGR:
      return 3;
    case FrameFormat::kRGBA:
    case FrameFormat::kBGRA:
      return 4;
    case FrameFormat::kGray:
    case FrameFormat::kNV12:
      return 1;
  }
  return 0;
}

void check_frame(const DeviceFrame& frame, int out_width, int out_height, const Normalization& norm, const void* dst,
                 DType dst_type) {
  const int format = static_cast<int>(frame.format);
  require(format >= 0 && format <= static_cast<int>(FrameFormat::kNV12), codes::kInvalidArgument,
          "unknown frame format");
  require(frame.data != nullptr, codes::kInvalidArgument, "frame has no pixel data");
  require(frame.width > 0 && frame.height > 0, codes::kInvalidArgument,
          "frame size must be positive, got " + std::to_string(frame.width) + "x" + std::to_string(frame.height));
  const int64_t row_bytes = static_cast<int64_t>(frame.width) * packed_channels(frame.format);
  require(frame.pitch >= row_bytes, codes::kInvalidArgument,
          "row pitch " + std::to_string(frame.pitch) + " is smaller than width * channels");
  if (frame.format == FrameFormat::kNV12) {
    require(frame.uv != nullptr, codes::kInvalidArgument, "NV12 frame has no UV plane");
    const int64_t uv_row = 2 * ((static_cast<int64_t>(frame.width) + 1) / 2);
    require(frame.uv_pitch >= uv_row, codes::kInvalidArgument,
            "NV12 chroma pitch " + std::to_string(frame.uv_pitch) + " is smaller than " + std::to_string(uv_row));
  }
  require(out_width > 0 && out_height > 0, codes::kInvalidArgument,
          "output size must be positive, got " + std::to_string(out_width) + "x" + std::to_string(out_height));
  for (int c = 0; c < 3; ++c)
    require(norm.std[c] != 0.0f, codes::kInvalidArgument, "normalisation std must not be zero");
  require(dst != nullptr, codes::kInvalidArgument, "preprocess: no destination buffer");
  require(dst_type == DType::kFloat32 || dst_type == DType::kFloat16, codes::kInvalidArgument,
          "preprocess: unknown destination type");
}

template <typename Out>
void launch(Kind kind, const FrameArgs& f, const DeviceResizeTables& t, const NormArgs& n, Out* dst, int out_w,
            int out_h, cudaStream_t stream) {
  const dim3 block(32, 8);
  const dim3 grid((out_w + 31) / 32, (out_h + 7) / 8);
  switch (kind) {
    case Kind::kPacked:
      preprocess_kernel<Kind::kPacked><<<grid, block, 0, stream>>>(f, t.x, t.y, n, dst, out_w, out_h);
      break;
    case Kind::kGray:
      preprocess_kernel<Kind::kGray><<<grid, block, 0, stream>>>(f, t.x, t.y, n, dst, out_w, out_h);
      break;
    case Kind::kNv12:
      preprocess_kernel<Kind::kNv12><<<grid, block, 0, stream>>>(f, t.x, t.y, n, dst, out_w, out_h);
      break;
  }
  check_launch("preprocess kernel");
}

}  // namespace

void preprocess(const DeviceFrame& frame, int out_width, int out_height, const Normalization& norm, void* dst,
                DType dst_type, Stream stream) {
  check_frame(frame, out_width, out_height, norm, dst, dst_type);
  require_device();
  const auto s = static_cast<cudaStream_t>(stream);
  FrameArgs f{};
  f.data = frame.data;
  f.pitch = frame.pitch;
  f.uv = frame.uv;
  f.uv_pitch = frame.uv_pitch;
  f.channels = packed_channels(frame.format);
  f.red = (frame.format == FrameFormat::kBGR || frame.format == FrameFormat::kBGRA) ? 2 : 0;
  f.yuv = bt601_coefficients(frame.full_range);
  const Kind kind = frame.format == FrameFormat::kNV12   ? Kind::kNv12
                    : frame.format == FrameFormat::kGray ? Kind::kGray
                                                         : Kind::kPacked;
  NormArgs n{};
  for (int c = 0; c < 3; ++c) n.mean[c] = norm.mean[c], n.stdev[c] = norm.std[c];
  std::unique_ptr<StreamScratch> fallback;
  const DeviceResizeTables tables = resize_tables(frame.width, frame.height, out_width, out_height, s, fallback);
  if (dst_type == DType::kFloat16) {
    launch(kind, f, tables, n, static_cast<__half*>(dst), out_width, out_height, s);
  } else {
    launch(kind, f, tables, n, static_cast<float*>(dst), out_width, out_height, s);
  }
}

}  // namespace dinov3::cuda
