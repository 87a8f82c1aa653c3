// NV12 (BT.601 YCbCr 4:2:0) to RGB conversion, in integer fixed point so that the CUDA
// preprocessing kernel (native/cuda) reproduces it bit for bit: both call yuv_to_rgb below.
//
// Arithmetic (documented because the GPU must match it exactly):
//   luma   = (Y - y_offset) * ky + 2^15             (y_offset 16 for limited range, 0 for full)
//   R      = clamp8((luma + rv * (V - 128)) >> 16)
//   G      = clamp8((luma - gu * (U - 128) - gv * (V - 128)) >> 16)
//   B      = clamp8((luma + bu * (U - 128)) >> 16)
// The coefficients are the BT.601 matrix (Kr = 0.299, Kb = 0.114) scaled by 2^16 and rounded to
// the nearest integer; the limited-range ones also carry the 255/219 (luma) and 255/224 (chroma)
// range expansion. Adding 2^15 before the floor shift rounds half up. The sum is clamped to
// [0, 2^24 - 1] before shifting, so no negative number is ever shifted (C++17 leaves that
// implementation-defined) and the result is the value rounded and clamped to [0, 255].
// Every term fits easily in int32 (|sum| < 2^26).
//
// Chroma is point-sampled: the UV pair at (x / 2, y / 2) serves the 2x2 block of luma pixels it
// covers (no chroma interpolation), which is what most decoders' plain NV12 -> RGB paths do.
#pragma once
#include <cstdint>

#include "host_device.h"

namespace dinov3 {

struct YuvCoefficients {
  int32_t y_offset;  // 16 (limited range) or 0 (full range)
  int32_t ky;        // luma scale
  int32_t rv;        // V -> R
  int32_t gu;        // U -> G (subtracted)
  int32_t gv;        // V -> G (subtracted)
  int32_t bu;        // U -> B
};

inline constexpr int kYuvFractionBits = 16;

// A function rather than a constexpr object so that device code can use it without
// --expt-relaxed-constexpr.
DINOV3_HOST_DEVICE constexpr YuvCoefficients bt601_coefficients(bool full_range) {
  // round(c * 65536) of: 255/219, 1.402*255/224, 0.344136*255/224, 0.714136*255/224, 1.772*255/224
  // (limited) and 1, 1.402, 0.344136, 0.714136, 1.772 (full).
  return full_range ? YuvCoefficients{0, 65536, 91881, 22553, 46802, 116130}
                    : YuvCoefficients{16, 76309, 104597, 25675, 53279, 132201};
}

DINOV3_HOST_DEVICE inline uint8_t yuv_clamp8(int32_t v) {
  constexpr int32_t kMax = (256 << kYuvFractionBits) - 1;
  v = v < 0 ? 0 : (v > kMax ? kMax : v);
  return static_cast<uint8_t>(v >> kYuvFractionBits);
}

// One pixel: y, u, v in [0, 255]; writes rgb[0..2].
DINOV3_HOST_DEVICE inline void yuv_to_rgb(int32_t y, int32_t u, int32_t v, const YuvCoefficients& k, uint8_t* rgb) {
  const int32_t luma = (y - k.y_offset) * k.ky + (1 << (kYuvFractionBits - 1));
  const int32_t d = u - 128, e = v - 128;
  rgb[0] = yuv_clamp8(luma + k.rv * e);
  rgb[1] = yuv_clamp8(luma - k.gu * d - k.gv * e);
  rgb[2] = yuv_clamp8(luma + k.bu * d);
}

// Converts an NV12 frame (Y plane, then an interleaved U,V plane at half resolution; odd sizes
// round the chroma plane up) to packed RGB, width * 3 bytes per row, no padding.
// y_pitch >= width and uv_pitch >= 2 * ceil(width / 2) bytes; the UV plane has ceil(height / 2)
// rows. Throws ERR_DINO_INVALID_ARGUMENT on bad sizes or null planes.
void nv12_to_rgb(const uint8_t* y, int64_t y_pitch, const uint8_t* uv, int64_t uv_pitch, int width, int height,
                 bool full_range, uint8_t* rgb);

}  // namespace dinov3
