// A Source over a GStreamer pipeline ending in an appsink: the pipeline and its bus are driven by
// one capture thread, which pulls samples into a bounded queue and turns bus messages into
// listener events.
#pragma once
#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "capture_module.h"
#include "frames.h"

namespace dinov3::capture {

class GstSource final : public Source {
 public:
  // Parses the pipeline (gst_init first) and finds the appsink; throws ERR_DINO_INVALID_ARGUMENT /
  // ERR_DINO_SOURCE.
  explicit GstSource(const SourceOptions& options);
  ~GstSource() override;

  void start(std::shared_ptr<Listener> listener) override;
  std::unique_ptr<Frame> take() override;
  Stats stats() const override;
  void stop() override;

  // The pipeline's element called `name` (a new reference), or nullptr; for tests that feed an
  // appsrc. nullptr once stopped.
  GstElement* find_element(const std::string& name) const;

 private:
  struct Item {
    GstSample* sample = nullptr;
    std::shared_ptr<const FrameLayout> layout;
    uint64_t sequence = 0;
  };

  void run();                       // the capture thread
  bool pull(GstClockTime timeout);  // one sample into the queue; false when none came
  bool accept(GstSample* sample);   // false (after reporting) when its caps are unusable
  bool handle_bus();                // true when capture has ended (EOS or error)
  void finish_error(const std::string& message);
  void release_pipeline();

  const SourceOptions options_;
  GstElement* pipeline_ = nullptr;
  GstAppSink* appsink_ = nullptr;
  GstBus* bus_ = nullptr;

  std::thread thread_;
  std::shared_ptr<Listener> listener_;
  std::atomic<bool> stop_requested_{false};
  std::mutex stop_mutex_;  // serialises stop()
  bool started_ = false;

  // Capture-thread state: the layout of the last caps seen.
  GstCaps* last_caps_ = nullptr;
  std::shared_ptr<const FrameLayout> last_layout_;
  std::shared_ptr<NvmmMapper> nvmm_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable space_;
  std::deque<Item> queue_;
  Stats stats_;
  bool stopped_ = false;
  std::shared_ptr<LeaseCounter> leases_ = std::make_shared<LeaseCounter>();
};

}  // namespace dinov3::capture
