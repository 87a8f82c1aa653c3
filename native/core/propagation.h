// One step of label propagation for video object segmentation (DINO / DINOv3 video tracking):
// every patch of the current frame takes a weighted average of the soft labels of its most
// similar patches among the context frames, restricted to a spatial neighbourhood.
//
// For target patch i (features L2-normalised): scores s = <f_i, g_tj> for every context frame t
// and every context patch j within `radius` patches of i (Euclidean distance on the grid for a
// circle, Chebyshev for a square); the `topk` largest scores are kept (every score >= the k-th
// largest, so ties are all kept), w = softmax(s / temperature) over them, and
// out_i = sum w * probs_tj, divided by its sum over the labels.
#pragma once
#include <cstdint>

#include "matrix_view.h"

namespace dinov3 {

struct PropagationOptions {
  int rows = 0;             // patch grid of every frame
  int cols = 0;
  int topk = 5;
  float temperature = 0.2f;
  float radius = 12.0f;     // <= 0: no neighbourhood restriction
  bool circle = true;       // false: square window
};

// current: rows*cols normalised patch features (view); context: `frames` dense matrices of
// rows*cols x dim normalised features, back to back; context_probs: frames * rows*cols * labels
// soft labels; out: rows*cols * labels.
void propagate_labels(const MatrixView& current, const float* context, int frames, const float* context_probs,
                      int labels, const PropagationOptions& options, float* out);

}  // namespace dinov3
