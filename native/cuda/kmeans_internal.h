// Test hooks of the CUDA k-means (not part of the public interface).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cuda_api.h"

namespace dinov3::cuda::testing {

// Runs only the device k-means++ seeding for a raw Rng seed (as dinov3::kmeans_plus_plus takes
// it, not the per-restart seed kmeans() derives) and returns the k * dim starting centroids.
std::vector<float> kmeans_plus_plus(const DeviceMatrix& x, int k, uint64_t seed, Stream stream);

// Makes later calls accumulate cluster sums with double atomics (the mode normally used only when
// the per-tile partial sums would exceed 64 MB), so the tests cover both modes. Implies the graph
// path (the persistent kernel has no atomic mode).
void force_kmeans_atomic_mode(bool on);

// Which implementation later calls use: kAuto picks the persistent kernel (rows in shared memory
// when they fit) where the device supports cooperative launches and the shape fits, else the
// graph path; the others force a path (a shape the persistent kernel cannot run still falls
// back to the graphs).
enum class KMeansPath : int { kAuto = 0, kGraphs = 1, kPersistentUncached = 2, kPersistentUnstaged = 3 };
void force_kmeans_path(KMeansPath path);

// The implementation the last kmeans() / kmeans_plus_plus() on this thread used:
// "persistent, rows in shared memory", "persistent", "graphs", "graphs, atomic sums" ("none"
// before the first call). kPersistentUnstaged: the persistent kernel reads the centroids and the
// k-means++ trial rows from global memory instead of staging them in shared memory.
std::string last_kmeans_path();

// Per-phase device time of the persistent kernel (clock64 at the block-wide barriers between
// phases, converted with the kernel's own globaltimer / clock64 ratio). Off by default: enabled
// by set_kmeans_profiling(true) or DINOV3_KMEANS_PROFILE=1; costs a few clock reads per phase.
void set_kmeans_profiling(bool on);

struct KMeansProfile {
  bool valid = false;  // the last kmeans() / kmeans_plus_plus() on this thread ran persistent, profiled
  int grid = 0, tiles_per_block = 0, k = 0, iterations = 0;
  bool cached = false, staged = false;
  double kernel_us = 0;     // block 0, from its first to its last timestamp
  double ns_per_cycle = 0;  // SM clock, from block 0's globaltimer / clock64
  std::vector<std::string> phases;
  std::vector<double> block0_us, mean_us, max_us;  // per phase: block 0, mean and max over blocks
  std::vector<std::vector<double>> centre_us;      // block 0, per k-means++ centre (<= 64), per phase
  std::vector<std::vector<double>> iteration_us;   // block 0, per Lloyd iteration (<= 64), per phase
};
// The profile of the last run of the last kmeans() / kmeans_plus_plus() on this thread.
KMeansProfile last_kmeans_profile();

// What the persistent kernel needs of the current device (for the tests' expectations).
struct KMeansDeviceSupport {
  bool cooperative_launch = false;
  int multiprocessors = 0;
  int shared_per_block_optin = 0;  // bytes
};
KMeansDeviceSupport kmeans_device_support();

}  // namespace dinov3::cuda::testing
