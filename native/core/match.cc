#include "match.h"

#include <algorithm>
#include <limits>

#include "vector_math.h"

namespace dinov3 {

std::vector<int> hungarian(const std::vector<double>& cost, int n) {
  // Potentials-based Hungarian algorithm (1-based internal arrays).
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(n + 1, 0), minv(n + 1);
  std::vector<int> p(n + 1, 0), way(n + 1, 0);
  std::vector<char> used(n + 1);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::fill(minv.begin(), minv.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const int i0 = p[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const double cur = cost[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) minv[j] = cur, way[j] = j0;
        if (minv[j] < delta) delta = minv[j], j1 = j;
      }
      for (int j = 0; j <= n; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> result(n, -1);
  for (int j = 1; j <= n; ++j) {
    if (p[j] != 0) result[p[j] - 1] = j - 1;
  }
  return result;
}

std::vector<int> match_centroids(const float* previous, const float* current, int k, int64_t dim) {
  std::vector<double> cost(static_cast<size_t>(k) * k);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) cost[i * k + j] = squared_distance(current + i * dim, previous + j * dim, dim);
  return hungarian(cost, k);
}

}  // namespace dinov3
