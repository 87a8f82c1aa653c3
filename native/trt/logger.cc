#include "logger.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "trt_internal.h"

namespace dinov3::trt {
namespace {

thread_local LogSink* t_sink = nullptr;

int mirror_level_from_env() {
  const char* v = std::getenv("DINOV3_TRT_LOG");
  if (v == nullptr || *v == '\0') return -1;
  if (std::strcmp(v, "error") == 0) return static_cast<int>(LogSeverity::kError);
  if (std::strcmp(v, "warning") == 0) return static_cast<int>(LogSeverity::kWarning);
  if (std::strcmp(v, "info") == 0) return static_cast<int>(LogSeverity::kInfo);
  if (std::strcmp(v, "verbose") == 0) return static_cast<int>(LogSeverity::kVerbose);
  return static_cast<int>(LogSeverity::kWarning);
}

class Router final : public nvinfer1::ILogger {
 public:
  void log(Severity severity, const char* msg) noexcept override {
    if (msg == nullptr) return;
    const LogSeverity s = from_trt(severity);
    if (mirror_level_ >= static_cast<int>(s)) std::fprintf(stderr, "dinov3 [TensorRT %s] %s\n", severity_name(s), msg);
    if (LogSink* sink = t_sink) {
      sink->on_message(s, msg);
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (active_.size() == 1) active_.front()->on_message(s, msg);
  }

  void activate(LogSink* sink) {
    std::lock_guard<std::mutex> lock(mutex_);
    active_.push_back(sink);
  }

  void deactivate(LogSink* sink) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = std::find(active_.begin(), active_.end(), sink);
    if (it != active_.end()) active_.erase(it);
  }

 private:
  const int mirror_level_ = mirror_level_from_env();
  std::mutex mutex_;
  std::vector<LogSink*> active_;
};

Router& router() {
  // Deliberately leaked: TensorRT may log from its own threads while the process exits.
  static Router* r = new Router();
  return *r;
}

}  // namespace

nvinfer1::ILogger& trt_logger() { return router(); }

ScopedLogSink::ScopedLogSink(LogSink* sink) : sink_(sink), previous_(t_sink) {
  t_sink = sink;
  router().activate(sink);
}

ScopedLogSink::~ScopedLogSink() {
  router().deactivate(sink_);
  t_sink = previous_;
}

LogCapture::LogCapture(BuildObserver* observer, LogSeverity keep, Tap tap)
    : observer_(observer), keep_(keep), tap_(std::move(tap)) {}

void LogCapture::on_message(LogSeverity severity, const char* text) noexcept {
  try {
    if (tap_) tap_(severity, text);
    if (static_cast<int>(severity) > static_cast<int>(keep_)) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (lines_.size() < kMaxLines) {
        lines_.push_back(LogLine{severity, text});
      } else {
        ++dropped_;
      }
    }
    if (observer_ != nullptr) observer_->log(severity, text);
  } catch (const std::exception&) {
    // Out of memory while logging: drop the line (TensorRT's logger must not throw).
  }
}

std::vector<LogLine> LogCapture::lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<LogLine> out = lines_;
  if (dropped_ > 0) {
    out.push_back(LogLine{LogSeverity::kWarning, std::to_string(dropped_) + " more TensorRT messages were not kept"});
  }
  return out;
}

std::string LogCapture::errors(size_t max) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<const std::string*> found;
  for (auto it = lines_.rbegin(); it != lines_.rend() && found.size() < max; ++it) {
    if (it->severity == LogSeverity::kError || it->severity == LogSeverity::kInternalError) found.push_back(&it->text);
  }
  std::string out;
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    if (!out.empty()) out += "\n";
    out += **it;
  }
  return out;
}

bool LogCapture::contains(const char* needle) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& line : lines_) {
    if (line.text.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace dinov3::trt
