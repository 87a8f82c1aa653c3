#include <cmath>
#include <vector>

#include "check.h"
#include "error.h"
#include "pca.h"
#include "rng.h"

TEST(pca_recovers_known_axes_and_variances) {
  // Points = a*e1*3 + b*e2*2 + c*e3*1 + tiny noise in a 20-d space, with rotated axes.
  const int64_t rows = 2000, dim = 20;
  dinov3::Rng rng(3);
  std::vector<double> axes(3 * dim, 0.0);
  for (int c = 0; c < 3; ++c) {
    double n = 0;
    for (int64_t d = 0; d < dim; ++d) axes[c * dim + d] = rng.uniform() - 0.5, n += 0;
    for (int p = 0; p < c; ++p) {  // orthogonalise
      double dot = 0;
      for (int64_t d = 0; d < dim; ++d) dot += axes[c * dim + d] * axes[p * dim + d];
      for (int64_t d = 0; d < dim; ++d) axes[c * dim + d] -= dot * axes[p * dim + d];
    }
    for (int64_t d = 0; d < dim; ++d) n += axes[c * dim + d] * axes[c * dim + d];
    for (int64_t d = 0; d < dim; ++d) axes[c * dim + d] /= std::sqrt(n);
  }
  const double scale[3] = {3, 2, 1};
  std::vector<float> x(rows * dim);
  for (int64_t r = 0; r < rows; ++r) {
    double coef[3];
    for (int c = 0; c < 3; ++c) coef[c] = (rng.uniform() - 0.5) * std::sqrt(12.0) * scale[c];
    for (int64_t d = 0; d < dim; ++d) {
      double v = 5.0 + (rng.uniform() - 0.5) * 0.01;
      for (int c = 0; c < 3; ++c) v += coef[c] * axes[c * dim + d];
      x[r * dim + d] = static_cast<float>(v);
    }
  }
  const auto res = dinov3::pca(dinov3::MatrixView{x.data(), rows, dim, dim}, {3, 40, 0});
  // Reference: full Jacobi decomposition of the sample covariance.
  std::vector<double> mean(dim, 0.0), cov(dim * dim, 0.0), values, vectors;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < dim; ++d) mean[d] += x[r * dim + d] / static_cast<double>(rows);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < dim; ++i)
      for (int64_t j = 0; j < dim; ++j)
        cov[i * dim + j] += (x[r * dim + i] - mean[i]) * (x[r * dim + j] - mean[j]) / static_cast<double>(rows - 1);
  dinov3::symmetric_eigen(cov, static_cast<int>(dim), values, vectors);
  for (int c = 0; c < 3; ++c) {
    double dot_sample = 0, dot_true = 0;
    for (int64_t d = 0; d < dim; ++d) {
      dot_sample += res.axes[c * dim + d] * vectors[d * dim + c];
      dot_true += res.axes[c * dim + d] * axes[c * dim + d];
    }
    CHECK(std::fabs(dot_sample) > 0.99999);
    CHECK(std::fabs(dot_true) > 0.99);  // the population axes, up to sampling noise
    CHECK_NEAR(res.explained_variance[c], values[c], 1e-6 * values[c]);
    CHECK_NEAR(res.explained_variance[c], scale[c] * scale[c], 0.1 * scale[c] * scale[c]);
  }
  // Sign rule: the largest-magnitude projection of each component is positive.
  for (int c = 0; c < 3; ++c) {
    float extreme = 0;
    for (int64_t r = 0; r < rows; ++r)
      if (std::fabs(res.projections[r * 3 + c]) > std::fabs(extreme)) extreme = res.projections[r * 3 + c];
    CHECK(extreme > 0);
  }
  std::vector<uint8_t> rgb(rows * 3);
  dinov3::projections_to_bytes(res, rows, rgb.data());
  int lo = 255, hi = 0;
  for (auto v : rgb) lo = std::min<int>(lo, v), hi = std::max<int>(hi, v);
  CHECK(lo == 0 && hi == 255);
}

TEST(pca_symmetric_eigen_on_a_known_matrix) {
  std::vector<double> m = {2, 1, 0, 1, 2, 0, 0, 0, 5}, values, vectors;
  dinov3::symmetric_eigen(m, 3, values, vectors);
  CHECK_NEAR(values[0], 5, 1e-12);
  CHECK_NEAR(values[1], 3, 1e-12);
  CHECK_NEAR(values[2], 1, 1e-12);
  CHECK_NEAR(std::fabs(vectors[2 * 3 + 0]), 1, 1e-12);
}

TEST(pca_rejects_bad_input) {
  std::vector<float> x(10, 1.0f);
  CHECK_THROWS_CODE(dinov3::pca(dinov3::MatrixView{x.data(), 5, 2, 2}, {3, 10, 0}), "ERR_DINO_INVALID_ARGUMENT");
  CHECK_THROWS_CODE(dinov3::pca(dinov3::MatrixView{x.data(), 1, 2, 2}, {1, 10, 0}), "ERR_DINO_INVALID_ARGUMENT");
}
