// The inner loops of Lloyd's algorithm, compiled twice on x86-64 (baseline SSE2 and
// x86-64-v3 = AVX2 + FMA, picked at load time by the CPU) — the rest of the core stays on the
// baseline so preprocessing and seeding give the same bits on every machine.
#pragma once
#include <cstdint>

namespace dinov3 {

// For rows [0, rows) of x (stride elements apart): the nearest of k centroids (first minimum of
// |x|^2 - 2 x.c + |c|^2, as scikit-learn) and that squared distance (clamped at 0).
void nearest_centroids(const float* x, int64_t stride, int64_t rows, int64_t dim, const float* row_sq,
                       const float* centroids, const float* centroid_sq, int k, int32_t* best, float* best_distance);

// sums[label * dim + d] += x[r][d] and counts[label] += 1 for every row.
void accumulate_by_label(const float* x, int64_t stride, int64_t rows, int64_t dim, const int32_t* labels,
                         float* sums, int64_t* counts);

// Sum over rows of the squared distance to the assigned centroid, each row's distance summed in
// float lanes and the rows in double (as scikit-learn's float32 inertia, without its cancellation).
double assigned_inertia(const float* x, int64_t stride, int64_t rows, int64_t dim, const int32_t* labels,
                        const float* centroids);

}  // namespace dinov3
