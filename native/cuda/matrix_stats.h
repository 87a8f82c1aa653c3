// Whole-matrix statistics used by k-means and PCA: per-row squared norms with a scan for
// non-finite values, and per-column mean and sum of squared deviations.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda_api.h"

namespace dinov3::cuda {

// row_sq[r] = |x_r|^2 in fp32 (skipped when row_sq is null); *bad_index = min(*bad_index, r * dim + c)
// for every non-finite x[r][c] (skipped when bad_index is null). Initialise *bad_index to ~0
// (e.g. cudaMemsetAsync 0xff) first.
void enqueue_row_scan(const DeviceMatrix& x, float* row_sq, unsigned long long* bad_index, cudaStream_t stream);

// Row chunks the column statistics use for `rows` rows (each chunk is summed two-pass on its
// own, then the chunks are merged with Chan's formula in a fixed order: deterministic and
// accurate to double rounding even when means are large against the spread).
int column_stats_chunks(int64_t rows);

// mean[d] = column mean, m2[d] = sum over rows of (x - mean)^2, both double. `partial` holds
// 2 * chunks * dim doubles of scratch.
void enqueue_column_stats(const DeviceMatrix& x, double* partial, int chunks, double* mean, double* m2,
                          cudaStream_t stream);

}  // namespace dinov3::cuda
