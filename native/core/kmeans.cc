#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "error.h"
#include "kmeans_kernels.h"
#include "parallel.h"
#include "rng.h"
#include "vector_math.h"

namespace dinov3 {
namespace {

constexpr int64_t kRowsPerChunk = 256;

void check_cancel(const std::atomic<bool>* cancel) {
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) fail(codes::kAborted, "k-means was cancelled");
}

// Mean over features of the per-feature variance (scikit-learn's tolerance scale). Two passes
// (mean, then squared deviations), each with per-chunk double partials reduced in chunk order.
double mean_variance(const MatrixView& x) {
  const int64_t dim = x.dim;
  const int64_t chunks = chunk_count(x.rows, kRowsPerChunk);
  std::vector<double> partial(static_cast<size_t>(chunks) * dim);
  auto reduce = [&](std::vector<double>& out) {
    out.assign(dim, 0.0);
    for (int64_t c = 0; c < chunks; ++c)
      for (int64_t d = 0; d < dim; ++d) out[d] += partial[c * dim + d];
  };
  parallel_for(x.rows, kRowsPerChunk, [&](int64_t r0, int64_t r1, int64_t chunk) {
    double* acc = &partial[static_cast<size_t>(chunk) * dim];
    std::fill(acc, acc + dim, 0.0);
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x.row(r);
      for (int64_t d = 0; d < dim; ++d) acc[d] += row[d];
    }
  });
  std::vector<double> mean;
  reduce(mean);
  for (auto& m : mean) m /= static_cast<double>(x.rows);
  parallel_for(x.rows, kRowsPerChunk, [&](int64_t r0, int64_t r1, int64_t chunk) {
    double* acc = &partial[static_cast<size_t>(chunk) * dim];
    std::fill(acc, acc + dim, 0.0);
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x.row(r);
      for (int64_t d = 0; d < dim; ++d) {
        const double v = row[d] - mean[d];
        acc[d] += v * v;
      }
    }
  });
  std::vector<double> sq;
  reduce(sq);
  double total = 0;
  for (double v : sq) total += v / static_cast<double>(x.rows);
  return total / static_cast<double>(dim);
}

struct Workspace {
  std::vector<float> row_sq;        // |x|^2 per row
  std::vector<float> centroid_sq;   // |c|^2 per centroid
  std::vector<float> distance;      // squared distance of each row to its assigned centroid
  std::vector<int32_t> nearest;     // nearest centroid of each row in this iteration
  std::vector<float> partial_sums;  // chunks * k * dim (a chunk's 256 rows summed in float)
  std::vector<int64_t> partial_counts;  // chunks * k
};

// One E-step (assignment) fused with the accumulation of the M-step sums.
// Returns true when any label changed.
bool assign_and_accumulate(const MatrixView& x, const std::vector<float>& centroids, int k, Workspace& ws,
                           std::vector<int32_t>& labels) {
  const int64_t dim = x.dim;
  for (int c = 0; c < k; ++c) ws.centroid_sq[c] = squared_norm(&centroids[c * dim], dim);
  const int64_t chunks = chunk_count(x.rows, kRowsPerChunk);
  ws.partial_sums.assign(static_cast<size_t>(chunks) * k * dim, 0.0f);
  ws.partial_counts.assign(static_cast<size_t>(chunks) * k, 0);
  std::vector<char> changed(chunks, 0);
  parallel_for(x.rows, kRowsPerChunk, [&](int64_t r0, int64_t r1, int64_t chunk) {
    nearest_centroids(x.row(r0), x.stride, r1 - r0, dim, &ws.row_sq[r0], centroids.data(), ws.centroid_sq.data(), k,
                      &ws.nearest[r0], &ws.distance[r0]);
    for (int64_t r = r0; r < r1; ++r) {
      if (labels[r] != ws.nearest[r]) changed[chunk] = 1, labels[r] = ws.nearest[r];
    }
    accumulate_by_label(x.row(r0), x.stride, r1 - r0, dim, &labels[r0],
                        &ws.partial_sums[static_cast<size_t>(chunk) * k * dim], &ws.partial_counts[static_cast<size_t>(chunk) * k]);
  });
  return std::any_of(changed.begin(), changed.end(), [](char c) { return c != 0; });
}

// Reduces the per-chunk sums in chunk order, moves empty clusters to far points, and writes the
// new centroids. Returns the total squared centre shift.
double update_centroids(const MatrixView& x, int k, Workspace& ws, std::vector<int32_t>& labels,
                        std::vector<float>& centroids) {
  const int64_t dim = x.dim;
  const int64_t chunks = static_cast<int64_t>(ws.partial_counts.size()) / k;
  std::vector<double> sums(static_cast<size_t>(k) * dim, 0.0);
  std::vector<int64_t> counts(k, 0);
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const float* s = &ws.partial_sums[static_cast<size_t>(ch) * k * dim];
    for (int64_t i = 0; i < k * dim; ++i) sums[i] += s[i];
    for (int c = 0; c < k; ++c) counts[c] += ws.partial_counts[ch * k + c];
  }
  std::vector<int> empty;
  for (int c = 0; c < k; ++c) {
    if (counts[c] == 0) empty.push_back(c);
  }
  if (!empty.empty()) {
    // The points farthest from their centres become the new centres of empty clusters.
    std::vector<int64_t> order(x.rows);
    std::iota(order.begin(), order.end(), 0);
    const size_t n_move = std::min(empty.size(), order.size());
    std::partial_sort(order.begin(), order.begin() + n_move, order.end(), [&](int64_t a, int64_t b) {
      return ws.distance[a] != ws.distance[b] ? ws.distance[a] > ws.distance[b] : a < b;
    });
    for (size_t i = 0; i < n_move; ++i) {
      const int64_t far = order[i];
      const int from = labels[far], to = empty[i];
      if (counts[from] <= 1) continue;  // never empty another cluster
      const float* row = x.row(far);
      for (int64_t d = 0; d < dim; ++d) {
        sums[from * dim + d] -= row[d];
        sums[to * dim + d] = row[d];
      }
      --counts[from];
      counts[to] = 1;
      labels[far] = to;
      ws.distance[far] = 0;
    }
  }
  double shift = 0;
  for (int c = 0; c < k; ++c) {
    if (counts[c] == 0) continue;  // keep the old centre (only possible when rows < k moves)
    for (int64_t d = 0; d < dim; ++d) {
      const float v = static_cast<float>(sums[c * dim + d] / static_cast<double>(counts[c]));
      const double delta = static_cast<double>(v) - centroids[c * dim + d];
      shift += delta * delta;
      centroids[c * dim + d] = v;
    }
  }
  return shift;
}

double exact_inertia(const MatrixView& x, const std::vector<float>& centroids, const std::vector<int32_t>& labels) {
  const int64_t chunks = chunk_count(x.rows, kRowsPerChunk);
  std::vector<double> partial(chunks, 0.0);
  parallel_for(x.rows, kRowsPerChunk, [&](int64_t r0, int64_t r1, int64_t chunk) {
    partial[chunk] = assigned_inertia(x.row(r0), x.stride, r1 - r0, x.dim, &labels[r0], centroids.data());
  });
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

KMeansResult lloyd(const MatrixView& x, int k, int max_iterations, double tolerance_abs, bool stop_at_convergence,
                   std::vector<float> centroids, Workspace& ws, const std::atomic<bool>* cancel) {
  KMeansResult result;
  std::vector<int32_t> labels(x.rows, -1);
  int iterations = 0;
  bool strict = false, converged = false;
  for (int it = 0; it < max_iterations; ++it) {
    check_cancel(cancel);
    const bool changed = assign_and_accumulate(x, centroids, k, ws, labels);
    iterations = it + 1;
    if (!changed && it > 0) {
      converged = true;  // same labels as with the previous centres: a fixed point
      if (stop_at_convergence) {
        strict = true;
        break;
      }
    }
    const double shift = update_centroids(x, k, ws, labels, centroids);
    if (shift <= tolerance_abs) {
      converged = true;
      if (stop_at_convergence) break;
    }
  }
  if (!strict) {
    // Labels that match the final centres (as scikit-learn's final E-step).
    assign_nearest(x, centroids.data(), k, labels.data());
  }
  result.inertia = exact_inertia(x, centroids, labels);
  result.labels = std::move(labels);
  result.centroids = std::move(centroids);
  result.iterations = iterations;
  result.converged = converged;
  return result;
}

void check_options(const MatrixView& x, const KMeansOptions& o) {
  require(o.k >= 1, codes::kInvalidArgument, "k must be at least 1, got " + std::to_string(o.k));
  require(o.k <= x.rows, codes::kInvalidArgument,
          "k = " + std::to_string(o.k) + " is larger than the number of patches (" + std::to_string(x.rows) + ")");
  require(o.max_iterations >= 1, codes::kInvalidArgument, "iterations must be at least 1");
  require(o.restarts >= 1, codes::kInvalidArgument, "restarts must be at least 1");
  require(o.tolerance >= 0 && std::isfinite(o.tolerance), codes::kInvalidArgument, "tolerance must be >= 0");
}

}  // namespace

double assign_nearest(const MatrixView& x, const float* centroids, int k, int32_t* labels) {
  const int64_t dim = x.dim;
  std::vector<float> centroid_sq(k), row_sq(x.rows), distance(x.rows);
  for (int c = 0; c < k; ++c) centroid_sq[c] = squared_norm(centroids + c * dim, dim);
  const int64_t chunks = chunk_count(x.rows, kRowsPerChunk);
  std::vector<double> partial(chunks, 0.0);
  parallel_for(x.rows, kRowsPerChunk, [&](int64_t r0, int64_t r1, int64_t chunk) {
    for (int64_t r = r0; r < r1; ++r) row_sq[r] = squared_norm(x.row(r), dim);
    nearest_centroids(x.row(r0), x.stride, r1 - r0, dim, &row_sq[r0], centroids, centroid_sq.data(), k, labels + r0,
                      &distance[r0]);
    double s = 0;
    for (int64_t r = r0; r < r1; ++r) s += distance[r];
    partial[chunk] = s;
  });
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

void kmeans_plus_plus(const MatrixView& x, int k, uint64_t seed, float* centroids) {
  const int64_t n = x.rows, dim = x.dim;
  Rng rng(seed);
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  auto copy_row = [&](int64_t r, int c) { std::copy(x.row(r), x.row(r) + dim, centroids + c * dim); };
  auto distances_to = [&](int64_t r, std::vector<double>& out) {
    const float* center = x.row(r);
    parallel_for(n, kRowsPerChunk, [&](int64_t r0, int64_t r1, int64_t) {
      for (int64_t i = r0; i < r1; ++i) out[i] = squared_distance(x.row(i), center, dim);
    });
  };
  const int64_t first = rng.below(n);
  copy_row(first, 0);
  std::vector<double> closest(n), candidate(n), best_candidate(n), cumulative(n);
  distances_to(first, closest);
  double potential = std::accumulate(closest.begin(), closest.end(), 0.0);
  for (int c = 1; c < k; ++c) {
    std::partial_sum(closest.begin(), closest.end(), cumulative.begin());
    double best_potential = std::numeric_limits<double>::infinity();
    int64_t best_id = -1;
    for (int t = 0; t < trials; ++t) {
      const double target = rng.uniform() * potential;
      // numpy.searchsorted (side='left'): the first index whose cumulative sum reaches target
      int64_t id = std::lower_bound(cumulative.begin(), cumulative.end(), target) - cumulative.begin();
      id = std::min(id, n - 1);
      distances_to(id, candidate);
      double pot = 0;
      for (int64_t i = 0; i < n; ++i) {
        candidate[i] = std::min(candidate[i], closest[i]);
        pot += candidate[i];
      }
      if (pot < best_potential) {
        best_potential = pot;
        best_id = id;
        best_candidate.swap(candidate);
      }
    }
    copy_row(best_id, c);
    closest.swap(best_candidate);
    potential = best_potential;
  }
}

KMeansResult kmeans(const MatrixView& x, const KMeansOptions& options, const std::atomic<bool>* cancel) {
  check_view(x, "features");
  check_finite(x, "features");
  check_options(x, options);
  const int k = options.k;
  // With tolerance 0 the scale does not matter: skip its two passes over the data.
  const double tolerance_abs = options.tolerance > 0 ? options.tolerance * mean_variance(x) : 0.0;
  Workspace ws;
  ws.row_sq.resize(x.rows);
  ws.centroid_sq.resize(k);
  ws.distance.resize(x.rows);
  ws.nearest.resize(x.rows);
  parallel_for(x.rows, kRowsPerChunk, [&](int64_t r0, int64_t r1, int64_t) {
    for (int64_t r = r0; r < r1; ++r) ws.row_sq[r] = squared_norm(x.row(r), x.dim);
  });

  if (options.initial_centroids != nullptr) {
    std::vector<float> init(options.initial_centroids, options.initial_centroids + static_cast<int64_t>(k) * x.dim);
    for (float v : init) require(std::isfinite(v), codes::kInvalidFeatures, "initial centroids contain NaN or Inf");
    return lloyd(x, k, options.max_iterations, tolerance_abs, options.stop_at_convergence, std::move(init), ws,
                 cancel);
  }
  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int run = 0; run < options.restarts; ++run) {
    check_cancel(cancel);
    std::vector<float> init(static_cast<size_t>(k) * x.dim);
    // Each restart has its own stream derived from (seed, run).
    kmeans_plus_plus(x, k, options.seed * 0x100000001b3ull + static_cast<uint64_t>(run) * 0x9e3779b97f4a7c15ull,
                     init.data());
    KMeansResult r =
        lloyd(x, k, options.max_iterations, tolerance_abs, options.stop_at_convergence, std::move(init), ws, cancel);
    if (r.inertia < best.inertia) best = std::move(r);
  }
  return best;
}

}  // namespace dinov3
