#include "gst_source.h"

#include <chrono>
#include <vector>

#include "gst_runtime.h"
#ifdef DINOV3_WITH_NVMM
#include "nvmm_mapper.h"
#endif

namespace dinov3::capture {
namespace {

// How long the capture thread waits for a sample before it looks at the bus and the stop flag:
// bounds the latency of error/EOS reports and of stop().
constexpr GstClockTime kPollInterval = 20 * GST_MSECOND;

void unref_samples(std::vector<GstSample*>& samples) {
  for (GstSample* s : samples) gst_sample_unref(s);
  samples.clear();
}

}  // namespace

GstSource::GstSource(const SourceOptions& options) : options_(options) {
  if (options_.pipeline.empty()) fail(kErrInvalidArgument, "pipeline must be a non-empty gst-launch description");
  if (options_.appsink_name.empty()) fail(kErrInvalidArgument, "appsinkName must be a non-empty element name");
  if (options_.queue_size < 1 || options_.queue_size > 64) fail(kErrInvalidArgument, "queueSize must be 1 to 64");
  if (options_.max_leases < 1 || options_.max_leases > 64) fail(kErrInvalidArgument, "maxLeases must be 1 to 64");
#ifndef DINOV3_WITH_NVMM
  if (options_.nvmm) {
    fail(kErrSource,
         "nvmm zero-copy capture was requested but this capture module was built without NVMM support "
         "(JetPack's nvbufsurface.h and libnvbufsurface were not found at build time)");
  }
#endif
  ensure_gstreamer();

  GError* error = nullptr;
  GstElement* element =
      gst_parse_launch_full(options_.pipeline.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (element == nullptr || error != nullptr) {
    if (element != nullptr) gst_object_unref(gst_object_ref_sink(element));
    fail(kErrSource, "invalid GStreamer pipeline \"" + options_.pipeline + "\": " + take_gerror(error));
  }
  if (GST_IS_PIPELINE(element)) {
    pipeline_ = GST_ELEMENT(gst_object_ref_sink(element));
  } else {  // a single element (or a bin): wrap it so that it has a bus and a clock
    pipeline_ = GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(nullptr)));
    gst_bin_add(GST_BIN(pipeline_), element);
  }
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline_), options_.appsink_name.c_str());
  if (sink == nullptr || !GST_IS_APP_SINK(sink)) {
    if (sink != nullptr) gst_object_unref(sink);
    release_pipeline();
    fail(kErrSource, "the pipeline has no appsink named \"" + options_.appsink_name + "\": end it with `! appsink name=" +
                         options_.appsink_name + "`");
  }
  appsink_ = GST_APP_SINK(sink);
  // Samples are pulled by our thread, never signalled. An unbounded appsink queue (the default)
  // would hide back-pressure, so bound it unless the pipeline already did.
  gst_app_sink_set_emit_signals(appsink_, FALSE);
  if (gst_app_sink_get_max_buffers(appsink_) == 0) gst_app_sink_set_max_buffers(appsink_, 2);
  bus_ = gst_element_get_bus(pipeline_);
}

GstSource::~GstSource() { stop(); }

void GstSource::release_pipeline() {
  if (appsink_ != nullptr) gst_object_unref(appsink_);
  if (bus_ != nullptr) gst_object_unref(bus_);
  if (pipeline_ != nullptr) gst_object_unref(pipeline_);
  appsink_ = nullptr;
  bus_ = nullptr;
  pipeline_ = nullptr;
  if (last_caps_ != nullptr) gst_caps_unref(last_caps_);
  last_caps_ = nullptr;
}

void GstSource::start(std::shared_ptr<Listener> listener) {
  std::lock_guard<std::mutex> lock(stop_mutex_);
  if (started_) fail(kErrSource, "the source was already started");
  if (pipeline_ == nullptr) fail(kErrSource, "the source is stopped");
  if (!listener) fail(kErrInvalidArgument, "start() needs a listener");
  started_ = true;
  listener_ = std::move(listener);
  thread_ = std::thread(&GstSource::run, this);
}

void GstSource::run() {
  // Device opening (READY/PAUSED) happens here, off the caller's thread.
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // The element that failed has posted the reason on the bus.
    if (handle_bus()) return;
    finish_error("the pipeline could not be started (state change to PLAYING failed)");
    return;
  }
  while (!stop_requested_.load()) {
    bool room = true;
    if (!options_.drop) {
      std::unique_lock<std::mutex> lock(mutex_);
      room = queue_.size() < static_cast<size_t>(options_.queue_size);
      if (!room) {
        space_.wait_for(lock, std::chrono::nanoseconds(kPollInterval),
                        [&] { return stop_requested_.load() || queue_.size() < static_cast<size_t>(options_.queue_size); });
      }
    }
    if (room && pull(kPollInterval) && last_layout_ == nullptr) return;  // caps rejected and reported
    if (handle_bus()) return;  // every turn: a source that never idles still reports errors
  }
}

bool GstSource::pull(GstClockTime timeout) {
  GstSample* sample = gst_app_sink_try_pull_sample(appsink_, timeout);
  if (sample == nullptr) return false;
  if (!accept(sample)) {
    last_layout_.reset();
    return true;
  }
  std::vector<GstSample*> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t sequence = stats_.received++;
    if (options_.drop) {
      while (queue_.size() >= static_cast<size_t>(options_.queue_size)) {
        dropped.push_back(queue_.front().sample);
        queue_.pop_front();
        ++stats_.dropped;
      }
    }
    queue_.push_back(Item{sample, last_layout_, sequence});
  }
  unref_samples(dropped);
  listener_->on_frame();
  return true;
}

bool GstSource::accept(GstSample* sample) {
  GstCaps* caps = gst_sample_get_caps(sample);
  if (caps != nullptr && caps == last_caps_) return true;
  std::shared_ptr<const FrameLayout> layout;
  try {
    layout = parse_layout(caps);
    if (options_.nvmm && layout->memory != MemoryKind::kNvmm) {
      fail(kErrSource, "nvmm zero-copy capture was requested but the appsink caps have no (memory:NVMM) feature; "
                       "end the pipeline with `nvvidconv ! video/x-raw(memory:NVMM),format=RGBA ! appsink name=sink`");
    }
#ifdef DINOV3_WITH_NVMM
    if (layout->memory == MemoryKind::kNvmm) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!nvmm_) nvmm_ = NvmmMapper::create();
    }
#endif
  } catch (const std::exception& e) {
    gst_sample_unref(sample);
    finish_error(e.what());
    return false;
  }
  if (last_caps_ != nullptr) gst_caps_unref(last_caps_);
  last_caps_ = caps != nullptr ? gst_caps_ref(caps) : nullptr;
  last_layout_ = std::move(layout);
  return true;
}

bool GstSource::handle_bus() {
  while (GstMessage* message = gst_bus_pop(bus_)) {
    bool ended = false;
    switch (GST_MESSAGE_TYPE(message)) {
      case GST_MESSAGE_ERROR:
        finish_error(describe_message(message));
        ended = true;
        break;
      case GST_MESSAGE_EOS:
        // The appsink posts EOS only once its queue is empty (wait-on-eos); pull whatever is left.
        while (pull(0)) {
          if (last_layout_ == nullptr) {
            ended = true;
            break;
          }
        }
        if (!ended) listener_->on_eos();
        ended = true;
        break;
      case GST_MESSAGE_LATENCY:
        gst_bin_recalculate_latency(GST_BIN(pipeline_));
        break;
      case GST_MESSAGE_CLOCK_LOST:  // pick a new clock (the documented recovery)
        if (GST_MESSAGE_SRC(message) == GST_OBJECT(pipeline_)) {
          gst_element_set_state(pipeline_, GST_STATE_PAUSED);
          gst_element_set_state(pipeline_, GST_STATE_PLAYING);
        }
        break;
      default:
        break;
    }
    gst_message_unref(message);
    if (ended) return true;
  }
  return false;
}

void GstSource::finish_error(const std::string& message) { listener_->on_error(message); }

std::unique_ptr<Frame> GstSource::take() {
  Item item;
  std::vector<GstSample*> dropped;
  std::shared_ptr<NvmmMapper> nvmm;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_ || queue_.empty()) return nullptr;
    const uint32_t leased = leases_->leased.load();
    if (leased >= static_cast<uint32_t>(options_.max_leases)) {
      fail(kErrSource, "all " + std::to_string(options_.max_leases) +
                           " frame buffers are leased; release() frames you are done with");
    }
    if (options_.drop) {  // newest frame; older ones will never be seen
      item = queue_.back();
      queue_.pop_back();
      for (const Item& older : queue_) dropped.push_back(older.sample);
      stats_.dropped += queue_.size();
      queue_.clear();
    } else {  // oldest frame, in order
      item = queue_.front();
      queue_.pop_front();
    }
    leases_->leased.fetch_add(1);
    nvmm = nvmm_;
  }
  space_.notify_all();
  unref_samples(dropped);
  // The frame owns the sample and the lease from here, including when mapping throws.
  std::unique_ptr<Frame> frame = make_frame(item.sample, item.layout, leases_, item.sequence, nvmm);
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.delivered;
  return frame;
}

GstElement* GstSource::find_element(const std::string& name) const {
  return pipeline_ != nullptr ? gst_bin_get_by_name(GST_BIN(pipeline_), name.c_str()) : nullptr;
}

Stats GstSource::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s = stats_;
  s.leased = leases_->leased.load();
  s.queued = static_cast<uint32_t>(queue_.size());
  return s;
}

void GstSource::stop() {
  if (thread_.joinable() && std::this_thread::get_id() == thread_.get_id()) {
    stop_requested_.store(true);  // from a listener callback: the thread ends after it returns
    return;
  }
  std::lock_guard<std::mutex> stop_lock(stop_mutex_);
  if (pipeline_ == nullptr) return;
  stop_requested_.store(true);
  space_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<GstSample*> queued;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    for (const Item& item : queue_) queued.push_back(item.sample);
    queue_.clear();
  }
  unref_samples(queued);
#ifdef DINOV3_WITH_NVMM
  // Drop the CUDA registrations of idle pool buffers while their surfaces are certainly alive.
  if (nvmm_) nvmm_->close();
#endif
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  release_pipeline();
  listener_.reset();
}

}  // namespace dinov3::capture
