// Seeded synthetic data shared by the C++ tests.
#pragma once
#include <cstdint>
#include <vector>

#include "rng.h"

namespace testdata {

// `rows` points in `dim` dimensions drawn around `clusters` well separated centres; labels
// written to truth when non-null.
inline std::vector<float> blobs(int64_t rows, int64_t dim, int clusters, uint64_t seed,
                                std::vector<int>* truth = nullptr, float spread = 0.3f) {
  dinov3::Rng rng(seed);
  std::vector<float> centres(static_cast<size_t>(clusters) * dim);
  for (auto& c : centres) c = static_cast<float>((rng.uniform() - 0.5) * 20.0);
  std::vector<float> x(static_cast<size_t>(rows) * dim);
  if (truth) truth->resize(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const int c = static_cast<int>(r % clusters);
    if (truth) (*truth)[r] = c;
    for (int64_t d = 0; d < dim; ++d) {
      // sum of uniforms: roughly normal noise
      const double noise = (rng.uniform() + rng.uniform() + rng.uniform() - 1.5) * spread;
      x[r * dim + d] = centres[c * dim + d] + static_cast<float>(noise);
    }
  }
  return x;
}

inline std::vector<float> uniform(int64_t n, uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  dinov3::Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = lo + static_cast<float>(rng.uniform()) * (hi - lo);
  return v;
}

}  // namespace testdata
