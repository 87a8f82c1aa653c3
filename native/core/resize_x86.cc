// SSE4.1 and AVX2 row kernels of the PIL-exact resize (see resize_plan.h for the arithmetic).
// Each function carries its own target attribute, so this file builds with the baseline flags
// and nothing here runs unless resize_dispatch.cc found the instructions on the CPU.
#include "resize_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include <cstring>

#include "resize_rows_scalar.h"

#define DINOV3_SSE41 __attribute__((target("sse4.1"), always_inline)) inline
#define DINOV3_SSE41_FN __attribute__((target("sse4.1")))
#define DINOV3_AVX2_FN __attribute__((target("avx2")))

#pragma GCC diagnostic ignored "-Wpsabi"

namespace dinov3 {
namespace {

constexpr int32_t kRound = 1 << (kResamplePrecisionBits - 1);

// pshufb mask: pixels `first` and first + 1 of 16 loaded bytes -> int16 [R0 R1 G0 G1 B0 B1 0 0],
// so that pmaddwd with a (w0, w1) pair per 32-bit lane gives the R, G, B sums of the two taps.
DINOV3_SSE41 __m128i pair_mask(PixelLayout l, int first) {
  const int c = l.channels, o = first * c;
  return _mm_setr_epi8(static_cast<char>(o + l.r), -1, static_cast<char>(o + l.r + c), -1, static_cast<char>(o + l.g), -1,
                       static_cast<char>(o + l.g + c), -1, static_cast<char>(o + l.b), -1, static_cast<char>(o + l.b + c), -1,
                       -1, -1, -1, -1);
}

// Masks for taps (0, 1) and (2, 3) of one 16-byte load.
struct QuadMasks {
  __m128i m01, m23;
};
DINOV3_SSE41 QuadMasks quad_masks(PixelLayout l) { return {pair_mask(l, 0), pair_mask(l, 2)}; }

// (high << 15) + low + rounding, shifted to levels: exact PIL sums per 32-bit lane.
DINOV3_SSE41 __m128i levels(__m128i low, __m128i high) {
  const __m128i sum = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(high, kResampleLowBits), low), _mm_set1_epi32(kRound));
  return _mm_srai_epi32(sum, kResamplePrecisionBits);
}

// Writes the R, G, B levels of lanes 0..2 of v; `wide` allows a 4-byte store (the 4th byte is
// rewritten by the next sample).
DINOV3_SSE41 void store_rgb(__m128i v, uint8_t* out, bool wide) {
  const __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(v, v), v);
  const uint32_t word = static_cast<uint32_t>(_mm_cvtsi128_si32(bytes));
  if (wide) {
    std::memcpy(out, &word, 4);
  } else {
    out[0] = static_cast<uint8_t>(word), out[1] = static_cast<uint8_t>(word >> 8), out[2] = static_cast<uint8_t>(word >> 16);
  }
}

constexpr int kLoadBytes = kQuadLoadBytes;

DINOV3_SSE41 __m128i load16(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// Weight block of pair step s for the sample pair q (see ResizePlan::broadcast).
DINOV3_SSE41 const uint32_t* weight_block(const ResizePlan& plan, int q, int s) {
  return &plan.broadcast[(static_cast<size_t>(q) * plan.broadcast_steps + s) * 16];
}

// Four taps (two pair steps) per 16-byte load: the loads of `quads` steps from sample x must fit.
DINOV3_SSE41 bool quads_fit(const ResizePlan& plan, int x, int quads, int channels) {
  return rows::loads_fit(plan, x, 2 * quads - 1, channels, kLoadBytes);
}

// One output sample with 128-bit vectors.
DINOV3_SSE41 void horizontal_one(const ResizePlan& plan, int x, const uint8_t* row, PixelLayout l, QuadMasks m, uint8_t* out,
                                 bool wide) {
  const int quads = (plan.pairs[x] + 1) / 2;
  if (!quads_fit(plan, x, quads, l.channels)) return rows::horizontal_sample(plan, x, row, l, out);
  const uint8_t* p = row + static_cast<int64_t>(plan.first[x]) * l.channels;
  const __m128i* w = reinterpret_cast<const __m128i*>(weight_block(plan, x / 2, 0)) + (x % 2);
  __m128i low = _mm_setzero_si128(), high = _mm_setzero_si128();
  for (int s = 0; s < quads; ++s, p += 4 * l.channels, w += 8) {
    const __m128i v = load16(p);
    const __m128i a = _mm_shuffle_epi8(v, m.m01), b = _mm_shuffle_epi8(v, m.m23);
    low = _mm_add_epi32(low, _mm_add_epi32(_mm_madd_epi16(a, _mm_loadu_si128(w)), _mm_madd_epi16(b, _mm_loadu_si128(w + 4))));
    high = _mm_add_epi32(high, _mm_add_epi32(_mm_madd_epi16(a, _mm_loadu_si128(w + 2)), _mm_madd_epi16(b, _mm_loadu_si128(w + 6))));
  }
  store_rgb(levels(low, high), out, wide);
}

// Pairs (a0 b0 a1 b1 ...) of 16 bytes of two rows, as four int16 vectors for pmaddwd.
struct Pairs16 {
  __m128i p[4];
};
DINOV3_SSE41 Pairs16 interleave16(const uint8_t* a, const uint8_t* b) {
  const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
  const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  const __m128i lo = _mm_unpacklo_epi8(va, vb), hi = _mm_unpackhi_epi8(va, vb), zero = _mm_setzero_si128();
  return {{_mm_unpacklo_epi8(lo, zero), _mm_unpackhi_epi8(lo, zero), _mm_unpacklo_epi8(hi, zero), _mm_unpackhi_epi8(hi, zero)}};
}

// Bytes [i, i + 16) of a vertical output row.
DINOV3_SSE41 void vertical16(const ResizePlan& plan, int index, const uint8_t* rows, int64_t pitch, int64_t i, uint8_t* out) {
  const uint32_t* lw = &plan.low[static_cast<size_t>(index) * plan.steps];
  const uint32_t* hw = &plan.high[static_cast<size_t>(index) * plan.steps];
  __m128i low[4], high[4];
  for (int k = 0; k < 4; ++k) low[k] = high[k] = _mm_setzero_si128();
  for (int s = 0; s < plan.pairs[index]; ++s) {
    const Pairs16 px = interleave16(rows::tap_row(plan, index, 2 * s, rows, pitch) + i,
                                    rows::tap_row(plan, index, 2 * s + 1, rows, pitch) + i);
    const __m128i wl = _mm_set1_epi32(static_cast<int>(lw[s])), wh = _mm_set1_epi32(static_cast<int>(hw[s]));
    for (int k = 0; k < 4; ++k) {
      low[k] = _mm_add_epi32(low[k], _mm_madd_epi16(px.p[k], wl));
      high[k] = _mm_add_epi32(high[k], _mm_madd_epi16(px.p[k], wh));
    }
  }
  const __m128i a = _mm_packs_epi32(levels(low[0], high[0]), levels(low[1], high[1]));
  const __m128i b = _mm_packs_epi32(levels(low[2], high[2]), levels(low[3], high[3]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_packus_epi16(a, b));
}

DINOV3_SSE41_FN void sse41_horizontal(const ResizePlan& plan, const uint8_t* row, PixelLayout l, uint8_t* out) {
  const QuadMasks masks = quad_masks(l);
  const int n = plan.out_size;
  for (int x = 0; x < n; ++x) horizontal_one(plan, x, row, l, masks, out + 3 * x, x + 1 < n);
}

DINOV3_SSE41_FN void sse41_vertical(const ResizePlan& plan, int index, const uint8_t* rows, int64_t pitch, int64_t length,
                                    uint8_t* out) {
  int64_t i = 0;
  for (; i + 16 <= length; i += 16) vertical16(plan, index, rows, pitch, i, out);
  rows::vertical_span(plan, index, rows, pitch, i, length, out);
}

// ---- AVX2: two output samples per vector in the horizontal pass, 32 bytes in the vertical ----

// Q steps of four taps for two samples (pa, pb), summed into low and high.
template <int Q>
__attribute__((target("avx2"), always_inline)) inline void quad_steps(const uint8_t* pa, const uint8_t* pb, int64_t stride,
                                                                     const __m256i* w, __m256i m01, __m256i m23, __m256i& low,
                                                                     __m256i& high) {
  for (int s = 0; s < Q; ++s, pa += stride, pb += stride, w += 4) {
    const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(load16(pa)), load16(pb), 1);
    const __m256i a = _mm256_shuffle_epi8(v, m01), b = _mm256_shuffle_epi8(v, m23);
    low = _mm256_add_epi32(low, _mm256_add_epi32(_mm256_madd_epi16(a, _mm256_loadu_si256(w)), _mm256_madd_epi16(b, _mm256_loadu_si256(w + 2))));
    high = _mm256_add_epi32(high, _mm256_add_epi32(_mm256_madd_epi16(a, _mm256_loadu_si256(w + 1)), _mm256_madd_epi16(b, _mm256_loadu_si256(w + 3))));
  }
}

DINOV3_AVX2_FN void avx2_horizontal(const ResizePlan& plan, const uint8_t* row, PixelLayout l, uint8_t* out) {
  const QuadMasks masks = quad_masks(l);
  const __m256i m01 = _mm256_broadcastsi128_si256(masks.m01), m23 = _mm256_broadcastsi128_si256(masks.m23);
  const __m256i round = _mm256_set1_epi32(kRound);
  const int n = plan.out_size;
  const int64_t stride = 4 * l.channels;
  // The sample pairs whose loads all fit, then the rest one sample at a time.
  const int fitting = plan.fitting_pairs[l.channels];
  for (int q = 0; q < fitting; ++q) {
    const int x = 2 * q;
    const int quads = (std::max(plan.pairs[x], plan.pairs[x + 1]) + 1) / 2;
    const uint8_t* pa = row + static_cast<int64_t>(plan.first[x]) * l.channels;
    const uint8_t* pb = row + static_cast<int64_t>(plan.first[x + 1]) * l.channels;
    const __m256i* w = reinterpret_cast<const __m256i*>(weight_block(plan, q, 0));
    __m256i low = _mm256_setzero_si256(), high = _mm256_setzero_si256();
    // Unrolled for the common counts of 4-tap steps (shrinking up to 16x, enlarging any amount).
    switch (quads) {
      case 1: quad_steps<1>(pa, pb, stride, w, m01, m23, low, high); break;
      case 2: quad_steps<2>(pa, pb, stride, w, m01, m23, low, high); break;
      case 3: quad_steps<3>(pa, pb, stride, w, m01, m23, low, high); break;
      case 4: quad_steps<4>(pa, pb, stride, w, m01, m23, low, high); break;
      case 5: quad_steps<5>(pa, pb, stride, w, m01, m23, low, high); break;
      case 6: quad_steps<6>(pa, pb, stride, w, m01, m23, low, high); break;
      default:
        for (int s = 0; s < quads; s += 6, pa += 6 * stride, pb += 6 * stride, w += 24) {
          if (quads - s >= 6) quad_steps<6>(pa, pb, stride, w, m01, m23, low, high);
          else for (int t = s; t < quads; ++t) quad_steps<1>(pa + (t - s) * stride, pb + (t - s) * stride, stride, w + 4 * (t - s), m01, m23, low, high);
        }
    }
    const __m256i v = _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(high, kResampleLowBits), low), round),
                                        kResamplePrecisionBits);
    const __m256i halves = _mm256_packs_epi32(v, v);
    const __m256i bytes = _mm256_packus_epi16(halves, halves);  // per lane: R G B 0 ...
    const uint32_t first = static_cast<uint32_t>(_mm256_cvtsi256_si32(bytes));
    const uint32_t second = static_cast<uint32_t>(_mm256_extract_epi32(bytes, 4));
    std::memcpy(out + 3 * x, &first, 4);
    if (x + 2 < n) {
      std::memcpy(out + 3 * x + 3, &second, 4);
    } else {
      out[3 * x + 3] = static_cast<uint8_t>(second), out[3 * x + 4] = static_cast<uint8_t>(second >> 8),
                  out[3 * x + 5] = static_cast<uint8_t>(second >> 16);
    }
  }
  for (int x = 2 * fitting; x < n; ++x) horizontal_one(plan, x, row, l, masks, out + 3 * x, x + 1 < n);
}

DINOV3_AVX2_FN void avx2_vertical(const ResizePlan& plan, int index, const uint8_t* rows, int64_t pitch, int64_t length,
                                  uint8_t* out) {
  const uint32_t* lw = &plan.low[static_cast<size_t>(index) * plan.steps];
  const uint32_t* hw = &plan.high[static_cast<size_t>(index) * plan.steps];
  const __m256i zero = _mm256_setzero_si256(), round = _mm256_set1_epi32(kRound);
  int64_t i = 0;
  for (; i + 32 <= length; i += 32) {
    __m256i low[4], high[4];
    for (int k = 0; k < 4; ++k) low[k] = high[k] = zero;
    for (int s = 0; s < plan.pairs[index]; ++s) {
      const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows::tap_row(plan, index, 2 * s, rows, pitch) + i));
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows::tap_row(plan, index, 2 * s + 1, rows, pitch) + i));
      const __m256i lo = _mm256_unpacklo_epi8(a, b), hi = _mm256_unpackhi_epi8(a, b);
      // Per 128-bit lane: bytes 0-3, 4-7, 8-11, 12-15 of that lane's 16.
      const __m256i px[4] = {_mm256_unpacklo_epi8(lo, zero), _mm256_unpackhi_epi8(lo, zero), _mm256_unpacklo_epi8(hi, zero),
                             _mm256_unpackhi_epi8(hi, zero)};
      const __m256i wl = _mm256_set1_epi32(static_cast<int>(lw[s])), wh = _mm256_set1_epi32(static_cast<int>(hw[s]));
      for (int k = 0; k < 4; ++k) {
        low[k] = _mm256_add_epi32(low[k], _mm256_madd_epi16(px[k], wl));
        high[k] = _mm256_add_epi32(high[k], _mm256_madd_epi16(px[k], wh));
      }
    }
    __m256i v[4];
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(high[k], kResampleLowBits), low[k]), round),
                               kResamplePrecisionBits);
    }
    // packs/packus work per lane, which puts the bytes back in order: lane 0 = bytes 0..15.
    const __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), bytes);
  }
  for (; i + 16 <= length; i += 16) vertical16(plan, index, rows, pitch, i, out);
  rows::vertical_span(plan, index, rows, pitch, i, length, out);
}

const RowKernels kSse41{sse41_horizontal, sse41_vertical, true};
const RowKernels kAvx2{avx2_horizontal, avx2_vertical, true};

}  // namespace

const RowKernels* x86_sse41_row_kernels() { return &kSse41; }
const RowKernels* x86_avx2_row_kernels() { return &kAvx2; }

}  // namespace dinov3

#else

namespace dinov3 {
const RowKernels* x86_sse41_row_kernels() { return nullptr; }
const RowKernels* x86_avx2_row_kernels() { return nullptr; }
}  // namespace dinov3

#endif
