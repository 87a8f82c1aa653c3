#include "resize_plan.h"

#include <algorithm>

namespace dinov3 {

ResizePlan make_resize_plan(int in_size, int out_size, bool broadcast) {
  const ResampleAxis axis = bilinear_axis(in_size, out_size);
  ResizePlan plan;
  plan.in_size = in_size;
  plan.out_size = out_size;
  plan.first = axis.first;
  plan.count = axis.count;
  plan.pairs.resize(out_size);
  int steps = 1;
  for (int i = 0; i < out_size; ++i) {
    plan.pairs[i] = (axis.count[i] + 1) / 2;
    steps = std::max(steps, plan.pairs[i]);
  }
  plan.steps = steps;
  plan.low.assign(static_cast<size_t>(out_size) * steps, 0);
  plan.high.assign(static_cast<size_t>(out_size) * steps, 0);
  plan.weights.assign(static_cast<size_t>(out_size) * steps * 2, 0);
  for (int i = 0; i < out_size; ++i) {
    const int32_t* w = &axis.weights[static_cast<size_t>(i) * axis.taps];
    int32_t* padded = &plan.weights[static_cast<size_t>(i) * steps * 2];
    std::copy(w, w + axis.count[i], padded);
    for (int s = 0; s < steps; ++s) {
      plan.low[static_cast<size_t>(i) * steps + s] = low_pair(padded[2 * s], padded[2 * s + 1]);
      plan.high[static_cast<size_t>(i) * steps + s] = high_pair(padded[2 * s], padded[2 * s + 1]);
    }
  }
  if (broadcast) {
    const int blocks = (out_size + 1) / 2;
    plan.broadcast_steps = (steps + 1) / 2 * 2;
    plan.broadcast.assign(static_cast<size_t>(blocks) * plan.broadcast_steps * 16, 0);
    for (int i = 0; i < out_size; ++i) {
      for (int s = 0; s < steps; ++s) {
        uint32_t* block = &plan.broadcast[(static_cast<size_t>(i / 2) * plan.broadcast_steps + s) * 16];
        for (int lane = 0; lane < 4; ++lane) {
          block[(i % 2) * 4 + lane] = plan.low[static_cast<size_t>(i) * steps + s];
          block[8 + (i % 2) * 4 + lane] = plan.high[static_cast<size_t>(i) * steps + s];
        }
      }
    }
    for (int channels = 1; channels <= 4; ++channels) {
      int q = 0;
      for (; 2 * q + 1 < out_size; ++q) {
        const int quads = (std::max(plan.pairs[2 * q], plan.pairs[2 * q + 1]) + 1) / 2;
        const int64_t last = std::max(plan.first[2 * q], plan.first[2 * q + 1]) + 4 * static_cast<int64_t>(quads) - 4;
        if (last * channels + kQuadLoadBytes > static_cast<int64_t>(in_size) * channels) break;
      }
      plan.fitting_pairs[channels] = q;
    }
  }
  return plan;
}

}  // namespace dinov3
