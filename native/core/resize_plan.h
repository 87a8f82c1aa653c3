// The fixed-point coefficients of one resize axis, laid out for the vectorised row kernels.
//
// The weights are PIL's (bilinear_axis in preprocess.h, 22 fractional bits). The kernels take the
// taps two at a time: for x86's pmaddwd each pair of weights is split into a low part (15 bits)
// and a high part (the rest, at most 128), both exact int16 values, so every product is exact
// and sum = (sum of high products) * 2^15 + (sum of low products) gives PIL's int32 sum.
#pragma once
#include <cstdint>
#include <vector>

#include "preprocess.h"

namespace dinov3 {

inline constexpr int kResampleLowBits = 15;
// Bytes the x86 horizontal loops load at once (four taps of up to 4 bytes).
inline constexpr int kQuadLoadBytes = 16;

struct ResizePlan {
  int in_size = 0;
  int out_size = 0;
  int steps = 0;                // pairs of taps per output sample, for the widest sample
  std::vector<int> first;       // first input index per output sample
  std::vector<int> count;       // used taps per output sample
  std::vector<int> pairs;       // (count + 1) / 2
  std::vector<uint32_t> low;    // out_size * steps words: low 15 bits of tap 2s | of tap 2s+1 << 16
  std::vector<uint32_t> high;   // the same for the high bits (weight >> 15)
  std::vector<int32_t> weights; // out_size * steps * 2 int32 weights, zero past count
  // For the horizontal pass: the pair words already broadcast, so the x86 loops read them as
  // vector operands. Samples 2q and 2q+1 share block q: per step s (broadcast_steps of them,
  // steps rounded up to even so the loops can take four taps at a time), 16 words at
  // (q * broadcast_steps + s) * 16: low(2q) x4, low(2q+1) x4, high(2q) x4, high(2q+1) x4.
  int broadcast_steps = 0;
  std::vector<uint32_t> broadcast;
  // Per pixel size (index = bytes per pixel, 1 to 4): how many leading sample pairs have all
  // their 16-byte loads of four taps inside the row (the x86 loops take those without checks).
  int fitting_pairs[5] = {0, 0, 0, 0, 0};
};

// `broadcast`: also fill ResizePlan::broadcast (the horizontal pass of the x86 kernels).
ResizePlan make_resize_plan(int in_size, int out_size, bool broadcast = false);

// The pair word for (weight a, weight b) of the low or high parts.
inline uint32_t low_pair(int32_t a, int32_t b) {
  const uint32_t mask = (1u << kResampleLowBits) - 1;
  return (static_cast<uint32_t>(a) & mask) | ((static_cast<uint32_t>(b) & mask) << 16);
}
inline uint32_t high_pair(int32_t a, int32_t b) {
  return (static_cast<uint32_t>(a >> kResampleLowBits) & 0xffffu) | ((static_cast<uint32_t>(b >> kResampleLowBits) & 0xffffu) << 16);
}

}  // namespace dinov3
