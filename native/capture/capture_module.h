// The capture module's interface: camera and video capture through a GStreamer appsink, on a
// thread of its own, with frames handed out as explicit leases.
//
// Plain C++17, with no GStreamer, EGL or CUDA headers: the addon includes this file and loads the
// implementation at run time from dinov3_capture.so (next to dinov3.node) through the entry
// point `dinov3_capture_module_v1`, so the addon still loads on machines without GStreamer.
//
// ABI rules (the addon and the module are built from the same tree by the same compiler, but a
// module from another build must be refused rather than crash):
// - `dinov3_capture_module_v1(kAbiVersion)` returns nullptr when the caller's ABI differs.
// - Any change to a class or struct below bumps kAbiVersion.
// - Objects are created and destroyed inside the module (virtual destructors); std::string and
//   std::unique_ptr cross the boundary, so both sides must share one libstdc++ (they do: both are
//   linked against the system's shared libstdc++).
// - Errors are thrown as dinov3::Error (native/core/error.h) with the codes below.
//
// Threading
// - Module and Source methods may be called from any thread; Source methods are thread-safe.
// - The Listener is called on the capture thread; its callbacks must be cheap, must not block
//   and must not call Source::stop() (a stop from a callback cannot join its own thread).
// - A Frame may be released from any thread, and may outlive its Source (system-memory frames
//   stay readable until released; see Frame).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "../core/error.h"

namespace dinov3::capture {

inline constexpr uint32_t kAbiVersion = 1;

// Error codes (the same strings as lib/errors.ts).
inline constexpr const char* kErrSource = "ERR_DINO_SOURCE";
inline constexpr const char* kErrInvalidArgument = "ERR_DINO_INVALID_ARGUMENT";

// Pixel layouts a frame can have. System-memory frames are whatever the appsink caps say (one of
// these, or the source fails with a message naming the caps); NVMM frames come from the
// NvBufSurface colour format.
enum class PixelFormat : int32_t {
  kRGBA = 0,
  kRGBx = 1,
  kBGRA = 2,
  kBGRx = 3,
  kRGB = 4,
  kBGR = 5,
  kGray8 = 6,
  kNV12 = 7,  // plane 0: Y; plane 1: interleaved UV at half resolution
  kI420 = 8,  // planes 0, 1, 2: Y, U, V (U and V at half resolution)
};

inline const char* pixel_format_name(PixelFormat f) {
  switch (f) {
    case PixelFormat::kRGBA: return "RGBA";
    case PixelFormat::kRGBx: return "RGBx";
    case PixelFormat::kBGRA: return "BGRA";
    case PixelFormat::kBGRx: return "BGRx";
    case PixelFormat::kRGB: return "RGB";
    case PixelFormat::kBGR: return "BGR";
    case PixelFormat::kGray8: return "GRAY8";
    case PixelFormat::kNV12: return "NV12";
    case PixelFormat::kI420: return "I420";
  }
  return "?";
}

// Where a frame's pixels live.
enum class MemoryKind : int32_t {
  kSystem = 0,  // host memory: the mapped GstBuffer
  kNvmm = 1,    // Jetson NVMM surface, mapped into CUDA through EGL (pitch-linear only)
  kCuda = 2,    // CUDA device memory (GStreamer memory:CUDAMemory)
};

inline const char* memory_kind_name(MemoryKind m) {
  switch (m) {
    case MemoryKind::kSystem: return "system";
    case MemoryKind::kNvmm: return "nvmm";
    case MemoryKind::kCuda: return "cuda";
  }
  return "?";
}

struct SourceOptions {
  // gst-launch syntax ending in an appsink named `appsink_name`, e.g.
  // "videotestsrc ! video/x-raw,format=RGBA,width=640,height=480 ! appsink name=sink".
  std::string pipeline;
  std::string appsink_name = "sink";
  // Frames waiting to be taken. drop = true (live sources): when full, the oldest waiting frame is
  // dropped and counted, and take() returns the newest frame, dropping (and counting) any older
  // ones. drop = false (files, benchmarks): nothing is dropped; when full the capture thread stops
  // pulling, so the pipeline waits (back-pressure), and take() returns frames in order.
  int queue_size = 2;
  bool drop = true;
  // Frames held (taken and not yet released) at once. take() fails beyond this: a frame is never
  // silently reused. On Jetson keep queue_size + max_leases below the upstream NVMM pool size, or
  // the camera stalls until frames are released.
  int max_leases = 4;
  // Require the Jetson NVMM zero-copy path: open() fails when this module was built without it.
  // (NVMM caps on the appsink select that path whatever this says.)
  bool nvmm = false;
};

struct Stats {
  uint64_t received = 0;   // samples pulled from the appsink
  uint64_t dropped = 0;    // samples discarded unseen (queue full, or older than a take())
  uint64_t delivered = 0;  // frames handed out by take()
  uint32_t leased = 0;     // frames taken and not yet released
  uint32_t queued = 0;     // frames waiting to be taken
};

inline constexpr int kMaxPlanes = 4;

struct Plane {
  // Host address of the plane (system memory), or nullptr (device memory).
  const uint8_t* host = nullptr;
  // Byte offset of the plane from Frame::data (system, when data != nullptr) or from
  // Frame::device_pointer (nvmm, cuda).
  uint64_t offset = 0;
  int32_t pitch = 0;  // bytes between rows
  int32_t rows = 0;   // rows in this plane (height, or half of it for subsampled chroma)
};

// A lease on one captured buffer. While unreleased it keeps the buffer (and its mapping) alive;
// release() gives it back to the pipeline. Destroying an unreleased Frame releases it.
class Frame {
 public:
  virtual ~Frame() = default;
  // Idempotent and thread-safe; after it the pointers below must not be used.
  virtual void release() = 0;
  virtual bool released() const = 0;

  int32_t width = 0;
  int32_t height = 0;
  PixelFormat format = PixelFormat::kRGBA;
  MemoryKind memory = MemoryKind::kSystem;
  int32_t plane_count = 0;
  Plane planes[kMaxPlanes];
  // System memory: the mapped buffer, holding every plane at data + planes[i].offset. nullptr when
  // the planes were mapped separately (a buffer made of several memories): use planes[i].host.
  const uint8_t* data = nullptr;
  size_t size = 0;  // bytes readable at data (system) or spanned from device_pointer (device)
  // nvmm / cuda: device address of plane 0 (a CUdeviceptr), valid until release().
  uint64_t device_pointer = 0;
  bool full_range = false;  // YUV formats: full-range (0-255) samples rather than limited (16-235)
  int64_t pts_ns = -1;    // presentation timestamp in nanoseconds, -1 when the buffer has none
  uint64_t sequence = 0;  // 0-based index of the sample among all received (gaps = drops)
};

// Callbacks from the capture thread (see the threading notes above).
class Listener {
 public:
  virtual ~Listener() = default;
  virtual void on_frame() = 0;  // a frame was queued (called once per received frame)
  virtual void on_eos() = 0;    // end of stream; queued frames can still be taken
  // A fatal error ("<element>: <message> (<debug>)"); capture has ended, queued frames can still
  // be taken. After on_eos or on_error the listener is not called again.
  virtual void on_error(const std::string& message) = 0;
};

class Source {
 public:
  // Destroying a Source stops it (see stop()).
  virtual ~Source() = default;
  // Starts the capture thread, which brings the pipeline to PLAYING (device opening happens
  // there, not in the caller). Once only; the listener is kept until stop().
  virtual void start(std::shared_ptr<Listener> listener) = 0;
  // The newest waiting frame (drop mode) or the oldest (queue mode), or nullptr when none is
  // waiting or the source is stopped. Throws ERR_DINO_SOURCE when max_leases frames are held, or
  // when the frame cannot be mapped (unsupported memory/layout; the message says what to change).
  virtual std::unique_ptr<Frame> take() = 0;
  virtual Stats stats() const = 0;
  // Stops capture: ends the thread, sets the pipeline to NULL and frees it. Idempotent; may block
  // (a camera can take a while to close), so call it off the JavaScript main thread. Safe from any
  // thread except a Listener callback, where it only requests the stop. Frames already taken stay
  // valid until released.
  virtual void stop() = 0;
};

class Module {
 public:
  virtual uint32_t abi_version() const = 0;
  // Initialises GStreamer once per process (thread-safe; the first call may scan the plugin
  // registry, which can take seconds) and returns its version, e.g. "GStreamer 1.22.0".
  // Throws ERR_DINO_SOURCE when GStreamer cannot be initialised.
  virtual std::string runtime_version() = 0;
  // Whether the Jetson NVMM zero-copy path was compiled in.
  virtual bool nvmm_supported() const = 0;
  // Parses the pipeline and finds the appsink (nothing runs yet). Throws ERR_DINO_INVALID_ARGUMENT
  // for bad options and ERR_DINO_SOURCE for a pipeline that does not parse, lacks the appsink or
  // names an element that is not installed.
  virtual std::unique_ptr<Source> open(const SourceOptions& options) = 0;

 protected:
  ~Module() = default;  // a process-wide singleton owned by the module
};

using ModuleEntry = Module* (*)(uint32_t abi);
using VersionEntry = const char* (*)();

}  // namespace dinov3::capture

extern "C" {
// The module's entry point: the singleton, or nullptr when `abi` != kAbiVersion.
__attribute__((visibility("default"))) dinov3::capture::Module* dinov3_capture_module_v1(uint32_t abi);
// "GStreamer 1.22.0" (the version compiled against), plus " with NVMM" when built with it.
__attribute__((visibility("default"))) const char* dinov3_plugin_version();
}
