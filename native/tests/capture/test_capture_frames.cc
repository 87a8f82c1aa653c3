// Frames from videotestsrc: content, layout, order, drops and leases.
#include <cstring>
#include <thread>
#include <vector>

#include "capture_test_util.h"
#include "check.h"

using namespace capture_test;

TEST(capture_rgba_frames_then_eos) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(test_pipeline(5, "video/x-raw,format=RGBA,width=64,height=48"), 8, false));
  source.start(listener);
  CHECK(listener->wait_end());
  CHECK(listener->eos == 1);
  CHECK(listener->errors == 0);
  CHECK(listener->frames == 5);
  for (uint64_t i = 0; i < 5; ++i) {
    std::unique_ptr<Frame> f = source.take();
    CHECK(f != nullptr);
    if (!f) return;
    CHECK(f->sequence == i);
    CHECK(f->width == 64 && f->height == 48);
    CHECK(f->format == PixelFormat::kRGBA);
    CHECK(f->memory == MemoryKind::kSystem);
    CHECK(f->plane_count == 1);
    CHECK(f->planes[0].pitch == 256);
    CHECK(f->planes[0].rows == 48);
    CHECK(f->planes[0].offset == 0);
    CHECK(f->data != nullptr && f->size >= 256u * 48u);
    CHECK(f->device_pointer == 0);
    CHECK(f->pts_ns == static_cast<int64_t>(i) * 1000000000 / 30);
    bool all_red = true;
    for (int y = 0; y < 48; ++y) {
      for (int x = 0; x < 64; ++x) {
        const uint8_t* p = f->data + y * 256 + x * 4;
        all_red = all_red && p[0] == 255 && p[1] == 0 && p[2] == 0 && p[3] == 255;
      }
    }
    CHECK(all_red);
    f->release();
    CHECK(f->released());
    CHECK(f->data == nullptr);
    f->release();  // idempotent
  }
  CHECK(source.take() == nullptr);
  const Stats s = source.stats();
  CHECK(s.received == 5 && s.delivered == 5 && s.dropped == 0 && s.leased == 0 && s.queued == 0);
  source.stop();
}

TEST(capture_drop_mode_keeps_newest) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(test_pipeline(10, "video/x-raw,format=RGBA,width=64,height=48"), 2, true));
  source.start(listener);
  CHECK(listener->wait_end());
  CHECK(source.stats().queued == 2);
  CHECK(source.stats().dropped == 8);
  std::unique_ptr<Frame> f = source.take();
  CHECK(f != nullptr && f->sequence == 9);
  const Stats s = source.stats();
  CHECK(s.received == 10 && s.dropped == 9 && s.delivered == 1 && s.leased == 1 && s.queued == 0);
  f.reset();  // destroying a frame releases it
  CHECK(source.stats().leased == 0);
}

TEST(capture_queue_mode_delivers_every_frame_in_order) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(test_pipeline(40, "video/x-raw,format=GRAY8,width=32,height=16"), 2, false));
  source.start(listener);
  uint64_t expected = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    std::unique_ptr<Frame> f = source.take();
    if (f) {
      CHECK(f->sequence == expected);
      CHECK(f->format == PixelFormat::kGray8);
      ++expected;
      continue;
    }
    if (listener->ended() && source.stats().queued == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(expected == 40);
  CHECK(listener->eos == 1);
  const Stats s = source.stats();
  CHECK(s.received == 40 && s.dropped == 0 && s.delivered == 40);
}

TEST(capture_lease_exhaustion_is_an_error) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(test_pipeline(6, "video/x-raw,format=RGBA,width=16,height=8"), 8, false, 2));
  source.start(listener);
  CHECK(listener->wait_end());
  std::unique_ptr<Frame> a = source.take();
  std::unique_ptr<Frame> b = source.take();
  CHECK(a && b);
  bool threw = false;
  try {
    source.take();
  } catch (const dinov3::Error& e) {
    threw = true;
    CHECK(std::strcmp(e.code(), "ERR_DINO_SOURCE") == 0);
    CHECK(contains(e.what(), "all 2 frame buffers are leased; release() frames you are done with"));
  }
  CHECK(threw);
  CHECK(source.stats().leased == 2);
  CHECK(source.stats().queued == 4);  // nothing was consumed by the failed take
  a->release();
  std::unique_ptr<Frame> c = source.take();
  CHECK(c != nullptr && c->sequence == 2);
  CHECK(source.stats().leased == 2);
}

TEST(capture_frame_outlives_its_source) {
  auto listener = std::make_shared<RecordingListener>();
  std::unique_ptr<Frame> f;
  {
    GstSource source(options(test_pipeline(1, "video/x-raw,format=RGBA,width=16,height=8"), 2, false));
    source.start(listener);
    CHECK(listener->wait_end());
    f = source.take();
  }  // the source stops and frees its pipeline here
  CHECK(f != nullptr);
  if (f) {
    CHECK(f->data[0] == 255 && f->data[1] == 0 && f->data[3] == 255);
    f->release();
  }
}

TEST(capture_nv12_planes) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(test_pipeline(1, "video/x-raw,format=NV12,width=64,height=48"), 2, false));
  source.start(listener);
  CHECK(listener->wait_end());
  std::unique_ptr<Frame> f = source.take();
  CHECK(f != nullptr);
  if (!f) return;
  CHECK(f->format == PixelFormat::kNV12);
  CHECK(f->plane_count == 2);
  CHECK(f->planes[0].offset == 0 && f->planes[0].pitch == 64 && f->planes[0].rows == 48);
  CHECK(f->planes[1].offset == 64u * 48u && f->planes[1].pitch == 64 && f->planes[1].rows == 24);
  CHECK(f->size == 64u * 48u * 3u / 2u);
  CHECK(f->planes[1].host == f->data + f->planes[1].offset);
  CHECK(!f->full_range);  // videotestsrc's default colorimetry is limited range
  // BT.601 limited-range red: Y 81, U 90, V 240.
  CHECK(f->data[0] == 81 && f->data[64 * 48 - 1] == 81);
  const uint8_t* uv = f->data + f->planes[1].offset;
  CHECK(uv[0] == 90 && uv[1] == 240 && uv[64 * 24 - 2] == 90 && uv[64 * 24 - 1] == 240);
}

TEST(capture_i420_planes_at_odd_size) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(test_pipeline(1, "video/x-raw,format=I420,width=63,height=47"), 2, false));
  source.start(listener);
  CHECK(listener->wait_end());
  std::unique_ptr<Frame> f = source.take();
  CHECK(f != nullptr);
  if (!f) return;
  CHECK(f->format == PixelFormat::kI420 && f->width == 63 && f->height == 47);
  CHECK(f->plane_count == 3);
  // GStreamer's default I420 layout: strides rounded up to 4, and the luma plane spans an even
  // number of rows (48), so a plane's offset is not always the previous one's pitch * rows.
  CHECK(f->planes[0].pitch == 64 && f->planes[0].rows == 47 && f->planes[0].offset == 0);
  CHECK(f->planes[1].pitch == 32 && f->planes[1].rows == 24 && f->planes[1].offset == 64u * 48u);
  CHECK(f->planes[2].pitch == 32 && f->planes[2].rows == 24 && f->planes[2].offset == 64u * 48u + 32u * 24u);
  CHECK(f->data[0] == 81 && f->data[f->planes[1].offset] == 90 && f->data[f->planes[2].offset] == 240);
  CHECK(f->data[f->planes[2].offset + 31] == 240);  // last chroma sample of row 0 (index 31 of 32)
}

TEST(capture_rgb_pitch_is_padded) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(test_pipeline(1, "video/x-raw,format=BGR,width=63,height=5"), 2, false));
  source.start(listener);
  CHECK(listener->wait_end());
  std::unique_ptr<Frame> f = source.take();
  CHECK(f != nullptr);
  if (!f) return;
  CHECK(f->format == PixelFormat::kBGR);
  CHECK(f->planes[0].pitch == 192);  // 63 * 3 = 189, rounded up to 4
  const uint8_t* last = f->data + 4 * 192 + 62 * 3;
  CHECK(last[0] == 0 && last[1] == 0 && last[2] == 255);  // B, G, R of the last pixel
}
