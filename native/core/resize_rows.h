// The vectorised resize: the horizontal pass over every input row, then the vertical pass one
// output row at a time, each finished output row (packed RGB) handed to a sink — which copies it
// (resize_rgb) or normalises it straight into the NCHW planes (preprocess), so no full-size
// intermediate image is written after the horizontal pass.
#pragma once
#include <cstdint>
#include <functional>

#include "resize_kernels.h"

namespace dinov3 {

// Called once per output row y with out_width * 3 bytes; rows may arrive in any order and from
// several threads at once.
using RowSink = std::function<void(int64_t y, const uint8_t* rgb_row)>;

// src must already be checked (check_image in preprocess.cc).
void resize_rows(const RowKernels& kernels, const ImageView& src, int out_width, int out_height, const RowSink& sink);

}  // namespace dinov3
