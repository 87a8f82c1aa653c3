#include "frames.h"

#include <mutex>

#ifdef DINOV3_WITH_NVMM
#include "nvmm_mapper.h"
#endif

namespace dinov3::capture {
namespace {

// GstCudaMemory maps to a CUdeviceptr with this flag (gst/cuda/gstcudamemory.h, GStreamer 1.22;
// that header is not installed with Debian's GStreamer, and this is its only use here).
constexpr GstMapFlags kMapCuda = static_cast<GstMapFlags>(GST_MAP_FLAG_LAST << 1);

constexpr const char* kConvertHint =
    "put `videoconvert ! video/x-raw,format=RGBA` (or nvvidconv on a Jetson) before the appsink";

bool pixel_format(GstVideoFormat f, PixelFormat* out) {
  switch (f) {
    case GST_VIDEO_FORMAT_RGBA: *out = PixelFormat::kRGBA; return true;
    case GST_VIDEO_FORMAT_RGBx: *out = PixelFormat::kRGBx; return true;
    case GST_VIDEO_FORMAT_BGRA: *out = PixelFormat::kBGRA; return true;
    case GST_VIDEO_FORMAT_BGRx: *out = PixelFormat::kBGRx; return true;
    case GST_VIDEO_FORMAT_RGB: *out = PixelFormat::kRGB; return true;
    case GST_VIDEO_FORMAT_BGR: *out = PixelFormat::kBGR; return true;
    case GST_VIDEO_FORMAT_GRAY8: *out = PixelFormat::kGray8; return true;
    case GST_VIDEO_FORMAT_NV12: *out = PixelFormat::kNV12; return true;
    case GST_VIDEO_FORMAT_I420: *out = PixelFormat::kI420; return true;
    default: return false;
  }
}

std::string caps_text(GstCaps* caps) {
  gchar* s = gst_caps_to_string(caps);
  std::string text = s != nullptr ? s : "(none)";
  g_free(s);
  return text;
}

// Lease bookkeeping shared by every kind of frame: release() runs once, unmaps (derived class),
// unrefs the sample and returns the lease.
class LeasedFrame : public Frame {
 public:
  LeasedFrame(GstSample* sample, std::shared_ptr<LeaseCounter> counter, uint64_t seq)
      : sample_(sample), counter_(std::move(counter)) {
    sequence = seq;
    GstBuffer* buffer = gst_sample_get_buffer(sample_);
    if (buffer != nullptr && GST_BUFFER_PTS_IS_VALID(buffer)) pts_ns = static_cast<int64_t>(GST_BUFFER_PTS(buffer));
  }

  // Reached without release() only when a derived constructor threw (nothing is mapped then).
  ~LeasedFrame() override { give_back(); }

  void release() final {
    std::lock_guard<std::mutex> lock(mutex_);
    if (released_.load()) return;
    unmap();
    give_back();
  }

  bool released() const final { return released_.load(); }

 protected:
  virtual void unmap() = 0;  // called once, under the lock, before the sample goes

  GstBuffer* buffer() const { return gst_sample_get_buffer(sample_); }

 private:
  void give_back() {
    if (released_.exchange(true)) return;
    data = nullptr;
    device_pointer = 0;
    for (Plane& p : planes) p.host = nullptr;
    gst_sample_unref(sample_);
    counter_->leased.fetch_sub(1);
  }

  std::mutex mutex_;
  std::atomic<bool> released_{false};
  GstSample* sample_;
  std::shared_ptr<LeaseCounter> counter_;
};

// System memory (and GStreamer CUDA memory, mapped with GST_MAP_CUDA): gst_video_frame_map
// honours GstVideoMeta, so plane offsets and strides are the buffer's real ones.
class MappedFrame final : public LeasedFrame {
 public:
  MappedFrame(GstSample* sample, std::shared_ptr<LeaseCounter> counter, uint64_t seq,
              const std::shared_ptr<const FrameLayout>& layout)
      : LeasedFrame(sample, std::move(counter), seq) {
    GstBuffer* buf = buffer();
    if (buf == nullptr) fail(kErrSource, "the appsink sample holds no buffer");
    const bool cuda = layout->memory == MemoryKind::kCuda;
    const GstMapFlags flags = cuda ? static_cast<GstMapFlags>(GST_MAP_READ | kMapCuda) : GST_MAP_READ;
    if (!gst_video_frame_map(&frame_, &layout->info, buf, flags)) {
      fail(kErrSource, std::string("could not map a ") + (cuda ? "CUDA" : "system-memory") +
                           " video buffer for reading (buffer smaller than its caps say?)");
    }
    mapped_ = true;
    try {
      describe(buf, layout);
    } catch (...) {
      unmap();
      throw;
    }
  }

  ~MappedFrame() override { release(); }

 private:
  void describe(GstBuffer* buf, const std::shared_ptr<const FrameLayout>& layout) {
    const bool cuda = layout->memory == MemoryKind::kCuda;
    width = GST_VIDEO_FRAME_WIDTH(&frame_);
    height = GST_VIDEO_FRAME_HEIGHT(&frame_);
    format = layout->format;
    memory = layout->memory;
    full_range = layout->info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
    plane_count = static_cast<int32_t>(GST_VIDEO_FRAME_N_PLANES(&frame_));
    const auto* base = static_cast<const uint8_t*>(frame_.map[0].data);
    const size_t mapped = frame_.map[0].size;
    // One memory: every plane lies in map[0] and the frame can be exposed as one block.
    bool contiguous = gst_buffer_n_memory(buf) == 1;
    for (int32_t i = 0; i < plane_count && i < kMaxPlanes; ++i) {
      Plane& p = planes[i];
      p.host = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame_, i));
      p.pitch = GST_VIDEO_FRAME_PLANE_STRIDE(&frame_, i);
      gint components[GST_VIDEO_MAX_COMPONENTS];
      gst_video_format_info_component(frame_.info.finfo, static_cast<guint>(i), components);
      p.rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame_, components[0]);
      const size_t end = static_cast<size_t>(p.host - base) + static_cast<size_t>(p.pitch) * static_cast<size_t>(p.rows);
      if (p.host < base || end > mapped) contiguous = false;
      p.offset = contiguous ? static_cast<uint64_t>(p.host - base) : 0;
    }
    if (cuda) {
      device_pointer = reinterpret_cast<uint64_t>(base);
      size = mapped;
      for (int32_t i = 0; i < plane_count; ++i) planes[i].host = nullptr;
      if (!contiguous) fail(kErrSource, "CUDA video buffers made of several memories are not supported");
    } else if (contiguous) {
      data = base;
      size = mapped;
    } else {
      for (Plane& p : planes) p.offset = 0;  // planes[i].host only
    }
  }

  void unmap() override {
    if (mapped_) gst_video_frame_unmap(&frame_);
    mapped_ = false;
  }

  GstVideoFrame frame_{};
  bool mapped_ = false;
};

#ifdef DINOV3_WITH_NVMM
// Jetson NVMM: the buffer's payload is an NvBufSurface, mapped into CUDA by the NvmmMapper.
class NvmmFrame final : public LeasedFrame {
 public:
  NvmmFrame(GstSample* sample, std::shared_ptr<LeaseCounter> counter, uint64_t seq,
            std::shared_ptr<NvmmMapper> mapper)
      : LeasedFrame(sample, std::move(counter), seq), mapper_(std::move(mapper)) {
    GstBuffer* buf = buffer();
    if (buf == nullptr || gst_buffer_n_memory(buf) < 1) fail(kErrSource, "the appsink sample holds no NVMM buffer");
    memory_ = gst_buffer_peek_memory(buf, 0);
    if (!gst_memory_map(memory_, &map_, GST_MAP_READ)) fail(kErrSource, "could not map the NVMM buffer");
    mapped_ = true;
    DeviceMapping m;
    try {
      m = mapper_->lease(memory_, map_.data);
    } catch (...) {
      unmap();
      throw;
    }
    leased_ = true;
    width = m.width;
    height = m.height;
    format = m.format;
    memory = MemoryKind::kNvmm;
    full_range = m.full_range;
    plane_count = m.plane_count;
    for (int32_t i = 0; i < kMaxPlanes; ++i) planes[i] = m.planes[i];
    device_pointer = m.device_pointer;
    size = m.size;
  }

  ~NvmmFrame() override { release(); }

 private:
  void unmap() override {
    if (leased_) mapper_->unlease(memory_);  // the buffer is still referenced here
    if (mapped_) gst_memory_unmap(memory_, &map_);
    leased_ = mapped_ = false;
    mapper_.reset();  // the last lease of a stopped source frees the mapper (and its CUDA context)
  }

  std::shared_ptr<NvmmMapper> mapper_;
  GstMemory* memory_ = nullptr;  // owned by the sample's buffer
  GstMapInfo map_{};
  bool mapped_ = false;
  bool leased_ = false;
};
#endif

}  // namespace

std::shared_ptr<const FrameLayout> parse_layout(GstCaps* caps) {
  if (caps == nullptr || gst_caps_get_size(caps) == 0) fail(kErrSource, "the appsink sample has no caps");
  auto layout = std::make_shared<FrameLayout>();
  if (!gst_video_info_from_caps(&layout->info, caps)) {
    fail(kErrSource, "the appsink receives " + caps_text(caps) + ", which is not raw video: " + kConvertHint);
  }
  if (!pixel_format(GST_VIDEO_INFO_FORMAT(&layout->info), &layout->format)) {
    fail(kErrSource, "the appsink receives " + caps_text(caps) +
                         ", but frames must be RGBA, RGBx, BGRA, BGRx, RGB, BGR, GRAY8, NV12 or I420: " + kConvertHint);
  }
  GstCapsFeatures* features = gst_caps_get_features(caps, 0);
  if (features != nullptr && gst_caps_features_contains(features, "memory:NVMM")) {
    layout->memory = MemoryKind::kNvmm;
#ifndef DINOV3_WITH_NVMM
    fail(kErrSource,
         "the appsink receives NVMM frames (video/x-raw(memory:NVMM)) but this capture module was built without "
         "NVMM support (JetPack's nvbufsurface.h and libnvbufsurface were not found at build time): rebuild on the "
         "Jetson, or copy frames to system memory with `nvvidconv ! video/x-raw,format=RGBA` before the appsink");
#endif
  } else if (features != nullptr && gst_caps_features_contains(features, "memory:CUDAMemory")) {
    layout->memory = MemoryKind::kCuda;
  } else if (features != nullptr && !gst_caps_features_is_any(features) &&
             !gst_caps_features_contains(features, GST_CAPS_FEATURE_MEMORY_SYSTEM_MEMORY) &&
             gst_caps_features_get_size(features) > 0) {
    fail(kErrSource, "the appsink receives " + caps_text(caps) +
                         ", memory this module cannot read: add a converter to system memory before the appsink");
  }
  return layout;
}

std::unique_ptr<Frame> make_frame(GstSample* sample, const std::shared_ptr<const FrameLayout>& layout,
                                  const std::shared_ptr<LeaseCounter>& counter, uint64_t sequence,
                                  [[maybe_unused]] const std::shared_ptr<NvmmMapper>& nvmm) {
#ifdef DINOV3_WITH_NVMM
  if (layout->memory == MemoryKind::kNvmm) {
    if (!nvmm) {
      gst_sample_unref(sample);
      counter->leased.fetch_sub(1);
      fail(kErrSource, "NVMM frames arrived but the NVMM mapper is not initialised");
    }
    return std::make_unique<NvmmFrame>(sample, counter, sequence, nvmm);
  }
#endif
  return std::make_unique<MappedFrame>(sample, counter, sequence, layout);
}

}  // namespace dinov3::capture
