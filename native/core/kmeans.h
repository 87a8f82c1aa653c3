// k-means (Lloyd) on the rows of a feature matrix, following scikit-learn's algorithm:
// greedy k-means++ seeding (2 + ln k local trials), Lloyd iterations computing distances as
// |x|^2 - 2 x.c + |c|^2, empty clusters moved to the points farthest from their centres,
// convergence when labels stop changing or the total squared centre shift falls below
// tolerance * mean feature variance, best of `restarts` runs by inertia.
// Deterministic for a seed, whatever the thread count.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "matrix_view.h"

namespace dinov3 {

struct KMeansOptions {
  int k = 2;
  int max_iterations = 50;
  int restarts = 1;
  uint64_t seed = 0;
  double tolerance = 1e-4;                 // relative to the mean per-feature variance
  const float* initial_centroids = nullptr;  // k * dim values; when set, one run from them
  // false: always run max_iterations Lloyd iterations (fixed cost, for benchmarks and frame-rate
  // budgets); `converged` then still reports whether a convergence test was met on the way.
  bool stop_at_convergence = true;
};

struct KMeansResult {
  std::vector<int32_t> labels;   // rows
  std::vector<float> centroids;  // k * dim
  double inertia = 0;            // sum of squared distances to the assigned centroid
  int iterations = 0;            // Lloyd iterations of the returned run
  bool converged = false;
};

// `cancel`, when given, is polled between iterations; a set flag raises ERR_DINO_ABORTED.
KMeansResult kmeans(const MatrixView& x, const KMeansOptions& options,
                    const std::atomic<bool>* cancel = nullptr);

// Labels of the nearest centroid for every row, and the sum of squared distances.
double assign_nearest(const MatrixView& x, const float* centroids, int k, int32_t* labels);

// Greedy k-means++ seeding as in scikit-learn, written into centroids (k * dim).
void kmeans_plus_plus(const MatrixView& x, int k, uint64_t seed, float* centroids);

}  // namespace dinov3
