// Principal components of the rows of a feature matrix (the classic DINO "PCA-RGB" picture):
// the data are centred, the top components found by block power (subspace) iteration with a
// Rayleigh-Ritz step, and every row projected onto them. Deterministic for a seed. The sign of
// each component is fixed so that its largest-magnitude projection is positive.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "matrix_view.h"

namespace dinov3 {

struct PcaOptions {
  int components = 3;
  int iterations = 40;
  uint64_t seed = 0;
};

struct PcaResult {
  int components = 0;
  std::vector<float> projections;        // rows * components
  std::vector<float> axes;               // components * dim (unit vectors)
  std::vector<float> mean;               // dim
  std::vector<double> explained_variance;  // per component (eigenvalue / (rows - 1))
  double total_variance = 0;             // sum of all per-feature variances
};

PcaResult pca(const MatrixView& x, const PcaOptions& options, const std::atomic<bool>* cancel = nullptr);

// Checks the options against a rows x dim matrix (the CPU and CUDA PCA share it): throws
// ERR_DINO_INVALID_ARGUMENT for a component count outside [1, dim] or fewer than 2 rows.
void check_pca_options(int64_t rows, int64_t dim, const PcaOptions& options);

// Columns of the subspace iterated for `components` components: a few more than asked
// (oversampling, for faster convergence), at most dim.
int pca_block_size(int64_t dim, int components);

// Maps each component's projections to [0, 255] (min-max per component) into an interleaved
// rows * components byte buffer; with 3 components this is an RGB image of the patch grid.
void projections_to_bytes(const PcaResult& result, int64_t rows, uint8_t* out);

// The Rayleigh-Ritz step of subspace iteration: B = Q^T Y (m x m, symmetrised) for the
// orthonormal basis q and y = C q (both dim x m, row-major), then its eigen-decomposition.
void rayleigh_ritz(const std::vector<double>& q, const std::vector<double>& y, int64_t dim, int m,
                   std::vector<double>& values, std::vector<double>& vectors);

// Eigen-decomposition of a symmetric n x n matrix (row-major, overwritten) by cyclic Jacobi.
// Eigenvalues descending; eigenvectors as columns of `vectors` (n x n, row-major).
void symmetric_eigen(std::vector<double>& matrix, int n, std::vector<double>& values, std::vector<double>& vectors);

}  // namespace dinov3
