// The 128-bit pieces of the x86 resize kernels (resize_x86.cc), shared by the SSE4.1 kernel and,
// inlined, by the AVX2 ones for the samples and bytes their 256-bit loops leave over. Include
// only from files that check for x86 (every function carries target("sse4.1")).
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "resize_rows_scalar.h"

#define DINOV3_SSE41 __attribute__((target("sse4.1"), always_inline)) inline

// AVX-VNNI (target "avxvnni", __builtin_cpu_supports("avxvnni")) needs GCC 11 or clang 12.
#if (defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && __GNUC__ >= 11)
#define DINOV3_HAVE_AVXVNNI 1
#else
#define DINOV3_HAVE_AVXVNNI 0
#endif

namespace dinov3::x86 {

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

}  // namespace dinov3::x86
