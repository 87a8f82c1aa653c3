// Build progress: TensorRT >= 10 reports phases through IProgressMonitor; 8.x has no such API,
// so coarse phases are derived from the builder's log messages.
#pragma once
#include "trt_headers.h"

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "trt_internal.h"

namespace dinov3::trt {

// An observer that ignores everything (build() called without one).
class NullObserver final : public BuildObserver {
 public:
  void phase_start(const std::string&, const std::string&, int) override {}
  bool step(const std::string&, int, int) override { return true; }
  void phase_finish(const std::string&) override {}
  void log(LogSeverity, const std::string&) override {}
  bool cancelled() override { return false; }
};

// Wraps the caller's observer: remembers a cancellation (from step() or cancelled()) and never
// lets an exception out (TensorRT's callbacks are noexcept).
class GuardedObserver {
 public:
  explicit GuardedObserver(BuildObserver* inner) : inner_(inner) {}
  void phase_start(const std::string& phase, const std::string& parent, int steps) noexcept;
  bool step(const std::string& phase, int step, int steps) noexcept;  // false: cancel
  void phase_finish(const std::string& phase) noexcept;
  bool cancelled() noexcept;  // polls the observer; sticky
  BuildObserver* inner() const { return inner_; }

 private:
  BuildObserver* inner_;
  std::atomic<bool> cancelled_{false};
};

// 8.x: "Building engine" with the children "Optimizing graph", "Selecting tactics" (one step per
// "Computing costs for ..." message, count unknown) and "Generating engine", recognised from
// the builder's messages. Phases only move forward; finish_all() closes whatever is open.
class LogPhaseTracker {
 public:
  static constexpr const char* kRoot = "Building engine";
  explicit LogPhaseTracker(GuardedObserver& observer) : observer_(observer) {}
  void start();
  void on_message(LogSeverity severity, const char* text);
  void finish_all();

 private:
  void enter(int phase);  // with mutex_ held
  GuardedObserver& observer_;
  std::mutex mutex_;
  bool started_ = false;
  int phase_ = -1;  // index into the child phases, -1 = none yet
  int steps_ = 0;
};

#if DINOV3_TRT_10
// TensorRT >= 10: forwards IProgressMonitor to the observer; stepComplete returns false (TensorRT
// stops the build) once the observer cancels. Thread-safe, as TensorRT requires.
class ProgressMonitor final : public nvinfer1::IProgressMonitor {
 public:
  explicit ProgressMonitor(GuardedObserver& observer) : observer_(observer) {}
  void phaseStart(const char* phaseName, const char* parentPhase, int32_t nbSteps) noexcept override;
  bool stepComplete(const char* phaseName, int32_t step) noexcept override;
  void phaseFinish(const char* phaseName) noexcept override;

 private:
  GuardedObserver& observer_;
  std::mutex mutex_;
  std::map<std::string, int32_t> steps_;
};
#endif

}  // namespace dinov3::trt
