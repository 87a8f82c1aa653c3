// TensorRT's log, captured per operation.
//
// TensorRT keeps the first logger it is given as its process-wide logger, and a logger must
// outlive every object created with it. So the module passes one router, alive for the whole
// process, to every createInferBuilder / createInferRuntime / createParser, and the router hands
// each message to the LogSink installed on the calling thread (a build, a deserialize, an
// enqueue). A message from a thread with no sink goes to the only active sink when there is
// exactly one (TensorRT's helper threads during a build), otherwise nowhere. Never a
// process-wide queue: concurrent builds never see each other's messages.
//
// DINOV3_TRT_LOG=error|warning|info|verbose additionally mirrors every message at or above that
// severity to stderr (for debugging).
#pragma once
#include "trt_headers.h"

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "trt_module.h"

namespace dinov3::trt {

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void on_message(LogSeverity severity, const char* text) noexcept = 0;
};

// The process-wide router (never destroyed).
nvinfer1::ILogger& trt_logger();

// Installs `sink` for the current thread (and as an active sink) for the scope's lifetime.
class ScopedLogSink {
 public:
  explicit ScopedLogSink(LogSink* sink);
  ~ScopedLogSink();
  ScopedLogSink(const ScopedLogSink&) = delete;
  ScopedLogSink& operator=(const ScopedLogSink&) = delete;

 private:
  LogSink* sink_;
  LogSink* previous_;
};

// Keeps the lines of one operation (at `keep` severity or more severe), forwards them to an
// observer, and gives every message (verbose included) to `tap`. Thread-safe.
class LogCapture : public LogSink {
 public:
  using Tap = std::function<void(LogSeverity, const char*)>;
  explicit LogCapture(BuildObserver* observer = nullptr, LogSeverity keep = LogSeverity::kInfo, Tap tap = {});

  void on_message(LogSeverity severity, const char* text) noexcept override;

  std::vector<LogLine> lines() const;
  // The error (and internal-error) lines, most recent last, at most `max` of them, joined by "\n".
  std::string errors(size_t max = 8) const;
  // True when any kept line contains `needle`.
  bool contains(const char* needle) const;

 private:
  static constexpr size_t kMaxLines = 4000;
  mutable std::mutex mutex_;
  BuildObserver* observer_;
  LogSeverity keep_;
  Tap tap_;
  std::vector<LogLine> lines_;
  size_t dropped_ = 0;
};

}  // namespace dinov3::trt
