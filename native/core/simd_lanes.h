// Eight-float vectors for the CPU kernels that GCC compiles once per target (kmeans_kernels.cc,
// correspondence.cc, propagation.cc): the multi-versioning attribute and the helpers every clone
// inlines. GCC lowers v8f arithmetic to whatever vectors the target has (two SSE registers on the
// baseline, one AVX register in the x86-64-v3 clone, NEON on arm64).
#pragma once
#include <cstdint>
#include <cstring>

// GCC function multi-versioning: one clone per target, resolved once by the dynamic loader.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define DINOV3_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define DINOV3_MULTIVERSION
#endif
// Helpers must be inlined into each clone: an out-of-line helper would be compiled for the
// baseline target only and the AVX2 clone would call it.
#define DINOV3_INLINE inline __attribute__((always_inline))

// The 32-byte vectors never cross a non-inlined call boundary, so the ABI note GCC gives for them
// on the baseline target does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace dinov3 {
namespace lanes {

typedef float v8f __attribute__((vector_size(32)));

DINOV3_INLINE v8f load8(const float* p) {
  v8f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The eight lanes summed in dot()'s order (vector_math.h), plus the scalar tail.
DINOV3_INLINE float lanes_total(v8f a, float tail) {
  return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7])) + tail;
}

// The products of the elements from..n-1 that did not fill a vector.
DINOV3_INLINE float tail_dot(const float* a, const float* b, int64_t from, int64_t n) {
  float t = 0;
  for (int64_t i = from; i < n; ++i) t += a[i] * b[i];
  return t;
}

}  // namespace lanes
}  // namespace dinov3
