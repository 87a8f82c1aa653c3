// A fake libnvbufsurface.so: NvBufSurfaceMapEglImage / NvBufSurfaceUnMapEglImage over host
// memory (surfaceList[i].dataPtr stands in for the hardware surface).
#include <nvbufsurface.h>

#include <atomic>

#include "fake_nvidia.h"

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {
std::atomic<int> g_mapped{0}, g_unmapped{0};
}

FAKE_EXPORT int NvBufSurfaceMapEglImage(NvBufSurface* surf, int index) {
  if (surf == nullptr || index < 0 || static_cast<uint32_t>(index) >= surf->batchSize) return -1;
  NvBufSurfaceParams& p = surf->surfaceList[index];
  if (p.mappedAddr.eglImage != nullptr || p.dataPtr == nullptr) return -1;
  auto* img = new FakeEglImage{};
  img->magic = kFakeEglMagic;
  img->data = p.dataPtr;
  img->pitch_linear = p.layout == NVBUF_LAYOUT_PITCH;
  img->planes = p.planeParams.num_planes;
  img->pitch = p.planeParams.pitch[0];
  for (uint32_t i = 0; i < p.planeParams.num_planes && i < 4; ++i) img->offsets[i] = p.planeParams.offset[i];
  img->width = p.width;
  img->height = p.height;
  p.mappedAddr.eglImage = img;
  ++g_mapped;
  return 0;
}

FAKE_EXPORT int NvBufSurfaceUnMapEglImage(NvBufSurface* surf, int index) {
  if (surf == nullptr || index < 0 || static_cast<uint32_t>(index) >= surf->batchSize) return -1;
  NvBufSurfaceParams& p = surf->surfaceList[index];
  auto* img = static_cast<FakeEglImage*>(p.mappedAddr.eglImage);
  if (img == nullptr || img->magic != kFakeEglMagic) return -1;
  img->magic = 0;
  delete img;
  p.mappedAddr.eglImage = nullptr;
  ++g_unmapped;
  return 0;
}

FAKE_EXPORT void fake_nvbuf_counts(FakeNvbufCounts* out) { *out = {g_mapped.load(), g_unmapped.load()}; }
