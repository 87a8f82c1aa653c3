// Which resize kernel runs: the CPU's best unless DINOV3_RESIZE_KERNEL names another.
#include <cstdlib>

#include "resize_kernels.h"

namespace dinov3 {

const char* resize_kernel_name(ResizeKernel kernel) {
  switch (kernel) {
    case ResizeKernel::kScalar:
      return "scalar";
    case ResizeKernel::kSse41:
      return "sse4.1";
    case ResizeKernel::kAvx2:
      return "avx2";
    case ResizeKernel::kAvxVnni:
      return "avx-vnni";
    case ResizeKernel::kNeon:
      return "neon";
  }
  return "unknown";
}

bool parse_resize_kernel(const std::string& name, ResizeKernel* kernel) {
  for (ResizeKernel k : {ResizeKernel::kScalar, ResizeKernel::kSse41, ResizeKernel::kAvx2, ResizeKernel::kAvxVnni, ResizeKernel::kNeon}) {
    if (name == resize_kernel_name(k)) {
      *kernel = k;
      return true;
    }
  }
  return false;
}

bool resize_kernel_supported(ResizeKernel kernel) {
  switch (kernel) {
    case ResizeKernel::kScalar:
      return true;
    case ResizeKernel::kSse41:
#if defined(__x86_64__) && defined(__GNUC__)
      return x86_sse41_row_kernels() != nullptr && __builtin_cpu_supports("sse4.1");
#else
      return false;
#endif
    case ResizeKernel::kAvx2:
#if defined(__x86_64__) && defined(__GNUC__)
      return x86_avx2_row_kernels() != nullptr && __builtin_cpu_supports("avx2");
#else
      return false;
#endif
    case ResizeKernel::kAvxVnni:
#if defined(__x86_64__) && defined(__GNUC__) && ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && __GNUC__ >= 11))
      return x86_avxvnni_row_kernels() != nullptr && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avxvnni");
#else
      return false;
#endif
    case ResizeKernel::kNeon:
      return neon_row_kernels() != nullptr;
  }
  return false;
}

std::vector<ResizeKernel> supported_resize_kernels() {
  std::vector<ResizeKernel> out;
  for (ResizeKernel k : {ResizeKernel::kScalar, ResizeKernel::kSse41, ResizeKernel::kAvx2, ResizeKernel::kAvxVnni, ResizeKernel::kNeon}) {
    if (resize_kernel_supported(k)) out.push_back(k);
  }
  return out;
}

ResizeKernel best_resize_kernel() { return supported_resize_kernels().back(); }

ResizeKernel selected_resize_kernel() {
  static const ResizeKernel chosen = [] {
    const char* env = std::getenv("DINOV3_RESIZE_KERNEL");
    ResizeKernel k;
    if (env != nullptr && parse_resize_kernel(env, &k) && resize_kernel_supported(k)) return k;
    return best_resize_kernel();
  }();
  return chosen;
}

PixelLayout pixel_layout(PixelFormat format) {
  switch (format) {
    case PixelFormat::kRGB:
      return {3, 0, 1, 2};
    case PixelFormat::kRGBA:
      return {4, 0, 1, 2};
    case PixelFormat::kBGR:
      return {3, 2, 1, 0};
    case PixelFormat::kBGRA:
      return {4, 2, 1, 0};
    case PixelFormat::kGray:
      return {1, 0, 0, 0};
  }
  return {3, 0, 1, 2};
}

const RowKernels* row_kernels(ResizeKernel kernel) {
  switch (kernel) {
    case ResizeKernel::kScalar:
      return nullptr;
    case ResizeKernel::kSse41:
      return x86_sse41_row_kernels();
    case ResizeKernel::kAvx2:
      return x86_avx2_row_kernels();
    case ResizeKernel::kAvxVnni:
      return x86_avxvnni_row_kernels();
    case ResizeKernel::kNeon:
      return neon_row_kernels();
  }
  return nullptr;
}

}  // namespace dinov3
