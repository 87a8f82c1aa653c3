// Matching clusters between consecutive video frames so that a region keeps its colour:
// the one-to-one assignment of current centroids to previous ones with the least total squared
// distance (Hungarian algorithm, O(k^3)).
#pragma once
#include <cstdint>
#include <vector>

namespace dinov3 {

// Returns `to_previous` with to_previous[i] = the previous cluster that current cluster i takes
// the place of. Both centroid sets hold k rows of `dim` floats.
std::vector<int> match_centroids(const float* previous, const float* current, int k, int64_t dim);

// Minimum-cost assignment for a square n x n cost matrix (row-major): result[row] = column.
std::vector<int> hungarian(const std::vector<double>& cost, int n);

}  // namespace dinov3
