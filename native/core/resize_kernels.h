// The row kernels of the vectorised resize (resize_fast.cc drives them) and their run-time choice.
//
// Every kernel computes PIL's fixed-point sums exactly (int32, 22 fractional bits, the same
// rounding and clamping), so each gives the same bytes as the scalar reference in preprocess.cc.
// The x86 kernels (SSE4.1, AVX2, and AVX2 with AVX-VNNI's vpdpwssd) are compiled with per-function target attributes and picked by
// the CPU at run time; NEON is the arm64 baseline. DINOV3_RESIZE_KERNEL=scalar|auto|sse4.1|avx2|avx-vnni|neon
// overrides the choice (an unsupported name falls back to auto).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "preprocess.h"
#include "resize_plan.h"

namespace dinov3 {

enum class ResizeKernel : int { kScalar = 0, kSse41 = 1, kAvx2 = 2, kAvxVnni = 3, kNeon = 4 };

const char* resize_kernel_name(ResizeKernel kernel);
// Parses "scalar", "sse4.1", "avx2", "avx-vnni", "neon"; false for anything else.
bool parse_resize_kernel(const std::string& name, ResizeKernel* kernel);
bool resize_kernel_supported(ResizeKernel kernel);
// Kernels this build and CPU can run, scalar first.
std::vector<ResizeKernel> supported_resize_kernels();
// The fastest supported kernel.
ResizeKernel best_resize_kernel();
// The kernel preprocess() and resize_rgb() use: DINOV3_RESIZE_KERNEL if set to a supported
// kernel, else the fastest (read once).
ResizeKernel selected_resize_kernel();

// Byte offsets of R, G, B in one pixel of `format`, and its size.
struct PixelLayout {
  int channels, r, g, b;
};
PixelLayout pixel_layout(PixelFormat format);

struct RowKernels {
  // `count` input rows (plan.in_size pixels in `layout`, `pitch` bytes apart) to plan.out_size
  // packed RGB pixels each (out_pitch bytes apart).
  void (*horizontal)(const ResizePlan& plan, const uint8_t* rows, int64_t pitch, int count, PixelLayout layout, uint8_t* out,
                     int64_t out_pitch);
  // Output row `index` of the vertical plan from input rows of `length` bytes, `pitch` apart.
  void (*vertical)(const ResizePlan& plan, int index, const uint8_t* rows, int64_t pitch, int64_t length, uint8_t* out);
  // The horizontal pass reads ResizePlan::broadcast.
  bool broadcast_weights;
};

// The row kernels of a vectorised kernel; nullptr for kScalar or one this build lacks.
const RowKernels* row_kernels(ResizeKernel kernel);

// Per-ISA tables (nullptr where not compiled in).
const RowKernels* x86_sse41_row_kernels();
const RowKernels* x86_avx2_row_kernels();
const RowKernels* x86_avxvnni_row_kernels();
const RowKernels* neon_row_kernels();

}  // namespace dinov3
