// Jetson NVMM zero-copy frames: an NvBufSurface (the payload of a video/x-raw(memory:NVMM)
// GstBuffer on JetPack 5 and later) mapped into CUDA as a pitched device pointer.
//
// Only compiled when DINOV3_WITH_NVMM is defined (JetPack's nvbufsurface.h and libnvbufsurface,
// EGL and the CUDA driver API). This header itself needs none of those: gst_source.cc includes it.
//
// The DeepStream pattern (../shared/docs/TENSORRT-JETSON.md §3):
//   NvBufSurfaceMapEglImage(surf, 0)  ->  cuGraphicsEGLRegisterImage  (once per pool buffer)
//   ->  cuGraphicsResourceGetMappedEglFrame  ->  frame.frame.pPitch[0] + pitch.
// Registrations are cached per pool buffer: the key is the GstMemory that holds the NvBufSurface,
// checked against the surface pointer and its DMABUF fd. The cache holds a reference to that
// GstMemory, so the surface cannot be freed under a live registration (a plain reference does
// not make a pool buffer "shared", so pools still recycle it). Entries are dropped when their
// pool lets the memory go, and all of them when the source closes the mapper (before its pipeline
// goes to NULL, while every surface is still alive); an entry still leased to a frame at that
// point is dropped when the frame is released.
//
// Only pitch-linear surfaces are accepted: a block-linear surface maps to a CUDA array, not a
// pointer. nvvidconv writes pitch-linear output, so the fix is
// `... ! nvvidconv ! video/x-raw(memory:NVMM),format=RGBA ! appsink name=sink`.
//
// Headless pitfall: NvBufSurfaceMapEglImage creates the EGLImage on the default EGLDisplay. On a
// Jetson without a display (or over SSH with a DISPLAY that points at another machine) it fails
// with "No EGLDisplay to create EGLImage". The mapper initialises
// eglGetDisplay(EGL_DEFAULT_DISPLAY) once itself and reports either failure with that advice
// (unset DISPLAY over SSH, or run with a local X server / the EGL device platform).
#pragma once
#include <gst/gst.h>

#include <memory>

#include "capture_module.h"

namespace dinov3::capture {

struct DeviceMapping {
  PixelFormat format = PixelFormat::kRGBA;
  bool full_range = false;
  int32_t width = 0;
  int32_t height = 0;
  int32_t plane_count = 0;
  Plane planes[kMaxPlanes];  // offsets from device_pointer
  uint64_t device_pointer = 0;
  size_t size = 0;
};

class NvmmMapper {
 public:
  // Loads the CUDA driver, retains the primary context of device 0 and initialises EGL. Throws
  // ERR_DINO_SOURCE with the reason.
  static std::shared_ptr<NvmmMapper> create();
  virtual ~NvmmMapper() = default;

  // Maps the NvBufSurface held by `memory` (mapped by the caller; `surface` is the map's data).
  // The caller keeps `memory` referenced until unlease(memory). Throws ERR_DINO_SOURCE
  // (block-linear layout, unsupported colour format, EGL or CUDA failure).
  virtual DeviceMapping lease(GstMemory* memory, void* surface) = 0;
  virtual void unlease(GstMemory* memory) = 0;
  // Drops every registration not leased; later unleases drop theirs. Idempotent.
  virtual void close() = 0;
};

}  // namespace dinov3::capture
