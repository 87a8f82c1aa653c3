// See nvmm_mapper.h. Compiled only with DINOV3_WITH_NVMM.
#include "nvmm_mapper.h"

#include <nvbufsurface.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cuda_driver.h"

namespace dinov3::capture {
namespace {

constexpr const char* kPitchLinearHint =
    "convert it to pitch-linear before the appsink: `... ! nvvidconv ! "
    "video/x-raw(memory:NVMM),format=RGBA ! appsink name=sink` (nvvidconv writes pitch-linear surfaces)";

struct SurfaceFormat {
  PixelFormat format;
  bool full_range;
  uint32_t planes;
};

bool surface_format(NvBufSurfaceColorFormat f, SurfaceFormat* out) {
  switch (f) {
    case NVBUF_COLOR_FORMAT_RGBA: *out = {PixelFormat::kRGBA, true, 1}; return true;
    case NVBUF_COLOR_FORMAT_BGRA: *out = {PixelFormat::kBGRA, true, 1}; return true;
    case NVBUF_COLOR_FORMAT_RGBx: *out = {PixelFormat::kRGBx, true, 1}; return true;
    case NVBUF_COLOR_FORMAT_BGRx: *out = {PixelFormat::kBGRx, true, 1}; return true;
    case NVBUF_COLOR_FORMAT_GRAY8: *out = {PixelFormat::kGray8, true, 1}; return true;
    case NVBUF_COLOR_FORMAT_NV12: *out = {PixelFormat::kNV12, false, 2}; return true;
    case NVBUF_COLOR_FORMAT_NV12_ER: *out = {PixelFormat::kNV12, true, 2}; return true;
    case NVBUF_COLOR_FORMAT_YUV420: *out = {PixelFormat::kI420, false, 3}; return true;
    case NVBUF_COLOR_FORMAT_YUV420_ER: *out = {PixelFormat::kI420, true, 3}; return true;
    default: return false;
  }
}

// NvBufSurfaceMapEglImage creates its EGLImage on the default display; initialising that display
// here first turns the headless failure into a clear message instead of a null image.
void ensure_egl_display() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    const char* advice =
        " NvBufSurfaceMapEglImage needs an EGL display. On a headless Jetson or over SSH: unset DISPLAY "
        "when it points at another machine's X server (ssh -X), or start a local X server; see "
        "dusty-nv/jetson-utils#101 (\"No EGLDisplay to create EGLImage\").";
    EGLDisplay display = eglGetDisplay(EGL_DEFAULT_DISPLAY);
    if (display == EGL_NO_DISPLAY) {
      failure = "eglGetDisplay(EGL_DEFAULT_DISPLAY) returned no display." + std::string(advice);
      return;
    }
    EGLint major = 0, minor = 0;
    if (eglInitialize(display, &major, &minor) != EGL_TRUE) {
      char code[16];
      std::snprintf(code, sizeof(code), "0x%04x", static_cast<unsigned>(eglGetError()));
      failure = std::string("eglInitialize on the default display failed (EGL error ") + code + ")." + advice;
    }
    // Never eglTerminate: the default display is shared with the rest of the process.
  });
  if (!failure.empty()) fail(kErrSource, failure);
}

class Mapper final : public NvmmMapper {
 public:
  Mapper() {
    ensure_egl_display();
    const CudaDriver& cu = cuda_driver();
    check_cuda(cu.init(0), "cuInit");
    check_cuda(cu.device_get(&device_, 0), "cuDeviceGet");
    check_cuda(cu.primary_ctx_retain(&context_, device_), "cuDevicePrimaryCtxRetain");
  }

  ~Mapper() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [memory, entry] : entries_) destroy(memory, entry);
      entries_.clear();
    }
    cuda_driver().primary_ctx_release(device_);
  }

  DeviceMapping lease(GstMemory* memory, void* surface) override {
    auto* surf = static_cast<NvBufSurface*>(surface);
    if (surf == nullptr || surf->surfaceList == nullptr || surf->batchSize < 1) {
      fail(kErrSource,
           "the NVMM buffer holds no NvBufSurface (the NVMM path needs JetPack 5 or later, where the "
           "buffer payload is an NvBufSurface)");
    }
    if (surf->batchSize > 1) fail(kErrSource, "batched NVMM buffers (batch-size > 1) are not supported");
    const NvBufSurfaceParams& params = surf->surfaceList[0];
    if (params.layout != NVBUF_LAYOUT_PITCH) {
      fail(kErrSource, std::string("the NVMM surface is block-linear, which CUDA can only read as an array; ") +
                           kPitchLinearHint);
    }
    SurfaceFormat sf{};
    if (!surface_format(params.colorFormat, &sf)) {
      fail(kErrSource, "NVMM colour format " + std::to_string(static_cast<int>(params.colorFormat)) +
                           " is not supported (RGBA, BGRA, RGBx, BGRx, GRAY8, NV12 or I420 are): use `nvvidconv ! "
                           "video/x-raw(memory:NVMM),format=RGBA` or format=NV12 before the appsink");
    }
    if (params.planeParams.num_planes != sf.planes) {
      fail(kErrSource, "the NVMM surface has " + std::to_string(params.planeParams.num_planes) +
                           " planes where its colour format has " + std::to_string(sf.planes));
    }

    std::lock_guard<std::mutex> lock(mutex_);
    sweep();
    auto it = entries_.find(memory);
    if (it != entries_.end() && !matches(it->second, surf)) {
      if (it->second.leases > 0) fail(kErrSource, "a leased NVMM buffer changed its surface (internal error)");
      destroy(it->first, it->second);
      entries_.erase(it);
      it = entries_.end();
    }
    if (it == entries_.end()) it = entries_.emplace(memory, create(memory, surf, sf)).first;
    ++it->second.leases;
    return it->second.mapping;
  }

  void unlease(GstMemory* memory) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(memory);
    if (it == entries_.end()) return;
    if (--it->second.leases == 0 && closed_) {
      destroy(it->first, it->second);
      entries_.erase(it);
    }
  }

  void close() override {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.leases == 0) {
        destroy(it->first, it->second);
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  struct Entry {
    NvBufSurface* surface = nullptr;
    uint64_t fd = 0;              // the surface's DMABUF fd (bufferDesc)
    void* egl_image = nullptr;
    bool owns_egl_image = false;  // we mapped it, so we unmap it
    CUgraphicsResource resource = nullptr;
    DeviceMapping mapping;
    int leases = 0;
  };

  static bool matches(const Entry& e, NvBufSurface* surf) {
    const NvBufSurfaceParams& p = surf->surfaceList[0];
    return e.surface == surf && e.fd == p.bufferDesc && (e.resource == nullptr || e.egl_image == p.mappedAddr.eglImage);
  }

  Entry create(GstMemory* memory, NvBufSurface* surf, const SurfaceFormat& sf) {
    NvBufSurfaceParams& p = surf->surfaceList[0];
    Entry e;
    e.surface = surf;
    e.fd = p.bufferDesc;
    DeviceMapping& m = e.mapping;
    m.format = sf.format;
    m.full_range = sf.full_range;
    m.width = static_cast<int32_t>(p.width);
    m.height = static_cast<int32_t>(p.height);
    m.plane_count = static_cast<int32_t>(sf.planes);

    uint64_t plane_pointers[NVBUF_MAX_PLANES] = {};
    if (surf->memType == NVBUF_MEM_CUDA_DEVICE || surf->memType == NVBUF_MEM_CUDA_UNIFIED) {
      // dGPU DeepStream surfaces: dataPtr already is a device pointer.
      if (p.dataPtr == nullptr) fail(kErrSource, "the CUDA NvBufSurface has no data pointer");
      for (uint32_t i = 0; i < sf.planes; ++i) {
        plane_pointers[i] = reinterpret_cast<uint64_t>(p.dataPtr) + p.planeParams.offset[i];
      }
    } else {
      if (surf->memType != NVBUF_MEM_SURFACE_ARRAY && surf->memType != NVBUF_MEM_DEFAULT) {
        fail(kErrSource, "NVMM memory type " + std::to_string(static_cast<int>(surf->memType)) +
                             " cannot be mapped into CUDA (NVBUF_MEM_SURFACE_ARRAY is expected on Jetson)");
      }
      const CudaDriver& cu = cuda_driver();
      ScopedPrimaryContext scope(context_);
      if (p.mappedAddr.eglImage == nullptr) {
        if (NvBufSurfaceMapEglImage(surf, 0) != 0 || p.mappedAddr.eglImage == nullptr) {
          fail(kErrSource,
               "NvBufSurfaceMapEglImage failed. On a headless Jetson this usually means there is no EGL display "
               "(\"No EGLDisplay to create EGLImage\"): unset DISPLAY when it points at another machine's X "
               "server, or run with a local X server");
        }
        e.owns_egl_image = true;
      }
      e.egl_image = p.mappedAddr.eglImage;
      CUresult r = cu.egl_register_image(&e.resource, static_cast<EGLImageKHR>(e.egl_image),
                                         CU_GRAPHICS_MAP_RESOURCE_FLAGS_NONE);
      if (r != CUDA_SUCCESS) {
        e.resource = nullptr;
        release_egl(e);
        fail(kErrSource, "cuGraphicsEGLRegisterImage failed: " + cuda_result_text(r));
      }
      CUeglFrame frame{};
      r = cu.get_mapped_egl_frame(&frame, e.resource, 0, 0);
      if (r != CUDA_SUCCESS || frame.frameType != CU_EGL_FRAME_TYPE_PITCH) {
        cu.unregister_resource(e.resource);
        release_egl(e);
        if (r != CUDA_SUCCESS) fail(kErrSource, "cuGraphicsResourceGetMappedEglFrame failed: " + cuda_result_text(r));
        fail(kErrSource, std::string("the EGL frame of the NVMM surface is a CUDA array (block-linear); ") +
                             kPitchLinearHint);
      }
      for (uint32_t i = 0; i < sf.planes; ++i) {
        plane_pointers[i] = i < frame.planeCount && frame.frame.pPitch[i] != nullptr
                                ? reinterpret_cast<uint64_t>(frame.frame.pPitch[i])
                                : reinterpret_cast<uint64_t>(frame.frame.pPitch[0]) + p.planeParams.offset[i];
      }
    }
    m.device_pointer = plane_pointers[0];
    for (uint32_t i = 0; i < sf.planes; ++i) {
      Plane& plane = m.planes[i];
      plane.offset = plane_pointers[i] - plane_pointers[0];
      plane.pitch = static_cast<int32_t>(p.planeParams.pitch[i]);
      plane.rows = static_cast<int32_t>(p.planeParams.height[i]);
      const size_t end = plane.offset + static_cast<size_t>(plane.pitch) * static_cast<size_t>(plane.rows);
      if (end > m.size) m.size = end;
    }
    gst_memory_ref(memory);  // keeps the surface alive while registered (see the header)
    return e;
  }

  // Drops registrations whose memory only we still hold: their pool let the buffer go.
  void sweep() {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.leases == 0 && GST_MINI_OBJECT_REFCOUNT_VALUE(it->first) == 1) {
        destroy(it->first, it->second);
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }

  static void release_egl(Entry& e) {
    if (e.owns_egl_image && e.surface->surfaceList[0].mappedAddr.eglImage == e.egl_image) {
      NvBufSurfaceUnMapEglImage(e.surface, 0);
    }
    e.owns_egl_image = false;
  }

  // Never throws: runs on stop and in destructors.
  void destroy(GstMemory* memory, Entry& e) {
    if (e.resource != nullptr) {
      const CudaDriver& cu = cuda_driver();
      const bool pushed = cu.ctx_push(context_) == CUDA_SUCCESS;
      cu.unregister_resource(e.resource);
      if (pushed) {
        CUcontext popped = nullptr;
        cu.ctx_pop(&popped);
      }
      e.resource = nullptr;
    }
    release_egl(e);
    gst_memory_unref(memory);
  }

  std::mutex mutex_;
  std::unordered_map<GstMemory*, Entry> entries_;
  CUdevice device_ = 0;
  CUcontext context_ = nullptr;
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<NvmmMapper> NvmmMapper::create() { return std::make_shared<Mapper>(); }

}  // namespace dinov3::capture
