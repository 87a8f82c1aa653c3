#include "pca.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "error.h"
#include "parallel.h"
#include "rng.h"

namespace dinov3 {
namespace {

constexpr int64_t kRowsPerChunk = 256;

// Orthonormalises the columns of q (dim x m, row-major) by modified Gram-Schmidt.
void orthonormalise(std::vector<double>& q, int64_t dim, int m, Rng& rng) {
  for (int j = 0; j < m; ++j) {
    for (int pass = 0; pass < 2; ++pass) {
      for (int i = 0; i < j; ++i) {
        double d = 0;
        for (int64_t r = 0; r < dim; ++r) d += q[r * m + i] * q[r * m + j];
        for (int64_t r = 0; r < dim; ++r) q[r * m + j] -= d * q[r * m + i];
      }
    }
    double norm = 0;
    for (int64_t r = 0; r < dim; ++r) norm += q[r * m + j] * q[r * m + j];
    norm = std::sqrt(norm);
    if (norm < 1e-300) {  // collapsed column (rank-deficient data): restart it at random
      for (int64_t r = 0; r < dim; ++r) q[r * m + j] = rng.uniform() - 0.5;
      --j;
      continue;
    }
    for (int64_t r = 0; r < dim; ++r) q[r * m + j] /= norm;
  }
}

// y = Xc^T (Xc q): dim x m, where Xc is x minus its mean. Partial products per row chunk are
// reduced in chunk order (deterministic).
void covariance_times(const MatrixView& x, const std::vector<float>& mean, const std::vector<double>& q, int m,
                      std::vector<double>& y) {
  const int64_t dim = x.dim;
  const int64_t chunks = chunk_count(x.rows, kRowsPerChunk);
  std::vector<double> partial(static_cast<size_t>(chunks) * dim * m, 0.0);
  parallel_for(x.rows, kRowsPerChunk, [&](int64_t r0, int64_t r1, int64_t chunk) {
    double* acc = &partial[static_cast<size_t>(chunk) * dim * m];
    std::vector<double> t(m), centred(dim);
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x.row(r);
      for (int64_t d = 0; d < dim; ++d) centred[d] = static_cast<double>(row[d]) - mean[d];
      std::fill(t.begin(), t.end(), 0.0);
      for (int64_t d = 0; d < dim; ++d) {
        const double v = centred[d];
        const double* qd = &q[d * m];
        for (int j = 0; j < m; ++j) t[j] += v * qd[j];
      }
      for (int64_t d = 0; d < dim; ++d) {
        const double v = centred[d];
        double* ad = acc + d * m;
        for (int j = 0; j < m; ++j) ad[j] += v * t[j];
      }
    }
  });
  y.assign(static_cast<size_t>(dim) * m, 0.0);
  for (int64_t c = 0; c < chunks; ++c) {
    const double* p = &partial[static_cast<size_t>(c) * dim * m];
    for (int64_t i = 0; i < dim * m; ++i) y[i] += p[i];
  }
}

}  // namespace

void symmetric_eigen(std::vector<double>& a, int n, std::vector<double>& values, std::vector<double>& vectors) {
  vectors.assign(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) vectors[i * n + i] = 1.0;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) off += a[i * n + j] * a[i * n + j];
    if (off < 1e-30) break;
    for (int p = 0; p < n; ++p) {
      for (int q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (std::fabs(apq) < 1e-300) continue;
        const double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {  // rotate columns p, q
          const double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {  // rotate rows p, q
          const double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; ++k) {
          const double vkp = vectors[k * n + p], vkq = vectors[k * n + q];
          vectors[k * n + p] = c * vkp - s * vkq;
          vectors[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int i, int j) { return a[i * n + i] > a[j * n + j]; });
  values.resize(n);
  std::vector<double> sorted(static_cast<size_t>(n) * n);
  for (int j = 0; j < n; ++j) {
    values[j] = a[order[j] * n + order[j]];
    for (int k = 0; k < n; ++k) sorted[k * n + j] = vectors[k * n + order[j]];
  }
  vectors.swap(sorted);
}

void rayleigh_ritz(const std::vector<double>& q, const std::vector<double>& y, int64_t dim, int m,
                   std::vector<double>& values, std::vector<double>& vectors) {
  std::vector<double> b(static_cast<size_t>(m) * m, 0.0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      double s = 0;
      for (int64_t d = 0; d < dim; ++d) s += q[d * m + i] * y[d * m + j];
      b[i * m + j] = s;
    }
  for (int i = 0; i < m; ++i)
    for (int j = i + 1; j < m; ++j) b[i * m + j] = b[j * m + i] = 0.5 * (b[i * m + j] + b[j * m + i]);
  symmetric_eigen(b, m, values, vectors);
}

void check_pca_options(int64_t rows, int64_t dim, const PcaOptions& options) {
  require(options.components >= 1 && options.components <= dim, codes::kInvalidArgument,
          "components must be between 1 and the feature dimension (" + std::to_string(dim) + "), got " +
              std::to_string(options.components));
  require(rows >= 2, codes::kInvalidArgument, "PCA needs at least 2 rows");
}

int pca_block_size(int64_t dim, int components) { return static_cast<int>(std::min<int64_t>(dim, components + 4)); }

PcaResult pca(const MatrixView& x, const PcaOptions& options, const std::atomic<bool>* cancel) {
  check_view(x, "features");
  check_finite(x, "features");
  check_pca_options(x.rows, x.dim, options);
  const int n_comp = options.components;
  const int64_t dim = x.dim;
  const int m = pca_block_size(dim, n_comp);

  PcaResult result;
  result.components = n_comp;
  std::vector<double> mean_acc(dim, 0.0);
  for (int64_t r = 0; r < x.rows; ++r)
    for (int64_t d = 0; d < dim; ++d) mean_acc[d] += x.row(r)[d];
  result.mean.resize(dim);
  for (int64_t d = 0; d < dim; ++d) result.mean[d] = static_cast<float>(mean_acc[d] / static_cast<double>(x.rows));
  double total = 0;
  for (int64_t r = 0; r < x.rows; ++r)
    for (int64_t d = 0; d < dim; ++d) {
      const double v = static_cast<double>(x.row(r)[d]) - result.mean[d];
      total += v * v;
    }
  result.total_variance = total / static_cast<double>(x.rows - 1);

  Rng rng(options.seed ^ 0x5ca1ab1eull);
  std::vector<double> q(static_cast<size_t>(dim) * m), y;
  for (auto& v : q) v = rng.uniform() - 0.5;
  orthonormalise(q, dim, m, rng);
  for (int it = 0; it < std::max(1, options.iterations); ++it) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) fail(codes::kAborted, "PCA was cancelled");
    covariance_times(x, result.mean, q, m, y);
    q.swap(y);
    orthonormalise(q, dim, m, rng);
  }
  // Rayleigh-Ritz: B = Q^T C Q (m x m), eigen-decompose, rotate Q.
  covariance_times(x, result.mean, q, m, y);
  std::vector<double> values, vectors;
  rayleigh_ritz(q, y, dim, m, values, vectors);

  result.axes.assign(static_cast<size_t>(n_comp) * dim, 0.0f);
  std::vector<double> axes(static_cast<size_t>(n_comp) * dim, 0.0);
  for (int c = 0; c < n_comp; ++c) {
    for (int64_t d = 0; d < dim; ++d) {
      double s = 0;
      for (int j = 0; j < m; ++j) s += q[d * m + j] * vectors[j * m + c];
      axes[c * dim + d] = s;
    }
    result.explained_variance.push_back(std::max(0.0, values[c]) / static_cast<double>(x.rows - 1));
  }
  result.projections.assign(static_cast<size_t>(x.rows) * n_comp, 0.0f);
  parallel_for(x.rows, kRowsPerChunk, [&](int64_t r0, int64_t r1, int64_t) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x.row(r);
      for (int c = 0; c < n_comp; ++c) {
        double s = 0;
        for (int64_t d = 0; d < dim; ++d) s += (static_cast<double>(row[d]) - result.mean[d]) * axes[c * dim + d];
        result.projections[r * n_comp + c] = static_cast<float>(s);
      }
    }
  });
  for (int c = 0; c < n_comp; ++c) {  // sign: largest-magnitude projection positive
    float extreme = 0;
    for (int64_t r = 0; r < x.rows; ++r) {
      const float v = result.projections[r * n_comp + c];
      if (std::fabs(v) > std::fabs(extreme)) extreme = v;
    }
    const double sign = extreme < 0 ? -1.0 : 1.0;
    for (int64_t r = 0; r < x.rows; ++r) result.projections[r * n_comp + c] *= static_cast<float>(sign);
    for (int64_t d = 0; d < dim; ++d) result.axes[c * dim + d] = static_cast<float>(sign * axes[c * dim + d]);
  }
  return result;
}

void projections_to_bytes(const PcaResult& result, int64_t rows, uint8_t* out) {
  const int n = result.components;
  for (int c = 0; c < n; ++c) {
    float lo = result.projections[c], hi = lo;
    for (int64_t r = 0; r < rows; ++r) {
      lo = std::min(lo, result.projections[r * n + c]);
      hi = std::max(hi, result.projections[r * n + c]);
    }
    const float range = hi - lo;
    for (int64_t r = 0; r < rows; ++r) {
      const float v = range > 0 ? (result.projections[r * n + c] - lo) / range : 0.5f;
      out[r * n + c] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
    }
  }
}

}  // namespace dinov3
