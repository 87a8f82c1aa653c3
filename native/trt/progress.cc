#include "progress.h"

#include <cstring>
#include <exception>

namespace dinov3::trt {

// ---- GuardedObserver ---------------------------------------------------------------------------

void GuardedObserver::phase_start(const std::string& phase, const std::string& parent, int steps) noexcept {
  try {
    inner_->phase_start(phase, parent, steps);
  } catch (const std::exception&) {
  }
}

bool GuardedObserver::step(const std::string& phase, int step, int steps) noexcept {
  try {
    if (!inner_->step(phase, step, steps)) cancelled_.store(true);
  } catch (const std::exception&) {
  }
  return !cancelled();
}

void GuardedObserver::phase_finish(const std::string& phase) noexcept {
  try {
    inner_->phase_finish(phase);
  } catch (const std::exception&) {
  }
}

bool GuardedObserver::cancelled() noexcept {
  if (cancelled_.load()) return true;
  try {
    if (inner_->cancelled()) cancelled_.store(true);
  } catch (const std::exception&) {
  }
  return cancelled_.load();
}

// ---- LogPhaseTracker (TensorRT 8.x) ------------------------------------------------------------
namespace {

const char* const kChildPhases[] = {"Optimizing graph", "Selecting tactics", "Generating engine"};
constexpr int kNbChildPhases = 3;

bool has(const char* text, const char* needle) { return std::strstr(text, needle) != nullptr; }

// Which child phase a builder message announces, or -1. Messages of TensorRT 8.5/8.6 (verbose and
// info); unknown messages change nothing, so a different wording only coarsens the progress.
int phase_of(const char* text) {
  if (has(text, "Applying generic optimizations") || has(text, "Original: ") ||
      has(text, "After dead-layer removal") || has(text, "Graph optimization time")) {
    return 0;
  }
  if (has(text, "Constructing optimization profile") || has(text, "Computing costs for") ||
      has(text, "Autotuning format combination") || has(text, "Local timing cache in use") ||
      has(text, "Global timing cache in use")) {
    return 1;
  }
  if (has(text, "Formats and tactics selection completed") || has(text, " output network tensors") ||
      has(text, "Total Host Persistent Memory") || has(text, "[BlockAssignment]") ||
      has(text, "Engine generation completed")) {
    return 2;
  }
  return -1;
}

}  // namespace

void LogPhaseTracker::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return;
  started_ = true;
  observer_.phase_start(kRoot, "", 0);
}

void LogPhaseTracker::enter(int phase) {
  if (phase <= phase_) return;
  if (phase_ >= 0) observer_.phase_finish(kChildPhases[phase_]);
  phase_ = phase;
  steps_ = 0;
  observer_.phase_start(kChildPhases[phase_], kRoot, 0);
}

void LogPhaseTracker::on_message(LogSeverity, const char* text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!started_) return;
  const int phase = phase_of(text);
  if (phase >= 0) enter(phase);
  if (phase_ == 1 && has(text, "Computing costs for")) observer_.step(kChildPhases[1], steps_++, 0);
}

void LogPhaseTracker::finish_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!started_) return;
  if (phase_ >= 0 && phase_ < kNbChildPhases) observer_.phase_finish(kChildPhases[phase_]);
  phase_ = kNbChildPhases;
  observer_.phase_finish(kRoot);
  started_ = false;
}

// ---- ProgressMonitor (TensorRT >= 10) ----------------------------------------------------------
#if DINOV3_TRT_10

void ProgressMonitor::phaseStart(const char* phaseName, const char* parentPhase, int32_t nbSteps) noexcept {
  try {
    const std::string name = phaseName != nullptr ? phaseName : "";
    {
      std::lock_guard<std::mutex> lock(mutex_);
      steps_[name] = nbSteps;
    }
    observer_.phase_start(name, parentPhase != nullptr ? parentPhase : "", nbSteps);
  } catch (const std::exception&) {
  }
}

bool ProgressMonitor::stepComplete(const char* phaseName, int32_t step) noexcept {
  try {
    const std::string name = phaseName != nullptr ? phaseName : "";
    int32_t steps = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = steps_.find(name);
      if (it != steps_.end()) steps = it->second;
    }
    return observer_.step(name, step, steps);
  } catch (const std::exception&) {
    return !observer_.cancelled();
  }
}

void ProgressMonitor::phaseFinish(const char* phaseName) noexcept {
  try {
    const std::string name = phaseName != nullptr ? phaseName : "";
    {
      std::lock_guard<std::mutex> lock(mutex_);
      steps_.erase(name);
    }
    observer_.phase_finish(name);
  } catch (const std::exception&) {
  }
}

#endif

}  // namespace dinov3::trt
