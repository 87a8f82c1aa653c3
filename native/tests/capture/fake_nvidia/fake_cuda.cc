// A fake CUDA driver (libcuda.so.1) with just the entry points the capture module's NVMM path
// resolves. It checks what the real driver would reject: graphics calls without a current
// context, unknown resources, releases without retains.
#include <cuda.h>
#include <cudaEGL.h>

#include <atomic>
#include <cstring>

#include "fake_nvidia.h"

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

int g_primary_context = 0;  // its address is the fake CUcontext
thread_local int t_depth = 0;  // contexts pushed on this thread
std::atomic<int> g_registered{0}, g_unregistered{0}, g_retained{0}, g_released{0}, g_wrong_context{0};

struct FakeResource {
  uint32_t magic = 0x46524553;  // "FRES"
  FakeEglImage* image = nullptr;
};

CUcontext primary() { return reinterpret_cast<CUcontext>(&g_primary_context); }

}  // namespace

FAKE_EXPORT CUresult cuInit(unsigned int) { return CUDA_SUCCESS; }

FAKE_EXPORT CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
  *device = 0;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice) {
  ++g_retained;
  *ctx = primary();
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice) {
  if (g_released.load() >= g_retained.load()) return CUDA_ERROR_INVALID_CONTEXT;
  ++g_released;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxPushCurrent_v2(CUcontext ctx) {
  if (ctx != primary()) return CUDA_ERROR_INVALID_CONTEXT;
  ++t_depth;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxPopCurrent_v2(CUcontext* ctx) {
  if (t_depth == 0) return CUDA_ERROR_INVALID_CONTEXT;
  --t_depth;
  if (ctx != nullptr) *ctx = primary();
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGraphicsEGLRegisterImage(CUgraphicsResource* resource, EGLImageKHR image, unsigned int) {
  if (t_depth == 0) {
    ++g_wrong_context;
    return CUDA_ERROR_INVALID_CONTEXT;
  }
  auto* img = static_cast<FakeEglImage*>(image);
  if (img == nullptr || img->magic != kFakeEglMagic) return CUDA_ERROR_INVALID_VALUE;
  auto* r = new FakeResource();
  r->image = img;
  *resource = reinterpret_cast<CUgraphicsResource>(r);
  ++g_registered;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGraphicsResourceGetMappedEglFrame(CUeglFrame* frame, CUgraphicsResource resource, unsigned int,
                                                         unsigned int) {
  if (t_depth == 0) {
    ++g_wrong_context;
    return CUDA_ERROR_INVALID_CONTEXT;
  }
  auto* r = reinterpret_cast<FakeResource*>(resource);
  if (r == nullptr || r->magic != 0x46524553) return CUDA_ERROR_INVALID_HANDLE;
  const FakeEglImage& img = *r->image;
  std::memset(frame, 0, sizeof(*frame));
  frame->frameType = img.pitch_linear ? CU_EGL_FRAME_TYPE_PITCH : CU_EGL_FRAME_TYPE_ARRAY;
  frame->planeCount = img.planes;
  frame->width = img.width;
  frame->height = img.height;
  frame->pitch = img.pitch;
  for (uint32_t i = 0; i < img.planes && i < MAX_PLANES; ++i) {
    frame->frame.pPitch[i] = static_cast<uint8_t*>(img.data) + img.offsets[i];
  }
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGraphicsUnregisterResource(CUgraphicsResource resource) {
  if (t_depth == 0) {
    ++g_wrong_context;
    return CUDA_ERROR_INVALID_CONTEXT;
  }
  auto* r = reinterpret_cast<FakeResource*>(resource);
  if (r == nullptr || r->magic != 0x46524553) return CUDA_ERROR_INVALID_HANDLE;
  r->magic = 0;
  delete r;
  ++g_unregistered;
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuGetErrorString(CUresult error, const char** text) {
  *text = error == CUDA_SUCCESS ? "no error" : "fake CUDA error";
  return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t bytes) {
  std::memcpy(dst, reinterpret_cast<const void*>(src), bytes);
  return CUDA_SUCCESS;
}

FAKE_EXPORT void fake_cuda_counts(FakeCudaCounts* out) {
  *out = {g_registered.load(), g_unregistered.load(), g_retained.load(), g_released.load(), g_wrong_context.load()};
}
