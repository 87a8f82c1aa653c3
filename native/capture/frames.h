// Frame leases: a captured GstSample, mapped for reading until release().
#pragma once
#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <memory>
#include <string>

#include "capture_module.h"

namespace dinov3::capture {

class NvmmMapper;

// What the appsink caps say about every sample that carries them.
struct FrameLayout {
  GstVideoInfo info;
  PixelFormat format = PixelFormat::kRGBA;
  MemoryKind memory = MemoryKind::kSystem;
};

// Parses sample caps. Throws ERR_DINO_SOURCE, naming the caps and the fix, when the format or
// memory is not one a frame can have.
std::shared_ptr<const FrameLayout> parse_layout(GstCaps* caps);

// How many frames of one source are leased; shared by the source and its frames (which may
// outlive it).
struct LeaseCounter {
  std::atomic<uint32_t> leased{0};
};

// Turns a sample into a leased frame. The caller has already counted the lease in `counter`;
// the frame takes over the sample reference and the lease (both are given back on release,
// or here when mapping throws ERR_DINO_SOURCE).
std::unique_ptr<Frame> make_frame(GstSample* sample, const std::shared_ptr<const FrameLayout>& layout,
                                  const std::shared_ptr<LeaseCounter>& counter, uint64_t sequence,
                                  const std::shared_ptr<NvmmMapper>& nvmm);

}  // namespace dinov3::capture
