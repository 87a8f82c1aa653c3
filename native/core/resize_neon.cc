// NEON row kernels of the PIL-exact resize (arm64, where NEON is always present). The products
// are taken in int32 lanes with the full 22-bit weights (vmlaq), which is exact: every partial
// sum of non-negative products stays below 2^31.
#include "resize_kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#include "resize_rows_scalar.h"

namespace dinov3 {
namespace {

constexpr int32_t kRound = 1 << (kResamplePrecisionBits - 1);

// Levels 0..255 of four int32 sums (rounding already included).
inline uint8x8_t to_levels(int32x4_t a, int32x4_t b) {
  const uint16x8_t halves =
      vcombine_u16(vqmovun_s32(vshrq_n_s32(a, kResamplePrecisionBits)), vqmovun_s32(vshrq_n_s32(b, kResamplePrecisionBits)));
  return vqmovn_u16(halves);
}

void neon_horizontal_row(const ResizePlan& plan, const uint8_t* row, PixelLayout l, uint8_t* out) {
  const int c = l.channels;
  // Two pixels (8 loaded bytes) -> [R0 G0 B0 0 R1 G1 B1 0]; index 8 reads as 0 in vtbl1.
  const uint8_t idx_bytes[8] = {static_cast<uint8_t>(l.r),     static_cast<uint8_t>(l.g),     static_cast<uint8_t>(l.b),     8,
                                static_cast<uint8_t>(l.r + c), static_cast<uint8_t>(l.g + c), static_cast<uint8_t>(l.b + c), 8};
  const uint8x8_t idx = vld1_u8(idx_bytes);
  const int n = plan.out_size;
  for (int x = 0; x < n; ++x) {
    const int pairs = plan.pairs[x];
    if (!rows::loads_fit(plan, x, pairs, c, 8)) {
      rows::horizontal_sample(plan, x, row, l, out + 3 * x);
      continue;
    }
    const uint8_t* p = row + static_cast<int64_t>(plan.first[x]) * c;
    const int32_t* w = &plan.weights[static_cast<size_t>(x) * plan.steps * 2];
    int32x4_t acc0 = vdupq_n_s32(kRound), acc1 = vdupq_n_s32(0);
    for (int s = 0; s < pairs; ++s, p += 2 * c) {
      const uint16x8_t px = vmovl_u8(vtbl1_u8(vld1_u8(p), idx));
      acc0 = vmlaq_n_s32(acc0, vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(px))), w[2 * s]);
      acc1 = vmlaq_n_s32(acc1, vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(px))), w[2 * s + 1]);
    }
    const int32x4_t sum = vaddq_s32(acc0, acc1);
    const uint8x8_t v = to_levels(sum, sum);
    out[3 * x] = vget_lane_u8(v, 0);
    out[3 * x + 1] = vget_lane_u8(v, 1);
    out[3 * x + 2] = vget_lane_u8(v, 2);
  }
}

void neon_horizontal(const ResizePlan& plan, const uint8_t* rows, int64_t pitch, int count, PixelLayout l, uint8_t* out,
                     int64_t out_pitch) {
  for (int r = 0; r < count; ++r) neon_horizontal_row(plan, rows + r * pitch, l, out + r * out_pitch);
}

void neon_vertical(const ResizePlan& plan, int index, const uint8_t* rows, int64_t pitch, int64_t length, uint8_t* out) {
  const int32_t* w = &plan.weights[static_cast<size_t>(index) * plan.steps * 2];
  const int taps = plan.count[index];
  const uint8_t* base = rows + static_cast<int64_t>(plan.first[index]) * pitch;
  int64_t i = 0;
  for (; i + 16 <= length; i += 16) {
    int32x4_t acc[4];
    for (int k = 0; k < 4; ++k) acc[k] = vdupq_n_s32(kRound);
    const uint8_t* p = base + i;
    for (int t = 0; t < taps; ++t, p += pitch) {
      const uint8x16_t v = vld1q_u8(p);
      const uint16x8_t lo = vmovl_u8(vget_low_u8(v)), hi = vmovl_u8(vget_high_u8(v));
      acc[0] = vmlaq_n_s32(acc[0], vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(lo))), w[t]);
      acc[1] = vmlaq_n_s32(acc[1], vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(lo))), w[t]);
      acc[2] = vmlaq_n_s32(acc[2], vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(hi))), w[t]);
      acc[3] = vmlaq_n_s32(acc[3], vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(hi))), w[t]);
    }
    vst1q_u8(out + i, vcombine_u8(to_levels(acc[0], acc[1]), to_levels(acc[2], acc[3])));
  }
  rows::vertical_span(plan, index, rows, pitch, i, length, out);
}

const RowKernels kNeon{neon_horizontal, neon_vertical, false};

}  // namespace

const RowKernels* neon_row_kernels() { return &kNeon; }

}  // namespace dinov3

#else

namespace dinov3 {
const RowKernels* neon_row_kernels() { return nullptr; }
}  // namespace dinov3

#endif
