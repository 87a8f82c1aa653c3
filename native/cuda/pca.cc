// Host side of the CUDA PCA: the CPU core's method (native/core/pca.cc) with the heavy products
// on the device: column statistics, then `iterations` rounds of Y = Xc^T (Xc Q) and block
// orthonormalisation, all queued without a host round trip; at the end Q and C Q come back once
// for the small Rayleigh-Ritz eigenproblem (dinov3::symmetric_eigen on the host), the axes go up,
// and the projections come back. Same random start (host Rng), same sign rule.
//
// Cancellation is polled before the work is queued; the queued GPU work of one call (about a
// millisecond for 4096 x 1024) is not interrupted.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../core/error.h"
#include "../core/rng.h"
#include "cuda_api.h"
#include "cuda_check.h"
#include "device_scratch.h"
#include "matrix_checks.h"
#include "matrix_stats.h"
#include "pca_kernels.h"

namespace dinov3::cuda {
namespace {

namespace pk = pca_kernels;

template <typename T>
void download(std::vector<T>& out, const T* device, size_t count, cudaStream_t s) {
  out.resize(count);
  check_cuda(cudaMemcpyAsync(out.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost, s), "PCA download");
}

}  // namespace

PcaResult pca(const DeviceMatrix& x, const PcaOptions& options, Stream stream, const std::atomic<bool>* cancel) {
  check_matrix(x, "features");
  check_pca_options(x.rows, x.dim, options);
  const int n_comp = options.components;
  require_device();
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) fail(codes::kAborted, "PCA was cancelled");
  const auto s = static_cast<cudaStream_t>(stream);
  const int64_t dim = x.dim, rows = x.rows;
  const int m = pca_block_size(dim, n_comp);  // as the CPU
  const int stats_chunks = column_stats_chunks(rows);
  const int bp_chunks = pk::back_project_chunks(rows);
  const int64_t qm = dim * m;

  // Random start and the restart pool, from the CPU core's Rng stream.
  Rng rng(options.seed ^ 0x5ca1ab1eull);
  std::vector<double> q0(static_cast<size_t>(qm));
  for (auto& v : q0) v = rng.uniform() - 0.5;
  std::vector<double> pool(static_cast<size_t>(2 * qm));
  for (auto& v : pool) v = rng.uniform();

  ScratchLayout layout;
  const size_t stats_at = layout.add<double>(2 * static_cast<size_t>(stats_chunks) * dim);
  const size_t mean_at = layout.add<double>(dim);
  const size_t m2_at = layout.add<double>(dim);
  const size_t mean_f_at = layout.add<float>(dim);
  const size_t q_at = layout.add<double>(qm);
  const size_t y_at = layout.add<double>(qm);
  const size_t t_at = layout.add<double>(static_cast<size_t>(rows) * m);
  const size_t partial_at = layout.add<double>(static_cast<size_t>(bp_chunks) * qm);
  const size_t pool_at = layout.add<double>(pool.size());
  const size_t pos_at = layout.add<int>(1);
  const size_t bad_at = layout.add<unsigned long long>(1);
  const size_t axes_at = layout.add<double>(static_cast<size_t>(dim) * n_comp);
  StreamScratch scratch(layout.bytes(), s);
  double* mean = scratch.at<double>(mean_at);
  double* m2 = scratch.at<double>(m2_at);
  float* mean_f = scratch.at<float>(mean_f_at);
  double* q = scratch.at<double>(q_at);
  double* y = scratch.at<double>(y_at);
  double* t = scratch.at<double>(t_at);
  double* partial = scratch.at<double>(partial_at);
  int* pool_pos = scratch.at<int>(pos_at);
  auto* bad = scratch.at<unsigned long long>(bad_at);
  double* axes_dev = scratch.at<double>(axes_at);

  // Any failure from here on leaves queued work behind: drain the stream before the scratch goes.
  struct Drain {
    cudaStream_t s;
    bool armed = true;
    ~Drain() {
      if (armed) cudaStreamSynchronize(s);
    }
  } drain{s};

  check_cuda(cudaMemcpyAsync(q, q0.data(), q0.size() * sizeof(double), cudaMemcpyHostToDevice, s), "PCA upload");
  check_cuda(cudaMemcpyAsync(scratch.at<double>(pool_at), pool.data(), pool.size() * sizeof(double),
                             cudaMemcpyHostToDevice, s),
             "PCA upload");
  check_cuda(cudaMemsetAsync(pool_pos, 0, sizeof(int), s), "PCA memset");
  check_cuda(cudaMemsetAsync(bad, 0xff, sizeof(unsigned long long), s), "PCA memset");
  enqueue_row_scan(x, nullptr, bad, s);
  enqueue_column_stats(x, scratch.at<double>(stats_at), stats_chunks, mean, m2, s);
  pk::enqueue_float_mean(mean, dim, mean_f, s);
  const double* pool_dev = scratch.at<double>(pool_at);
  pk::enqueue_orthonormalise(q, dim, m, pool_dev, static_cast<int64_t>(pool.size()), pool_pos, s);
  for (int it = 0; it < std::max(1, options.iterations); ++it) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) fail(codes::kAborted, "PCA was cancelled");
    pk::enqueue_project(x, mean_f, q, m, t, s);
    pk::enqueue_back_project(x, mean_f, t, m, partial, bp_chunks, y, s);
    std::swap(q, y);
    pk::enqueue_orthonormalise(q, dim, m, pool_dev, static_cast<int64_t>(pool.size()), pool_pos, s);
  }
  // Rayleigh-Ritz inputs: Q and C Q.
  pk::enqueue_project(x, mean_f, q, m, t, s);
  pk::enqueue_back_project(x, mean_f, t, m, partial, bp_chunks, y, s);
  std::vector<double> qh, yh, mean_h, m2_h;
  std::vector<unsigned long long> bad_h;
  download(qh, q, static_cast<size_t>(qm), s);
  download(yh, y, static_cast<size_t>(qm), s);
  download(mean_h, mean, static_cast<size_t>(dim), s);
  download(m2_h, m2, static_cast<size_t>(dim), s);
  download(bad_h, bad, 1, s);
  check_cuda(cudaStreamSynchronize(s), "PCA synchronise");
  if (bad_h[0] != ~0ull) {
    drain.armed = false;
    fail(codes::kInvalidFeatures, "features contain a non-finite value (NaN or Inf) at row " +
                                      std::to_string(bad_h[0] / dim) + ", column " + std::to_string(bad_h[0] % dim));
  }

  PcaResult result;
  result.components = n_comp;
  result.mean.resize(dim);
  double total = 0;
  for (int64_t d = 0; d < dim; ++d) {
    result.mean[d] = static_cast<float>(mean_h[d]);
    // m2 is about the exact mean; the CPU centres on the float mean: add n (mean - mean_f)^2.
    const double shift = mean_h[d] - static_cast<double>(result.mean[d]);
    total += m2_h[d] + static_cast<double>(rows) * shift * shift;
  }
  result.total_variance = total / static_cast<double>(rows - 1);

  std::vector<double> values, vectors;
  rayleigh_ritz(qh, yh, dim, m, values, vectors);

  // Axes as columns of a dim x n_comp matrix, so the projection kernel computes (x - mean) A.
  std::vector<double> axes(static_cast<size_t>(dim) * n_comp);
  for (int c = 0; c < n_comp; ++c) {
    for (int64_t d = 0; d < dim; ++d) {
      double acc = 0;
      for (int j = 0; j < m; ++j) acc += qh[d * m + j] * vectors[j * m + c];
      axes[d * n_comp + c] = acc;
    }
    result.explained_variance.push_back(std::max(0.0, values[c]) / static_cast<double>(rows - 1));
  }
  check_cuda(cudaMemcpyAsync(axes_dev, axes.data(), axes.size() * sizeof(double), cudaMemcpyHostToDevice, s),
             "PCA axes upload");
  pk::enqueue_project(x, mean_f, axes_dev, n_comp, t, s);
  std::vector<double> proj;
  download(proj, t, static_cast<size_t>(rows) * n_comp, s);
  check_cuda(cudaStreamSynchronize(s), "PCA synchronise");
  drain.armed = false;

  result.projections.resize(proj.size());
  for (size_t i = 0; i < proj.size(); ++i) result.projections[i] = static_cast<float>(proj[i]);
  result.axes.assign(static_cast<size_t>(n_comp) * dim, 0.0f);
  for (int c = 0; c < n_comp; ++c) {  // sign: largest-magnitude projection positive
    float extreme = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float v = result.projections[r * n_comp + c];
      if (std::fabs(v) > std::fabs(extreme)) extreme = v;
    }
    const double sign = extreme < 0 ? -1.0 : 1.0;
    for (int64_t r = 0; r < rows; ++r) result.projections[r * n_comp + c] *= static_cast<float>(sign);
    for (int64_t d = 0; d < dim; ++d) result.axes[c * dim + d] = static_cast<float>(sign * axes[d * n_comp + c]);
  }
  return result;
}

}  // namespace dinov3::cuda
