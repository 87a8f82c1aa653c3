// SSE4.1, AVX2 and AVX-VNNI row kernels of the PIL-exact resize (see resize_plan.h for the
// arithmetic). Each function carries its own target attribute, so this file builds with the
// baseline flags and nothing here runs unless resize_dispatch.cc found the instructions on the CPU.
#include "resize_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include "resize_x86_sse.h"

#define DINOV3_SSE41_FN __attribute__((target("sse4.1")))

#pragma GCC diagnostic ignored "-Wpsabi"

namespace dinov3 {
namespace x86 {
namespace {

DINOV3_SSE41_FN void sse41_horizontal(const ResizePlan& plan, const uint8_t* rows, int64_t pitch, int count, PixelLayout l,
                                      uint8_t* out, int64_t out_pitch) {
  const QuadMasks masks = quad_masks(l);
  const int n = plan.out_size;
  for (int r = 0; r < count; ++r) {
    for (int x = 0; x < n; ++x) horizontal_one(plan, x, rows + r * pitch, l, masks, out + r * out_pitch + 3 * x, x + 1 < n);
  }
}

DINOV3_SSE41_FN void sse41_vertical(const ResizePlan& plan, int index, const uint8_t* rows, int64_t pitch, int64_t length,
                                    uint8_t* out) {
  int64_t i = 0;
  for (; i + 16 <= length; i += 16) vertical16(plan, index, rows, pitch, i, out);
  rows::vertical_span(plan, index, rows, pitch, i, length, out);
}

}  // namespace

// ---- AVX2: two output samples per vector in the horizontal pass, 32 bytes in the vertical ----
namespace avx2 {
#define DINOV3_AVX2_TARGET "avx2"
#define DINOV3_DOT_ADD(acc, a, b) _mm256_add_epi32((acc), _mm256_madd_epi16((a), (b)))
#include "resize_x86_avx2.inc"
#undef DINOV3_DOT_ADD
#undef DINOV3_AVX2_TARGET
}  // namespace avx2

// ---- AVX-VNNI: the same passes with vpdpwssd (multiply, add pairs and accumulate at once) ----
#if DINOV3_HAVE_AVXVNNI
namespace avxvnni {
#define DINOV3_AVX2_TARGET "avx2,avxvnni"
#define DINOV3_DOT_ADD(acc, a, b) _mm256_dpwssd_avx_epi32((acc), (a), (b))
#include "resize_x86_avx2.inc"
#undef DINOV3_DOT_ADD
#undef DINOV3_AVX2_TARGET
}  // namespace avxvnni
#endif

const RowKernels kSse41{sse41_horizontal, sse41_vertical, true};
const RowKernels kAvx2{avx2::horizontal, avx2::vertical, true};
#if DINOV3_HAVE_AVXVNNI
const RowKernels kAvxVnni{avxvnni::horizontal, avxvnni::vertical, true};
#endif

}  // namespace x86

const RowKernels* x86_sse41_row_kernels() { return &x86::kSse41; }
const RowKernels* x86_avx2_row_kernels() { return &x86::kAvx2; }
#if DINOV3_HAVE_AVXVNNI
const RowKernels* x86_avxvnni_row_kernels() { return &x86::kAvxVnni; }
#else
const RowKernels* x86_avxvnni_row_kernels() { return nullptr; }
#endif

}  // namespace dinov3

#else

namespace dinov3 {
const RowKernels* x86_sse41_row_kernels() { return nullptr; }
const RowKernels* x86_avx2_row_kernels() { return nullptr; }
const RowKernels* x86_avxvnni_row_kernels() { return nullptr; }
}  // namespace dinov3

#endif
