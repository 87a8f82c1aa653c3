// Device-side helpers shared by the kernels: element loads for fp32/fp16 matrices and
// deterministic warp/block reductions (fixed summation order, so repeated runs agree bit for bit).
#pragma once
#include <cuda_fp16.h>

#include <cstdint>

namespace dinov3::cuda::dev {

constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float half_bits_to_float(unsigned bits) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(bits & 0xffffu)));
}

// One element through the read-only cache.
__device__ __forceinline__ float load(const float* p) { return __ldg(p); }
__device__ __forceinline__ float load(const __half* p) {
  return half_bits_to_float(__ldg(reinterpret_cast<const unsigned short*>(p)));
}

// Four consecutive elements; p must be 16-byte (fp32) or 8-byte (fp16) aligned.
__device__ __forceinline__ float4 load4(const float* p) { return __ldg(reinterpret_cast<const float4*>(p)); }
__device__ __forceinline__ float4 load4(const __half* p) {
  const uint2 raw = __ldg(reinterpret_cast<const uint2*>(p));
  return make_float4(half_bits_to_float(raw.x), half_bits_to_float(raw.x >> 16), half_bits_to_float(raw.y),
                     half_bits_to_float(raw.y >> 16));
}

__device__ __forceinline__ float dot4(const float4& a, const float4& b) {
  return a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
}

// Inclusive prefix sum over the lanes of a warp (lane i gets the sum of lanes 0..i), in a fixed
// order.
__device__ __forceinline__ double warp_inclusive_scan(double v, int lane) {
#pragma unroll
  for (int offset = 1; offset < 32; offset <<= 1) {
    const double up = __shfl_up_sync(kFullMask, v, offset);
    if (lane >= offset) v += up;
  }
  return v;
}

// Butterfly sum: every lane ends with the same value, because at each step the two partners add
// the same two numbers (a + b == b + a exactly), so the result is also lane-independent.
template <typename V>
__device__ __forceinline__ V warp_sum(V v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// `scratch` holds at least 33 values. Deterministic: warp sums, then the warp sums in warp order.
template <typename V>
__device__ V block_sum(V v, V* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read from a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    V t = lane < warps ? scratch[lane] : V(0);
    t = warp_sum(t);
    if (lane == 0) scratch[32] = t;
  }
  __syncthreads();
  return scratch[32];
}

template <typename T>
__device__ __forceinline__ T ceil_div(T a, T b) {
  return (a + b - 1) / b;
}

}  // namespace dinov3::cuda::dev
