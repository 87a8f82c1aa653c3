// Cosine similarity of query vectors to every row of a feature matrix.
#pragma once
#include <cstdint>

#include "matrix_view.h"

namespace dinov3 {

// L2 norm of every row.
void row_norms(const MatrixView& x, float* norms);

// out[q * x.rows + r] = cos(query q, row r) for nq queries of x.dim values each (contiguous).
// A zero vector has similarity 0 to everything (never NaN).
void cosine_similarity(const MatrixView& x, const float* queries, int64_t nq, float* out);

}  // namespace dinov3
