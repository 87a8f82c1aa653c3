// Helpers for the capture tests: a listener that records events, and a few waits.
#pragma once
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "capture_module.h"
#include "gst_source.h"

namespace capture_test {

using namespace dinov3::capture;
using Clock = std::chrono::steady_clock;

class RecordingListener : public Listener {
 public:
  void on_frame() override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++frames;
    cv_.notify_all();
  }
  void on_eos() override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++eos;
    cv_.notify_all();
  }
  void on_error(const std::string& message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++errors;
    error_message = message;
    cv_.notify_all();
  }

  // Waits until `pred()` holds (checked under the lock) or the timeout passes.
  template <typename Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = std::chrono::milliseconds(60000)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, pred);
  }
  bool wait_end(std::chrono::milliseconds timeout = std::chrono::milliseconds(60000)) {
    return wait([&] { return eos + errors > 0; }, timeout);
  }
  bool wait_frames(int n, std::chrono::milliseconds timeout = std::chrono::milliseconds(60000)) {
    return wait([&] { return frames >= n; }, timeout);
  }

  bool ended() {
    std::lock_guard<std::mutex> lock(mutex_);
    return eos + errors > 0;
  }

  int frames = 0;
  int eos = 0;
  int errors = 0;
  std::string error_message;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
};

inline SourceOptions options(const std::string& pipeline, int queue_size = 2, bool drop = true, int max_leases = 4) {
  SourceOptions o;
  o.pipeline = pipeline;
  o.queue_size = queue_size;
  o.drop = drop;
  o.max_leases = max_leases;
  return o;
}

// videotestsrc producing `n` frames of `caps` as fast as possible.
inline std::string test_pipeline(int n, const std::string& caps, const std::string& pattern = "red") {
  return "videotestsrc num-buffers=" + std::to_string(n) + " pattern=" + pattern + " ! " + caps +
         " ! appsink name=sink sync=false";
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace capture_test
