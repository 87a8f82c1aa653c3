#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "check.h"
#include "error.h"
#include "kmeans.h"
#include "match.h"
#include "test_data.h"
#include "vector_math.h"

namespace {
dinov3::KMeansResult run(const std::vector<float>& x, int64_t rows, int64_t dim, dinov3::KMeansOptions o) {
  return dinov3::kmeans(dinov3::MatrixView{x.data(), rows, dim, dim}, o);
}
}  // namespace

TEST(kmeans_recovers_separated_blobs) {
  std::vector<int> truth;
  const int64_t rows = 1000, dim = 32;
  auto x = testdata::blobs(rows, dim, 5, 42, &truth);
  dinov3::KMeansOptions o;
  o.k = 5;
  o.restarts = 3;
  const auto r = run(x, rows, dim, o);
  std::map<int, std::set<int>> truth_to_label;
  for (int64_t i = 0; i < rows; ++i) truth_to_label[truth[i]].insert(r.labels[i]);
  std::set<int> used;
  for (auto& [t, labels] : truth_to_label) {
    CHECK(labels.size() == 1);
    used.insert(*labels.begin());
  }
  CHECK(used.size() == 5);
  CHECK(r.converged);
}

TEST(kmeans_is_deterministic_for_a_seed) {
  const int64_t rows = 3000, dim = 48;
  auto x = testdata::uniform(rows * dim, 9);
  dinov3::KMeansOptions o;
  o.k = 8;
  o.seed = 7;
  const auto a = run(x, rows, dim, o), b = run(x, rows, dim, o);
  CHECK(a.labels == b.labels);
  CHECK(a.centroids == b.centroids);
  CHECK(a.inertia == b.inertia);
  o.seed = 8;
  const auto c = run(x, rows, dim, o);
  CHECK(c.labels != a.labels);
}

TEST(kmeans_inertia_matches_labels_and_centroids) {
  const int64_t rows = 500, dim = 16;
  auto x = testdata::uniform(rows * dim, 5);
  dinov3::KMeansOptions o;
  o.k = 4;
  const auto r = run(x, rows, dim, o);
  double inertia = 0;
  for (int64_t i = 0; i < rows; ++i) {
    double best = 1e300;
    int best_c = -1;
    for (int c = 0; c < 4; ++c) {
      const double d = dinov3::squared_distance(&x[i * dim], &r.centroids[c * dim], dim);
      if (d < best) best = d, best_c = c;
    }
    CHECK(best_c == r.labels[i]);
    inertia += best;
  }
  CHECK_NEAR(r.inertia, inertia, 1e-6 * inertia);
}

TEST(kmeans_more_restarts_never_worse) {
  const int64_t rows = 800, dim = 24;
  auto x = testdata::uniform(rows * dim, 21);
  dinov3::KMeansOptions o;
  o.k = 6;
  const double one = run(x, rows, dim, o).inertia;
  o.restarts = 10;
  const double ten = run(x, rows, dim, o).inertia;
  CHECK(ten <= one + 1e-9);
}

TEST(kmeans_warm_start_from_converged_centroids_stops_at_once) {
  const int64_t rows = 600, dim = 8;
  auto x = testdata::blobs(rows, dim, 3, 4);
  dinov3::KMeansOptions o;
  o.k = 3;
  const auto first = run(x, rows, dim, o);
  o.initial_centroids = first.centroids.data();
  const auto again = run(x, rows, dim, o);
  CHECK(again.iterations <= 2);
  CHECK(again.labels == first.labels);
}

TEST(kmeans_repairs_empty_clusters) {
  const int64_t rows = 200, dim = 4;
  auto x = testdata::blobs(rows, dim, 4, 13);
  std::vector<float> init(4 * dim, 1000.0f);  // all four starting centres identical and far away
  dinov3::KMeansOptions o;
  o.k = 4;
  o.initial_centroids = init.data();
  const auto r = run(x, rows, dim, o);
  std::set<int> used(r.labels.begin(), r.labels.end());
  CHECK(used.size() == 4);
}

TEST(kmeans_k_equal_rows_gives_zero_inertia) {
  auto x = testdata::uniform(10 * 3, 2);
  dinov3::KMeansOptions o;
  o.k = 10;
  const auto r = run(x, 10, 3, o);
  CHECK_NEAR(r.inertia, 0.0, 1e-9);
}

TEST(kmeans_rejects_bad_input) {
  auto x = testdata::uniform(20 * 3, 2);
  dinov3::KMeansOptions o;
  o.k = 21;
  CHECK_THROWS_CODE(run(x, 20, 3, o), "ERR_DINO_INVALID_ARGUMENT");
  o.k = 0;
  CHECK_THROWS_CODE(run(x, 20, 3, o), "ERR_DINO_INVALID_ARGUMENT");
  o.k = 2;
  x[31] = NAN;
  CHECK_THROWS_CODE(run(x, 20, 3, o), "ERR_DINO_INVALID_FEATURES");
}

TEST(kmeans_cancel_flag_aborts) {
  auto x = testdata::uniform(100 * 3, 2);
  dinov3::KMeansOptions o;
  std::atomic<bool> cancel{true};
  CHECK_THROWS_CODE(dinov3::kmeans(dinov3::MatrixView{x.data(), 100, 3, 3}, o, &cancel), "ERR_DINO_ABORTED");
}

TEST(match_centroids_recovers_a_permutation) {
  const int k = 6, dim = 5;
  auto prev = testdata::uniform(k * dim, 77);
  const std::vector<int> perm = {3, 0, 5, 1, 4, 2};
  std::vector<float> cur(k * dim);
  for (int i = 0; i < k; ++i)
    for (int d = 0; d < dim; ++d) cur[i * dim + d] = prev[perm[i] * dim + d] + 0.01f;
  CHECK(dinov3::match_centroids(prev.data(), cur.data(), k, dim) == perm);
}

TEST(kmeans_fixed_iteration_count_when_not_stopping_at_convergence) {
  const int64_t rows = 600, dim = 8;
  auto x = testdata::blobs(rows, dim, 3, 4);
  dinov3::KMeansOptions o;
  o.k = 3;
  const auto stopping = run(x, rows, dim, o);
  CHECK(stopping.converged && stopping.iterations < 20);
  o.stop_at_convergence = false;
  o.max_iterations = 20;
  o.tolerance = 0;
  const auto fixed = run(x, rows, dim, o);
  CHECK(fixed.iterations == 20);
  CHECK(fixed.converged);                   // a fixed point was reached on the way
  CHECK(fixed.labels == stopping.labels);   // and further iterations do not move it
  CHECK_NEAR(fixed.inertia, stopping.inertia, 1e-9 * stopping.inertia);
}
