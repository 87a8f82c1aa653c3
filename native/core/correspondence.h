// Dense correspondence between two patch-feature matrices: for every row of `a` its k most
// cosine-similar rows of `b`, and for every row of `b` its k most similar rows of `a`, from one
// blocked pass over the similarity matrix (which is never held whole).
#pragma once
#include <cstdint>
#include <vector>

#include "matrix_view.h"

namespace dinov3 {

// The k nearest neighbours of each row, best first (ties: the lower index first). Rows of
// `index` / `similarity` hold k entries each.
struct Neighbours {
  int k = 0;
  std::vector<int32_t> index;
  std::vector<float> similarity;
};

struct CorrespondenceResult {
  Neighbours a_to_b;  // a.rows rows
  Neighbours b_to_a;  // b.rows rows
};

// Both directions of the k-nearest-neighbour search under cosine similarity (a zero row has
// similarity 0 to everything). Requires a.dim == b.dim, 1 <= k <= min(a.rows, b.rows, 16).
// Deterministic: the result does not depend on the number of threads.
CorrespondenceResult nearest_neighbours(const MatrixView& a, const MatrixView& b, int k);

// Rows of x scaled to unit L2 norm (zero rows stay zero), dense: x.rows * x.dim floats.
std::vector<float> normalized_rows(const MatrixView& x);

}  // namespace dinov3
