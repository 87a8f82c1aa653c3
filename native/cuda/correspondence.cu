// Nearest neighbours between two device feature matrices under cosine similarity (the CUDA
// counterpart of native/core/correspondence.h, same result within float rounding).
//
// 1. Both matrices are normalised into dense fp32 scratch (one warp per row).
// 2. For a slab of rows of `a` (bounded so the slab's similarity block stays <= 64 Mi floats),
//    a shared-memory tiled product writes S = A_slab * B^T.
// 3. One warp per row of the slab keeps that row's k best columns (each lane a best-first list
//    over its stride of columns, then the lanes' lists merged by lane 0 in lane order, so ties
//    keep the lower index as on the CPU); one thread per column of B merges the slab's rows into
//    that column's running list (rows scanned in ascending order across slabs).
// The host copies both lists back at the end (synchronises).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.h"
#include "../core/top_k.h"
#include "cuda_api.h"
#include "cuda_check.h"
#include "device_math.cuh"
#include "matrix_checks.h"

namespace dinov3::cuda {
namespace {

constexpr int kMaxK = 16;
constexpr int kTile = 32;
constexpr float kNormEpsilon = 1e-12f;
constexpr int64_t kMaxSlabValues = int64_t{64} << 20;

template <typename T>
__global__ void normalise_rows(const T* x, int64_t rows, int64_t dim, int64_t stride, float* out) {
  const int lane = threadIdx.x & 31;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5);
  if (row >= rows) return;
  const T* xr = x + row * stride;
  float sq = 0.0f;
  for (int64_t d = lane; d < dim; d += 32) {
    const float v = dev::load(xr + d);
    sq += v * v;
  }
  const float norm = sqrtf(dev::warp_sum(sq));
  const float scale = norm > kNormEpsilon ? __fdiv_rn(1.0f, norm) : 0.0f;
  for (int64_t d = lane; d < dim; d += 32) out[row * dim + d] = dev::load(xr + d) * scale;
}

// s[i * nb + j] = <a_(i0 + i), b_j> for i < rows, j < nb (32 x 32 output tile per block).
__global__ void similarity_tiles(const float* a, const float* b, int64_t rows, int64_t nb, int64_t dim, float* s) {
  __shared__ float ta[kTile][kTile + 1];
  __shared__ float tb[kTile][kTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;  // 32 x 8 threads, 4 outputs each
  const int64_t i_base = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t j_base = static_cast<int64_t>(blockIdx.x) * kTile;
  float acc[4] = {0, 0, 0, 0};
  for (int64_t d0 = 0; d0 < dim; d0 += kTile) {
    for (int r = ty; r < kTile; r += 8) {
      const int64_t i = i_base + r, j = j_base + r, d = d0 + tx;
      ta[r][tx] = (i < rows && d < dim) ? a[i * dim + d] : 0.0f;
      tb[r][tx] = (j < nb && d < dim) ? b[j * dim + d] : 0.0f;
    }
    __syncthreads();
#pragma unroll 8
    for (int d = 0; d < kTile; ++d) {
      const float bv = tb[tx][d];
#pragma unroll
      for (int q = 0; q < 4; ++q) acc[q] += ta[ty + 8 * q][d] * bv;
    }
    __syncthreads();
  }
#pragma unroll
  for (int q = 0; q < 4; ++q) {
    const int64_t i = i_base + ty + 8 * q, j = j_base + tx;
    if (i < rows && j < nb) s[i * nb + j] = acc[q];
  }
}

// One warp per row of the slab: the row's k best columns.
__global__ void row_best(const float* s, int64_t rows, int64_t nb, int k, int64_t first_row, float* best_values,
                         int32_t* best_indices) {
  __shared__ float lane_values[8][32][kMaxK];
  __shared__ int32_t lane_indices[8][32][kMaxK];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * 8 + warp;
  if (row >= rows) return;
  float v[kMaxK];
  int32_t ix[kMaxK];
  for (int l = 0; l < k; ++l) v[l] = -INFINITY, ix[l] = -1;
  for (int64_t j = lane; j < nb; j += 32) top_k_offer(v, ix, k, s[row * nb + j], static_cast<int32_t>(j));
  for (int l = 0; l < k; ++l) lane_values[warp][lane][l] = v[l], lane_indices[warp][lane][l] = ix[l];
  __syncwarp();
  if (lane != 0) return;
  // Lane 0 merges the lanes' lists; among equal values the lower column goes first, as on the CPU.
  float bv[kMaxK];
  int32_t bi[kMaxK];
  for (int l = 0; l < k; ++l) bv[l] = -INFINITY, bi[l] = -1;
  for (int q = 0; q < 32; ++q) {
    for (int l = 0; l < k; ++l) {
      const int32_t c = lane_indices[warp][q][l];
      if (c < 0) continue;
      const float val = lane_values[warp][q][l];
      // equal values: keep the smaller column first
      if (val > bv[k - 1] || (val == bv[k - 1] && bi[k - 1] > c)) {
        int pos = k - 1;
        while (pos > 0 && (val > bv[pos - 1] || (val == bv[pos - 1] && c < bi[pos - 1]))) {
          bv[pos] = bv[pos - 1];
          bi[pos] = bi[pos - 1];
          --pos;
        }
        bv[pos] = val;
        bi[pos] = c;
      }
    }
  }
  const int64_t out = (first_row + row) * k;
  for (int l = 0; l < k; ++l) best_values[out + l] = bv[l], best_indices[out + l] = bi[l];
}

// One thread per column of B: merges the slab's rows (ascending) into the column's running list.
__global__ void column_best(const float* s, int64_t rows, int64_t nb, int k, int64_t first_row, float* col_values,
                            int32_t* col_indices) {
  const int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= nb) return;
  float v[kMaxK];
  int32_t ix[kMaxK];
  for (int l = 0; l < k; ++l) v[l] = col_values[j * k + l], ix[l] = col_indices[j * k + l];
  for (int64_t i = 0; i < rows; ++i) top_k_offer(v, ix, k, s[i * nb + j], static_cast<int32_t>(first_row + i));
  for (int l = 0; l < k; ++l) col_values[j * k + l] = v[l], col_indices[j * k + l] = ix[l];
}

__global__ void fill_lists(float* values, int32_t* indices, int64_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) values[i] = -INFINITY, indices[i] = -1;
}

unsigned blocks_for(int64_t n, int per_block) { return static_cast<unsigned>((n + per_block - 1) / per_block); }

void normalise(const DeviceMatrix& m, float* out, cudaStream_t s) {
  const unsigned blocks = blocks_for(m.rows, 8);
  if (m.dtype == DType::kFloat16) {
    normalise_rows<__half><<<blocks, 256, 0, s>>>(static_cast<const __half*>(m.data), m.rows, m.dim, m.stride, out);
  } else {
    normalise_rows<float><<<blocks, 256, 0, s>>>(static_cast<const float*>(m.data), m.rows, m.dim, m.stride, out);
  }
  check_launch("correspondence normalise kernel");
}

}  // namespace

CorrespondenceResult nearest_neighbours(const DeviceMatrix& a, const DeviceMatrix& b, int k, Stream stream) {
  check_matrix(a, "features a");
  check_matrix(b, "features b");
  require(a.dim == b.dim, codes::kShapeMismatch,
          "features a have dim " + std::to_string(a.dim) + ", features b have dim " + std::to_string(b.dim));
  require(k >= 1 && k <= kMaxK && k <= a.rows && k <= b.rows, codes::kInvalidArgument,
          "k must be between 1 and min(16, rows of a, rows of b), got " + std::to_string(k));
  require_device();
  const auto s = static_cast<cudaStream_t>(stream);
  const int64_t dim = a.dim;
  const int64_t slab = std::max<int64_t>(kTile, std::min<int64_t>(a.rows, (kMaxSlabValues / b.rows) / kTile * kTile));
  DeviceBuffer an(static_cast<size_t>(a.rows * dim) * sizeof(float)), bn(static_cast<size_t>(b.rows * dim) * sizeof(float));
  DeviceBuffer sim(static_cast<size_t>(slab * b.rows) * sizeof(float));
  DeviceBuffer av(static_cast<size_t>(a.rows * k) * sizeof(float)), ai(static_cast<size_t>(a.rows * k) * sizeof(int32_t));
  DeviceBuffer bv(static_cast<size_t>(b.rows * k) * sizeof(float)), bi(static_cast<size_t>(b.rows * k) * sizeof(int32_t));
  normalise(a, static_cast<float*>(an.data()), s);
  normalise(b, static_cast<float*>(bn.data()), s);
  fill_lists<<<blocks_for(b.rows * k, 256), 256, 0, s>>>(static_cast<float*>(bv.data()), static_cast<int32_t*>(bi.data()),
                                                         b.rows * k);
  check_launch("correspondence fill kernel");
  for (int64_t i0 = 0; i0 < a.rows; i0 += slab) {
    const int64_t rows = std::min(slab, a.rows - i0);
    const dim3 grid(blocks_for(b.rows, kTile), blocks_for(rows, kTile));
    similarity_tiles<<<grid, dim3(32, 8), 0, s>>>(static_cast<const float*>(an.data()) + i0 * dim,
                                                 static_cast<const float*>(bn.data()), rows, b.rows, dim,
                                                 static_cast<float*>(sim.data()));
    check_launch("correspondence similarity kernel");
    row_best<<<blocks_for(rows, 8), 256, 0, s>>>(static_cast<const float*>(sim.data()), rows, b.rows, k, i0,
                                                 static_cast<float*>(av.data()), static_cast<int32_t*>(ai.data()));
    check_launch("correspondence row kernel");
    column_best<<<blocks_for(b.rows, 128), 128, 0, s>>>(static_cast<const float*>(sim.data()), rows, b.rows, k, i0,
                                                        static_cast<float*>(bv.data()), static_cast<int32_t*>(bi.data()));
    check_launch("correspondence column kernel");
  }
  CorrespondenceResult r;
  r.a_to_b.k = r.b_to_a.k = k;
  r.a_to_b.similarity.resize(a.rows * k);
  r.a_to_b.index.resize(a.rows * k);
  r.b_to_a.similarity.resize(b.rows * k);
  r.b_to_a.index.resize(b.rows * k);
  copy_to_host(r.a_to_b.similarity.data(), av.data(), av.bytes(), stream);
  copy_to_host(r.a_to_b.index.data(), ai.data(), ai.bytes(), stream);
  copy_to_host(r.b_to_a.similarity.data(), bv.data(), bv.bytes(), stream);
  copy_to_host(r.b_to_a.index.data(), bi.data(), bi.bytes(), stream);
  return r;
}

}  // namespace dinov3::cuda
