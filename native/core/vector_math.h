// Inner loops shared by the CPU kernels. Eight independent accumulators let the compiler keep
// the sum in SIMD registers without -ffast-math, and fix the summation order so results do
// not depend on the thread that computes them.
#pragma once
#include <cstdint>

namespace dinov3 {

inline float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

inline float squared_norm(const float* a, int64_t n) { return dot(a, a, n); }

// Squared Euclidean distance accumulated in double (used where exactness matters more than
// speed: inertia, seeding).
inline double squared_distance(const float* a, const float* b, int64_t n) {
  double acc[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int j = 0; j < 4; ++j) {
      const double d = static_cast<double>(a[i + j]) - b[i + j];
      acc[j] += d * d;
    }
  }
  for (; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    acc[0] += d * d;
  }
  return (acc[0] + acc[2]) + (acc[1] + acc[3]);
}

}  // namespace dinov3
