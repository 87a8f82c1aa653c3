// Test hooks of the CUDA k-means (not part of the public interface).
#pragma once
#include <cstdint>
#include <vector>

#include "cuda_api.h"

namespace dinov3::cuda::testing {

// Runs only the device k-means++ seeding for a raw Rng seed (as dinov3::kmeans_plus_plus takes
// it, not the per-restart seed kmeans() derives) and returns the k * dim starting centroids.
std::vector<float> kmeans_plus_plus(const DeviceMatrix& x, int k, uint64_t seed, Stream stream);

// Makes later calls accumulate cluster sums with double atomics (the mode normally used only when
// the per-tile partial sums would exceed 64 MB), so the tests cover both modes.
void force_kmeans_atomic_mode(bool on);

}  // namespace dinov3::cuda::testing
