// The Jetson NVMM path (built only with DINOV3_WITH_NVMM).
//
// - nvmm_jetson_*: real hardware. They run where GStreamer has nvvidconv and the CUDA driver
//   loads (a Jetson with JetPack 5+), and print SKIP elsewhere.
// - nvmm_fake_*: the same code against test doubles (fake_nvidia/: a fake libcuda.so.1 and
//   libnvbufsurface.so over host memory), fed by an appsrc. They run only when DINOV3_NVMM_FAKE is
//   set, as scripts/check-nvmm.sh does on a machine without a Jetson:
//     DINOV3_NVMM_FAKE=1          with LD_LIBRARY_PATH=<fakes> EGL_PLATFORM=surfaceless
//     DINOV3_NVMM_FAKE=no-driver  without the fake libcuda (the driver is missing)
//     DINOV3_NVMM_FAKE=no-egl     with the fake driver but no usable EGL display (headless)
#include <dlfcn.h>
#include <gst/app/gstappsrc.h>
#include <nvbufsurface.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "capture_test_util.h"
#include "check.h"
#include "cuda_driver.h"
#include "fake_nvidia/fake_nvidia.h"
#include "gst_runtime.h"

using namespace capture_test;

namespace {

std::string fake_mode() {
  const char* v = std::getenv("DINOV3_NVMM_FAKE");
  return v != nullptr ? v : "";
}

bool skip_unless_fake(const char* mode) {
  if (fake_mode() == mode) return false;
  check::skip(std::string("needs DINOV3_NVMM_FAKE=") + mode + " (scripts/check-nvmm.sh)");
  return true;
}

bool skip_unless_jetson() {
  dinov3::capture::ensure_gstreamer();
  GstElementFactory* factory = gst_element_factory_find("nvvidconv");
  if (factory != nullptr) gst_object_unref(factory);
  bool driver = false;
  if (factory != nullptr && fake_mode().empty()) {
    try {
      cuda_driver();
      driver = true;
    } catch (const std::exception&) {
    }
  }
  if (factory != nullptr && driver) return false;
  check::skip("not a Jetson (needs the nvvidconv element and the CUDA driver)");
  return true;
}

// ---- fakes ---------------------------------------------------------------------------------------

FakeCudaCounts cuda_counts() {
  // The module dlopens libcuda.so.1 RTLD_LOCAL, so look in that library itself.
  FakeCudaCounts c{};
  cuda_driver();
  void* handle = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  auto fn = handle ? reinterpret_cast<void (*)(FakeCudaCounts*)>(::dlsym(handle, "fake_cuda_counts")) : nullptr;
  CHECK(fn != nullptr);
  if (fn) fn(&c);
  if (handle) ::dlclose(handle);
  return c;
}

FakeNvbufCounts nvbuf_counts() {
  FakeNvbufCounts c{};
  if (auto fn = reinterpret_cast<void (*)(FakeNvbufCounts*)>(::dlsym(RTLD_DEFAULT, "fake_nvbuf_counts"))) fn(&c);
  return c;
}

// A "hardware" surface in host memory, and a GstBuffer whose payload is its NvBufSurface (as on
// JetPack 5+). The buffer is reused like a pool buffer.
struct FakeSurface {
  FakeSurface(int width, int height, uint8_t fill, uint64_t fd, NvBufSurfaceLayout layout = NVBUF_LAYOUT_PITCH,
              NvBufSurfaceColorFormat format = NVBUF_COLOR_FORMAT_RGBA,
              NvBufSurfaceMemType mem = NVBUF_MEM_SURFACE_ARRAY) {
    dinov3::capture::ensure_gstreamer();  // GstBuffers need gst_init, even before any source exists
    pitch = 512;  // wider than width * 4: consumers must use the pitch
    pixels.assign(static_cast<size_t>(pitch) * height, fill);
    params.width = static_cast<uint32_t>(width);
    params.height = static_cast<uint32_t>(height);
    params.pitch = pitch;
    params.colorFormat = format;
    params.layout = layout;
    params.bufferDesc = fd;
    params.dataSize = static_cast<uint32_t>(pixels.size());
    params.dataPtr = pixels.data();
    params.planeParams.num_planes = 1;
    params.planeParams.width[0] = static_cast<uint32_t>(width);
    params.planeParams.height[0] = static_cast<uint32_t>(height);
    params.planeParams.pitch[0] = pitch;
    params.planeParams.offset[0] = 0;
    params.planeParams.bytesPerPix[0] = 4;
    surface.batchSize = 1;
    surface.numFilled = 1;
    surface.memType = mem;
    surface.surfaceList = &params;
    buffer = gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, &surface, sizeof(surface), 0, sizeof(surface),
                                         nullptr, nullptr);
  }
  ~FakeSurface() { gst_buffer_unref(buffer); }
  FakeSurface(const FakeSurface&) = delete;
  FakeSurface& operator=(const FakeSurface&) = delete;

  uint32_t pitch = 0;
  std::vector<uint8_t> pixels;
  NvBufSurfaceParams params{};
  NvBufSurface surface{};
  GstBuffer* buffer = nullptr;
};

constexpr const char* kNvmmAppsrc =
    "appsrc name=src format=time caps=\"video/x-raw(memory:NVMM),format=RGBA,width=64,height=48,framerate=30/1\" ! "
    "appsink name=sink sync=false";

// Pushes the buffers (references: the surfaces stay ours) and ends the stream.
void push(GstSource& source, const std::vector<GstBuffer*>& buffers) {
  GstElement* src = source.find_element("src");
  CHECK(src != nullptr);
  if (src == nullptr) return;
  // appsrc drops buffers pushed before it has started (the capture thread is still bringing the
  // pipeline up), so wait for it to reach PAUSED.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  GstState state = GST_STATE_NULL;
  while (Clock::now() < deadline) {
    gst_element_get_state(src, &state, nullptr, 10 * GST_MSECOND);
    if (state >= GST_STATE_PAUSED) break;
  }
  CHECK(state >= GST_STATE_PAUSED);
  for (GstBuffer* b : buffers) gst_app_src_push_buffer(GST_APP_SRC(src), gst_buffer_ref(b));
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  gst_object_unref(src);
}

}  // namespace

TEST(nvmm_fake_pool_buffers_registered_once) {
  if (skip_unless_fake("1")) return;
  const FakeCudaCounts c0 = cuda_counts();
  const FakeNvbufCounts n0 = nvbuf_counts();
  {
    FakeSurface pool0(64, 48, 10, 100), pool1(64, 48, 11, 101), pool2(64, 48, 12, 102);
    FakeSurface* pool[] = {&pool0, &pool1, &pool2};
    std::vector<GstBuffer*> pushes;
    for (int i = 0; i < 12; ++i) pushes.push_back(pool[i % 3]->buffer);
    auto listener = std::make_shared<RecordingListener>();
    SourceOptions o = options(kNvmmAppsrc, 16, false, 4);
    o.nvmm = true;
    GstSource source(o);
    source.start(listener);
    push(source, pushes);
    CHECK(listener->wait_end());
    CHECK(listener->eos == 1 && listener->errors == 0);
    CHECK_NEAR(cuda_counts().contexts_retained - c0.contexts_retained, 1, 0);
    std::set<uint64_t> pointers;
    for (int i = 0; i < 12; ++i) {
      std::unique_ptr<Frame> f = source.take();
      CHECK(f != nullptr);
      if (!f) break;
      CHECK(f->memory == MemoryKind::kNvmm && f->format == PixelFormat::kRGBA);
      CHECK(f->width == 64 && f->height == 48 && f->plane_count == 1);
      CHECK(f->planes[0].pitch == 512 && f->planes[0].rows == 48 && f->planes[0].offset == 0);
      CHECK(f->data == nullptr && f->size == 512u * 48u);
      CHECK(f->device_pointer == reinterpret_cast<uint64_t>(pool[i % 3]->pixels.data()));
      uint8_t pixel = 0;
      CHECK(cuda_driver().memcpy_dtoh(&pixel, f->device_pointer + 512 * 47 + 63 * 4, 1) == CUDA_SUCCESS);
      CHECK(pixel == 10 + i % 3);
      pointers.insert(f->device_pointer);
      f->release();
    }
    CHECK(pointers.size() == 3);
    // One EGL image and one CUDA registration per pool buffer, not per frame.
    CHECK_NEAR(cuda_counts().registered - c0.registered, 3, 0);
    CHECK_NEAR(nvbuf_counts().egl_mapped - n0.egl_mapped, 3, 0);
    CHECK_NEAR(cuda_counts().unregistered - c0.unregistered, 0, 0);
    source.stop();  // unregisters while the surfaces are alive
    CHECK_NEAR(cuda_counts().unregistered - c0.unregistered, 3, 0);
    CHECK_NEAR(nvbuf_counts().egl_unmapped - n0.egl_unmapped, 3, 0);
    for (FakeSurface* s : pool) CHECK(s->params.mappedAddr.eglImage == nullptr);
  }
  const FakeCudaCounts c1 = cuda_counts();
  CHECK_NEAR(c1.contexts_released - c0.contexts_released, 1, 0);
  CHECK_NEAR(c1.wrong_context - c0.wrong_context, 0, 0);
}

TEST(nvmm_fake_frame_leased_across_stop) {
  if (skip_unless_fake("1")) return;
  const FakeCudaCounts c0 = cuda_counts();
  FakeSurface a(64, 48, 1, 200), b(64, 48, 2, 201);
  std::unique_ptr<Frame> held;
  {
    auto listener = std::make_shared<RecordingListener>();
    GstSource source(options(kNvmmAppsrc, 4, false, 4));
    source.start(listener);
    push(source, {a.buffer, b.buffer});
    CHECK(listener->wait_end());
    held = source.take();
    std::unique_ptr<Frame> other = source.take();
    CHECK(held && other);
    other->release();
    source.stop();
    CHECK_NEAR(cuda_counts().unregistered - c0.unregistered, 1, 0);  // the idle one only
  }
  CHECK(held != nullptr);
  if (held) {
    uint8_t pixel = 0;
    CHECK(cuda_driver().memcpy_dtoh(&pixel, held->device_pointer, 1) == CUDA_SUCCESS && pixel == 1);
    held->release();
  }
  const FakeCudaCounts c1 = cuda_counts();
  CHECK_NEAR(c1.registered - c0.registered, 2, 0);
  CHECK_NEAR(c1.unregistered - c0.unregistered, 2, 0);
  CHECK_NEAR(c1.contexts_released - c0.contexts_released, c1.contexts_retained - c0.contexts_retained, 0);
  CHECK(a.params.mappedAddr.eglImage == nullptr && b.params.mappedAddr.eglImage == nullptr);
}

TEST(nvmm_fake_block_linear_and_unsupported_surfaces_are_errors) {
  if (skip_unless_fake("1")) return;
  FakeSurface bl(64, 48, 0, 300, NVBUF_LAYOUT_BLOCK_LINEAR);
  FakeSurface yuyv(64, 48, 0, 301, NVBUF_LAYOUT_PITCH, NVBUF_COLOR_FORMAT_YUYV);
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(kNvmmAppsrc, 4, false, 4));
  source.start(listener);
  push(source, {bl.buffer, yuyv.buffer});
  CHECK(listener->wait_end());
  bool threw = false;
  try {
    source.take();
  } catch (const dinov3::Error& e) {
    threw = std::strcmp(e.code(), "ERR_DINO_SOURCE") == 0 && contains(e.what(), "block-linear") &&
            contains(e.what(), "nvvidconv ! video/x-raw(memory:NVMM),format=RGBA");
  }
  CHECK(threw);
  threw = false;
  try {
    source.take();
  } catch (const dinov3::Error& e) {
    threw = contains(e.what(), "colour format") && contains(e.what(), "not supported");
  }
  CHECK(threw);
  CHECK(source.stats().leased == 0);  // failed takes give their lease back
  CHECK(bl.params.mappedAddr.eglImage == nullptr);
}

TEST(nvmm_fake_cuda_device_surfaces_need_no_egl) {
  if (skip_unless_fake("1")) return;
  const FakeCudaCounts c0 = cuda_counts();
  FakeSurface dev(64, 48, 7, 0, NVBUF_LAYOUT_PITCH, NVBUF_COLOR_FORMAT_RGBA, NVBUF_MEM_CUDA_DEVICE);
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(kNvmmAppsrc, 4, false, 4));
  source.start(listener);
  push(source, {dev.buffer});
  CHECK(listener->wait_end());
  std::unique_ptr<Frame> f = source.take();
  CHECK(f && f->device_pointer == reinterpret_cast<uint64_t>(dev.pixels.data()));
  CHECK_NEAR(cuda_counts().registered - c0.registered, 0, 0);
}

TEST(nvmm_fake_system_caps_when_nvmm_required) {
  if (skip_unless_fake("1")) return;
  auto listener = std::make_shared<RecordingListener>();
  SourceOptions o = options(test_pipeline(2, "video/x-raw,format=RGBA,width=16,height=8"));
  o.nvmm = true;
  GstSource source(o);
  source.start(listener);
  CHECK(listener->wait_end());
  CHECK(listener->errors == 1 && contains(listener->error_message, "(memory:NVMM)"));
}

// Pushes one NVMM surface (dmabuf fd `fd`) through a source whose mapping the fake makes fail;
// returns what the source reported (checking it reported exactly one error).
static std::string mapping_failure(uint64_t fd) {
  FakeSurface s(64, 48, 0, fd);
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(kNvmmAppsrc, 4, false, 4));
  source.start(listener);
  push(source, {s.buffer});
  CHECK(listener->wait_end());
  CHECK(listener->errors == 1);
  std::printf("  reported: %s\n", listener->error_message.c_str());
  return listener->error_message;
}

TEST(nvmm_fake_missing_driver_is_reported) {
  if (skip_unless_fake("no-driver")) return;
  CHECK(contains(mapping_failure(400), "libcuda.so.1 could not be loaded"));
}

TEST(nvmm_fake_headless_egl_is_reported) {
  if (skip_unless_fake("no-egl")) return;
  const std::string message = mapping_failure(500);
  CHECK(contains(message, "EGL"));
  CHECK(contains(message, "unset DISPLAY"));
}

// ---- real Jetson ---------------------------------------------------------------------------------

namespace {

// Copies `bytes` from a device pointer with the primary context current.
bool read_device(void* dst, uint64_t src, size_t bytes) {
  const CudaDriver& cu = cuda_driver();
  CUdevice dev = 0;
  CUcontext ctx = nullptr;
  if (cu.device_get(&dev, 0) != CUDA_SUCCESS || cu.primary_ctx_retain(&ctx, dev) != CUDA_SUCCESS) return false;
  bool ok = false;
  if (cu.ctx_push(ctx) == CUDA_SUCCESS) {
    ok = cu.memcpy_dtoh(dst, static_cast<CUdeviceptr>(src), bytes) == CUDA_SUCCESS;
    CUcontext popped = nullptr;
    cu.ctx_pop(&popped);
  }
  cu.primary_ctx_release(dev);
  return ok;
}

std::string jetson_pipeline(int frames, const std::string& format, const std::string& convert_options = "") {
  return "videotestsrc num-buffers=" + std::to_string(frames) +
         " pattern=red ! video/x-raw,format=RGBA,width=64,height=48 ! nvvidconv " + convert_options +
         " ! video/x-raw(memory:NVMM),format=" + format + " ! appsink name=sink sync=false";
}

}  // namespace

TEST(nvmm_jetson_rgba_frames_zero_copy) {
  if (skip_unless_jetson()) return;
  auto listener = std::make_shared<RecordingListener>();
  SourceOptions o = options(jetson_pipeline(30, "RGBA"), 2, false, 2);
  o.nvmm = true;
  GstSource source(o);
  source.start(listener);
  std::set<uint64_t> pointers;
  int taken = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    std::unique_ptr<Frame> f = source.take();
    if (!f) {
      if (listener->ended() && source.stats().queued == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    CHECK(f->memory == MemoryKind::kNvmm && f->format == PixelFormat::kRGBA && f->width == 64 && f->height == 48);
    CHECK(f->device_pointer != 0 && f->planes[0].pitch >= 256);
    std::vector<uint8_t> host(static_cast<size_t>(f->planes[0].pitch) * 48);
    CHECK(read_device(host.data(), f->device_pointer, host.size()));
    const uint8_t* last = host.data() + 47 * f->planes[0].pitch + 63 * 4;
    CHECK(host[0] == 255 && host[1] == 0 && host[2] == 0 && last[0] == 255 && last[1] == 0);
    pointers.insert(f->device_pointer);
    ++taken;
  }
  CHECK(listener->errors == 0);
  if (listener->errors) std::printf("  error: %s\n", listener->error_message.c_str());
  CHECK(taken == 30);
  std::printf("  %d frames from %zu distinct pool buffers\n", taken, pointers.size());
  CHECK(!pointers.empty() && pointers.size() < 30);  // registrations are reused
}

TEST(nvmm_jetson_nv12_planes) {
  if (skip_unless_jetson()) return;
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(jetson_pipeline(1, "NV12"), 2, false, 2));
  source.start(listener);
  CHECK(listener->wait_end());
  std::unique_ptr<Frame> f = source.take();
  CHECK(f != nullptr);
  if (!f) return;
  CHECK(f->format == PixelFormat::kNV12 && f->plane_count == 2);
  CHECK(f->planes[0].rows == 48 && f->planes[1].rows == 24);
  CHECK(f->planes[1].offset >= static_cast<uint64_t>(f->planes[0].pitch) * 48);
  uint8_t y = 0;
  CHECK(read_device(&y, f->device_pointer, 1));
  CHECK(y > 60 && y < 100);  // BT.601 red is Y = 81 (limited) or 76 (full range)
}

TEST(nvmm_jetson_block_linear_is_refused) {
  if (skip_unless_jetson()) return;
  std::unique_ptr<GstSource> source;
  try {
    source = std::make_unique<GstSource>(options(jetson_pipeline(1, "NV12", "bl-output=true"), 2, false, 2));
  } catch (const dinov3::Error& e) {
    check::skip(std::string("this nvvidconv has no bl-output property (") + e.what() + ")");
    return;
  }
  auto listener = std::make_shared<RecordingListener>();
  source->start(listener);
  CHECK(listener->wait_end());
  bool threw = false;
  try {
    source->take();
  } catch (const dinov3::Error& e) {
    threw = contains(e.what(), "block-linear");
  }
  CHECK(threw);
}

TEST(nvmm_jetson_frame_across_stop) {
  if (skip_unless_jetson()) return;
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(jetson_pipeline(2, "RGBA"), 2, false, 2));
  source.start(listener);
  CHECK(listener->wait_end());
  std::unique_ptr<Frame> f = source.take();
  CHECK(f != nullptr);
  source.stop();
  if (!f) return;
  uint8_t px[4] = {};
  CHECK(read_device(px, f->device_pointer, 4));
  CHECK(px[0] == 255 && px[3] == 255);
  f->release();
}
