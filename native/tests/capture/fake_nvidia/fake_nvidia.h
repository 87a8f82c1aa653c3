// Shared by the fake libcuda.so.1 and the fake libnvbufsurface.so (test doubles written for this
// project; they follow the public signatures of NVIDIA's headers). They let the NVMM path of the
// capture module run on a machine without a Jetson: an "EGL image" is a FakeEglImage that points
// at the surface's host memory, and the "device pointers" CUDA hands out are those host pointers.
#pragma once
#include <cstdint>

struct FakeEglImage {
  uint32_t magic;           // kFakeEglMagic
  void* data;               // plane 0 (host memory standing in for the surface)
  bool pitch_linear;
  uint32_t planes;
  uint32_t pitch;           // of plane 0
  uint32_t offsets[4];      // of each plane from data
  uint32_t width, height;
};

inline constexpr uint32_t kFakeEglMagic = 0x46454749;  // "FEGI"

// Counters a test reads through dlsym(RTLD_DEFAULT, ...).
extern "C" {
struct FakeCudaCounts {
  int registered, unregistered, contexts_retained, contexts_released, wrong_context;
};
struct FakeNvbufCounts {
  int egl_mapped, egl_unmapped;
};
void fake_cuda_counts(FakeCudaCounts* out);
void fake_nvbuf_counts(FakeNvbufCounts* out);
}
