// Errors and lifetime: bad pipelines, runtime errors, stop while running, the module entry point.
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "capture_test_util.h"
#include "check.h"

using namespace capture_test;

namespace {

// Runs `fn`, expecting a dinov3::Error with `code` whose message contains `part`.
template <typename Fn>
void expect_error(Fn fn, const char* code, const std::string& part) {
  try {
    fn();
    ::check::report(__FILE__, __LINE__, std::string("no error; expected ") + code + " containing " + part);
  } catch (const dinov3::Error& e) {
    if (std::strcmp(e.code(), code) != 0 || !contains(e.what(), part)) {
      ::check::report(__FILE__, __LINE__, std::string("got ") + e.code() + ": " + e.what() + "; expected " + code +
                                              " containing " + part);
    }
  }
}

}  // namespace

TEST(capture_bad_pipelines_throw_with_reasons) {
  expect_error([] { GstSource s(options("videotestsrc ! nosuchelement ! appsink name=sink")); }, "ERR_DINO_SOURCE",
               "nosuchelement");
  expect_error([] { GstSource s(options("videotestsrc ! ! appsink name=sink")); }, "ERR_DINO_SOURCE",
               "invalid GStreamer pipeline");
  expect_error([] { GstSource s(options("videotestsrc ! fakesink")); }, "ERR_DINO_SOURCE",
               "no appsink named \"sink\"");
  expect_error([] { GstSource s(options("videotestsrc ! fakesink name=sink")); }, "ERR_DINO_SOURCE",
               "no appsink named \"sink\"");
  expect_error([] { GstSource s(options("")); }, "ERR_DINO_INVALID_ARGUMENT", "pipeline");
  expect_error([] { GstSource s(options("videotestsrc ! appsink name=sink", 0)); }, "ERR_DINO_INVALID_ARGUMENT",
               "queueSize");
  expect_error([] { GstSource s(options("videotestsrc ! appsink name=sink", 2, true, 0)); },
               "ERR_DINO_INVALID_ARGUMENT", "maxLeases");
  SourceOptions o = options("videotestsrc ! appsink name=cam");
  o.appsink_name = "cam";
  GstSource ok(o);  // a custom appsink name
#ifndef DINOV3_WITH_NVMM
  SourceOptions n = options("videotestsrc ! appsink name=sink");
  n.nvmm = true;
  expect_error([&] { GstSource s(n); }, "ERR_DINO_SOURCE", "built without NVMM");
#endif
}

TEST(capture_missing_file_is_reported_with_element_and_path) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options("filesrc location=/nonexistent/clip.mp4 ! decodebin ! videoconvert ! appsink name=sink"));
  source.start(listener);
  CHECK(listener->wait_end());
  CHECK(listener->errors == 1 && listener->eos == 0);
  CHECK(contains(listener->error_message, "filesrc0:"));
  CHECK(contains(listener->error_message, "/nonexistent/clip.mp4"));
  CHECK(source.take() == nullptr);
  source.stop();
}

TEST(capture_runtime_decode_error_is_reported) {
  // Not-a-video bytes: typefinding fails in the streaming thread, after PLAYING was reached.
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options("fakesrc num-buffers=4 sizetype=fixed sizemax=256 filltype=random ! decodebin ! "
                           "videoconvert ! appsink name=sink"));
  source.start(listener);
  CHECK(listener->wait_end());
  CHECK(listener->errors == 1);
  CHECK(!listener->error_message.empty());
}

TEST(capture_unsupported_format_is_reported) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options(test_pipeline(3, "video/x-raw,format=YUY2,width=16,height=8")));
  source.start(listener);
  CHECK(listener->wait_end());
  CHECK(listener->errors == 1);
  CHECK(contains(listener->error_message, "YUY2"));
  CHECK(contains(listener->error_message, "videoconvert ! video/x-raw,format=RGBA"));
  CHECK(source.take() == nullptr);
}

TEST(capture_stop_while_running) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options("videotestsrc is-live=true ! video/x-raw,format=RGBA,width=64,height=48,framerate=60/1 ! "
                           "appsink name=sink"));
  source.start(listener);
  CHECK(listener->wait_frames(3));
  std::unique_ptr<Frame> held = source.take();  // a lease across the stop
  CHECK(held != nullptr);
  const auto t0 = Clock::now();
  source.stop();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  CHECK(ms < 2000);
  source.stop();  // idempotent
  CHECK(source.take() == nullptr);
  CHECK(listener->eos == 0 && listener->errors == 0);
  CHECK(held->data != nullptr && held->data[0] == 255);
  held->release();
  CHECK(source.stats().leased == 0);
}

TEST(capture_destroy_running_and_unstarted_sources) {
  {
    GstSource never_started(options("videotestsrc ! appsink name=sink"));
  }
  for (int i = 0; i < 5; ++i) {
    auto listener = std::make_shared<RecordingListener>();
    GstSource source(options("videotestsrc is-live=true ! video/x-raw,format=RGBA,width=32,height=32 ! appsink name=sink"));
    source.start(listener);
    if (i % 2 == 0) listener->wait_frames(1);
  }  // destroyed while capturing
  CHECK(true);
}

TEST(capture_stop_from_another_thread_during_takes) {
  auto listener = std::make_shared<RecordingListener>();
  GstSource source(options("videotestsrc is-live=true ! video/x-raw,format=RGBA,width=32,height=32,framerate=120/1 ! "
                           "appsink name=sink"));
  source.start(listener);
  std::atomic<bool> done{false};
  int taken = 0;
  std::thread taker([&] {
    while (!done.load()) {
      if (std::unique_ptr<Frame> f = source.take()) ++taken;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  listener->wait_frames(10);
  source.stop();
  done.store(true);
  taker.join();
  CHECK(taken > 0);
  CHECK(source.stats().leased == 0);
}

TEST(capture_module_entry_point) {
  void* handle = ::dlopen(DINOV3_CAPTURE_MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
  CHECK(handle != nullptr);
  if (handle == nullptr) return;
  auto entry = reinterpret_cast<ModuleEntry>(::dlsym(handle, "dinov3_capture_module_v1"));
  auto version = reinterpret_cast<VersionEntry>(::dlsym(handle, "dinov3_plugin_version"));
  CHECK(entry != nullptr && version != nullptr);
  if (entry == nullptr || version == nullptr) return;
  CHECK(contains(version(), "GStreamer 1."));
  CHECK(entry(kAbiVersion + 1) == nullptr);
  Module* module = entry(kAbiVersion);
  CHECK(module != nullptr && module->abi_version() == kAbiVersion);
  CHECK(contains(module->runtime_version(), "GStreamer 1."));
  // A dinov3::Error thrown inside the module (hidden visibility, RTLD_LOCAL) is caught here by type.
  expect_error([&] { module->open(options("videotestsrc ! nosuchelement ! appsink name=sink")); }, "ERR_DINO_SOURCE",
               "nosuchelement");
  auto listener = std::make_shared<RecordingListener>();
  std::unique_ptr<Source> source = module->open(options(test_pipeline(2, "video/x-raw,format=RGBA,width=8,height=8"), 4, false));
  source->start(listener);
  CHECK(listener->wait_end() && listener->eos == 1);
  std::unique_ptr<Frame> f = source->take();
  CHECK(f && f->width == 8);
  f.reset();
  source.reset();
  // The module stays loaded (as the addon keeps it): GStreamer cannot be unloaded.
}

// Many sources opened, run to EOS or stopped mid-stream, with frames taken and released. Under
// valgrind, DINOV3_CAPTURE_REPEAT=5 and =50 must report the same memory still reachable at exit
// (anything per-source that leaked would grow with the count).
TEST(capture_repeated_sources) {
  const char* env = std::getenv("DINOV3_CAPTURE_REPEAT");
  const int repeat = env != nullptr ? std::atoi(env) : 5;
  for (int i = 0; i < repeat; ++i) {
    auto listener = std::make_shared<RecordingListener>();
    GstSource source(options(test_pipeline(i % 2 == 0 ? 3 : 1000, "video/x-raw,format=NV12,width=32,height=16"), 2,
                             i % 3 == 0));
    source.start(listener);
    listener->wait_frames(2);
    std::unique_ptr<Frame> a = source.take();
    std::unique_ptr<Frame> b = source.take();
    if (a) a->release();
    source.stop();
  }
  CHECK(true);
}
