// Camera/video capture: the JavaScript binding of the capture module (dinov3_capture.so, loaded
// on first use; see native/capture/capture_module.h for the capture semantics).
//
// JS surface (typed in lib/binding.ts, "Capture" section):
//
//   captureInit(): Promise<{ gstreamer: string, nvmm: boolean }>
//       Initialises GStreamer on a worker thread (the first initialisation may scan the plugin
//       registry for seconds; captureOpen does it synchronously otherwise).
//
//   captureOpen(pipeline: string,
//               options: { appsinkName?: string, queueSize?: number, maxLeases?: number,
//                          drop?: boolean, nvmm?: boolean } | undefined,
//               onEvent: (event: { type: 'frame' | 'eos' | 'error', message?: string }) => void)
//       -> NativeCaptureSource
//     Parses the pipeline (throws ERR_DINO_SOURCE with GStreamer's reason, ERR_DINO_INVALID_ARGUMENT
//     for bad options) and starts its capture thread, which opens the devices and plays.
//     Events arrive on the main thread through a thread-safe function: 'frame' is coalesced (at
//     most one pending, so a fast camera cannot flood the event loop; take every waiting frame
//     when it comes), 'eos' and 'error' (message: "<element>: <text> (<debug>)") end capture and
//     come once. No event is delivered after stop() was called.
//
//   NativeCaptureSource
//     takeFrame(): NativeFrame | null   newest frame (drop mode, the default) or the oldest
//                                       (drop: false), null when none is waiting. Throws
//                                       ERR_DINO_SOURCE "all N frame buffers are leased; release()
//                                       frames you are done with", ERR_DINO_DISPOSED after stop().
//     stats(): { received, dropped, delivered, leased, queued }
//     stop(): Promise<void>             joins the capture thread and frees the pipeline on a
//                                       worker thread; idempotent (the same promise). Frames
//                                       already taken stay valid until released.
//     ref() / unref()                   whether a running source keeps the process alive (it does
//                                       by default, like a socket; a source that reached EOS,
//                                       failed or was stopped never does).
//     stopped: boolean                  true from the moment stop() is called.
//
//   NativeFrame (a lease on one captured buffer)
//     width, height, format ('RGBA'|'RGBx'|'BGRA'|'BGRx'|'RGB'|'BGR'|'GRAY8'|'NV12'|'I420'),
//     memory ('system'|'nvmm'|'cuda'), fullRange (YUV sample range), pitch (plane 0),
//     planes: { offset, pitch, rows }[] (offsets from data / devicePointer), byteLength,
//     pts (ns, -1 when unknown), sequence (0-based; gaps are drops),
//     data: Uint8Array | null   system memory: a zero-copy view of the mapped buffer, detached by
//                               release() so JS can never read a buffer given back to GStreamer.
//                               (A buffer made of several memories is copied instead, planes
//                               packed one after another.) null for device memory.
//     devicePointer: bigint | null   nvmm/cuda: CUDA device address of plane 0, valid until release.
//     release(): void           idempotent; give the buffer back.
//     released: boolean
//   A frame nobody references any more (neither the frame object nor its data) is released by the
//   garbage collector: a safety net, not a substitute for release().
//
// Lifetime: each open source registers an env cleanup hook that stops it (synchronously) when its
// env (main thread or worker) goes away; a source object collected while running is stopped by
// its finaliser.
#include <napi.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../capture/capture_module.h"
#include "args.h"
#include "errors.h"
#include "ops.h"
#include "plugins.h"
#include "promise_worker.h"

namespace dinov3::addon {
namespace {

namespace cap = dinov3::capture;

// ---- module -------------------------------------------------------------------------------------

cap::Module& capture_module(Napi::Env env) {
  const PluginStatus& status = capture_status();
  if (!status.loaded) throw coded_error(env, cap::kErrSource, "video capture is not available: " + status.reason);
  auto entry = reinterpret_cast<cap::ModuleEntry>(status.entry);
  cap::Module* module = entry(cap::kAbiVersion);
  if (module == nullptr) {
    throw coded_error(env, cap::kErrSource,
                      std::string(kCaptureModule) + " was built for another version of the addon (capture ABI " +
                          std::to_string(cap::kAbiVersion) + " expected): rebuild the package");
  }
  return *module;
}

// ---- events -------------------------------------------------------------------------------------

struct Event {
  enum Kind { kFrame, kEos, kError } kind;
  std::string message;
};

// Shared by the source object, the capture-thread listener and the thread-safe function.
struct Channel;
void deliver(Napi::Env env, Napi::Function callback, Channel* channel, Event* event);
using EventFunction = Napi::TypedThreadSafeFunction<Channel, Event, deliver>;

struct Channel {
  EventFunction tsfn;
  std::atomic<bool> frame_pending{false};
  // Main thread only:
  bool stopped = false;   // stop() was called: events are dropped
  bool finished = false;  // EOS or error was delivered
  bool want_ref = true;   // ref()/unref()
  bool released = false;  // the thread-safe function was released

  void apply_ref(Napi::Env env) {
    if (released) return;
    // Raw calls: never throw (this also runs while the env is being torn down).
    if (want_ref && !finished && !stopped) {
      napi_ref_threadsafe_function(env, tsfn);
    } else {
      napi_unref_threadsafe_function(env, tsfn);
    }
  }
  // Only once the capture thread has been joined (no more calls can come).
  void release() {
    if (released) return;
    released = true;
    tsfn.Release();
  }
};

void deliver(Napi::Env env, Napi::Function callback, Channel* channel, Event* raw) {
  std::unique_ptr<Event> event(raw);
  if (env == nullptr || callback.IsEmpty() || channel == nullptr) return;  // torn down with events queued
  if (event->kind == Event::kFrame) channel->frame_pending.store(false);  // later frames notify again
  if (channel->stopped) return;
  if (event->kind != Event::kFrame) {
    channel->finished = true;
    channel->apply_ref(env);  // a finished source no longer keeps the process alive
  }
  // Raw N-API calls, checked but never throwing: during env teardown (pending events are
  // dispatched while handles close) JS cannot run and property sets fail, and a C++ exception
  // here would escape the thread-safe function's dispatcher. A JS exception thrown by the
  // callback stays pending and Node handles it as for any N-API callback: for N-API 8 modules
  // that is only a DEP0168 warning unless --force-node-api-uncaught-exceptions-policy=true, so
  // handlers should catch their own errors.
  static const char* const kTypes[] = {"frame", "eos", "error"};
  napi_value o = nullptr, type = nullptr, message = nullptr, result = nullptr;
  if (napi_create_object(env, &o) != napi_ok ||
      napi_create_string_utf8(env, kTypes[event->kind], NAPI_AUTO_LENGTH, &type) != napi_ok ||
      napi_set_named_property(env, o, "type", type) != napi_ok) {
    return;
  }
  if (event->kind == Event::kError &&
      (napi_create_string_utf8(env, event->message.c_str(), event->message.size(), &message) != napi_ok ||
       napi_set_named_property(env, o, "message", message) != napi_ok)) {
    return;
  }
  napi_call_function(env, env.Undefined(), callback, 1, &o, &result);
}

// Called on the capture thread: cheap and non-blocking.
class ChannelListener final : public cap::Listener {
 public:
  explicit ChannelListener(std::shared_ptr<Channel> channel) : channel_(std::move(channel)) {}

  void on_frame() override {
    if (channel_->frame_pending.exchange(true)) return;  // one 'frame' event pending is enough
    if (!post(new Event{Event::kFrame, {}})) channel_->frame_pending.store(false);
  }
  void on_eos() override { post(new Event{Event::kEos, {}}); }
  void on_error(const std::string& message) override { post(new Event{Event::kError, message}); }

 private:
  bool post(Event* event) {
    if (channel_->tsfn.NonBlockingCall(event) == napi_ok) return true;
    delete event;  // closing (env teardown)
    return false;
  }
  std::shared_ptr<Channel> channel_;
};

// ---- frames -------------------------------------------------------------------------------------

// Owns the native frame. Held by the JS frame object and by its external ArrayBuffer, so the
// mapping outlives whichever of the two the garbage collector takes last.
struct FrameLease {
  std::unique_ptr<cap::Frame> frame;
};

class CaptureFrame : public Napi::ObjectWrap<CaptureFrame> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CaptureFrame",
                       {InstanceMethod<&CaptureFrame::Release>("release"),
                        InstanceAccessor<&CaptureFrame::GetReleased>("released")});
  }
  explicit CaptureFrame(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CaptureFrame>(info) {}

  static Napi::Object Create(Napi::Env env, const Napi::FunctionReference& ctor, std::unique_ptr<cap::Frame> native);

 private:
  Napi::Value Release(const Napi::CallbackInfo& info) {
    if (lease_ && lease_->frame) lease_->frame->release();
    if (!data_.IsEmpty()) {
      Napi::Value buffer = data_.Value();
      if (buffer.IsArrayBuffer() && !buffer.As<Napi::ArrayBuffer>().IsDetached()) buffer.As<Napi::ArrayBuffer>().Detach();
      data_.Reset();
    }
    return info.Env().Undefined();
  }
  Napi::Value GetReleased(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), !lease_ || !lease_->frame || lease_->frame->released());
  }

  std::shared_ptr<FrameLease> lease_;
  Napi::Reference<Napi::Value> data_;  // weak: the zero-copy ArrayBuffer, detached on release
};

Napi::Object CaptureFrame::Create(Napi::Env env, const Napi::FunctionReference& ctor,
                                  std::unique_ptr<cap::Frame> native) {
  const cap::Frame& f = *native;
  Napi::Object obj = ctor.New({});
  CaptureFrame* self = Unwrap(obj);
  self->lease_ = std::make_shared<FrameLease>();
  self->lease_->frame = std::move(native);

  const int32_t planes_n = std::min(f.plane_count, cap::kMaxPlanes);
  std::vector<uint64_t> offsets(static_cast<size_t>(planes_n));
  for (int32_t i = 0; i < planes_n; ++i) offsets[i] = f.planes[i].offset;

  Napi::Value data = env.Null();
  size_t byte_length = f.size;
  if (f.memory == cap::MemoryKind::kSystem) {
    Napi::ArrayBuffer buffer;
    if (f.data != nullptr) {
      // Zero-copy: the ArrayBuffer views the mapped GstBuffer; its finaliser holds the lease.
      auto* hint = new std::shared_ptr<FrameLease>(self->lease_);
      buffer = Napi::ArrayBuffer::New(
          env, const_cast<uint8_t*>(f.data), f.size,
          [](Napi::Env, void*, std::shared_ptr<FrameLease>* held) { delete held; }, hint);
      self->data_ = Napi::Reference<Napi::Value>::New(buffer, 0);
    } else {
      // Planes in separate memories: pack them into one JS-owned copy.
      size_t total = 0;
      for (int32_t i = 0; i < planes_n; ++i) total += static_cast<size_t>(f.planes[i].pitch) * f.planes[i].rows;
      buffer = Napi::ArrayBuffer::New(env, total);
      auto* out = static_cast<uint8_t*>(buffer.Data());
      size_t at = 0;
      for (int32_t i = 0; i < planes_n; ++i) {
        const size_t bytes = static_cast<size_t>(f.planes[i].pitch) * f.planes[i].rows;
        std::memcpy(out + at, f.planes[i].host, bytes);
        offsets[i] = at;
        at += bytes;
      }
      byte_length = total;
    }
    data = Napi::Uint8Array::New(env, buffer.ByteLength(), buffer, 0);
  }

  Napi::Array planes = Napi::Array::New(env, static_cast<size_t>(planes_n));
  for (int32_t i = 0; i < planes_n; ++i) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("offset", static_cast<double>(offsets[i]));
    p.Set("pitch", f.planes[i].pitch);
    p.Set("rows", f.planes[i].rows);
    planes.Set(static_cast<uint32_t>(i), p);
  }
  const bool device = f.memory != cap::MemoryKind::kSystem;
  Napi::Value pointer = device ? Napi::BigInt::New(env, f.device_pointer).As<Napi::Value>() : env.Null();
  const auto ro = napi_enumerable;
  obj.DefineProperties({
      Napi::PropertyDescriptor::Value("width", Napi::Number::New(env, f.width), ro),
      Napi::PropertyDescriptor::Value("height", Napi::Number::New(env, f.height), ro),
      Napi::PropertyDescriptor::Value("format", Napi::String::New(env, cap::pixel_format_name(f.format)), ro),
      Napi::PropertyDescriptor::Value("memory", Napi::String::New(env, cap::memory_kind_name(f.memory)), ro),
      Napi::PropertyDescriptor::Value("fullRange", Napi::Boolean::New(env, f.full_range), ro),
      Napi::PropertyDescriptor::Value("pitch", Napi::Number::New(env, planes_n > 0 ? f.planes[0].pitch : 0), ro),
      Napi::PropertyDescriptor::Value("planes", planes, ro),
      Napi::PropertyDescriptor::Value("byteLength", Napi::Number::New(env, static_cast<double>(byte_length)), ro),
      Napi::PropertyDescriptor::Value("pts", Napi::Number::New(env, static_cast<double>(f.pts_ns)), ro),
      Napi::PropertyDescriptor::Value("sequence", Napi::Number::New(env, static_cast<double>(f.sequence)), ro),
      Napi::PropertyDescriptor::Value("data", data, ro),
      Napi::PropertyDescriptor::Value("devicePointer", pointer, ro),
  });
  return obj;
}

// ---- sources ------------------------------------------------------------------------------------

// Per-env constructors, freed by an env cleanup hook (after every source's own hook has run).
struct CaptureEnv {
  Napi::FunctionReference source_ctor;
  Napi::FunctionReference frame_ctor;
};

class CaptureSource : public Napi::ObjectWrap<CaptureSource> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CaptureSource",
                       {InstanceMethod<&CaptureSource::TakeFrame>("takeFrame"),
                        InstanceMethod<&CaptureSource::Stats>("stats"), InstanceMethod<&CaptureSource::Stop>("stop"),
                        InstanceMethod<&CaptureSource::Ref>("ref"), InstanceMethod<&CaptureSource::Unref>("unref"),
                        InstanceAccessor<&CaptureSource::GetStopped>("stopped")});
  }
  explicit CaptureSource(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CaptureSource>(info) {}

  ~CaptureSource() override {
    // Collected while running (its callback did not reference it), or at env teardown after the
    // cleanup hook already stopped it.
    if (hook_registered_) {
      napi_remove_env_cleanup_hook(env_, &CaptureSource::Cleanup, this);
      hook_registered_ = false;
    }
    shutdown_now();
  }

  static Napi::Value Open(const Napi::CallbackInfo& info);

 private:
  // Env teardown: stop synchronously, then let go of the thread-safe function.
  static void Cleanup(void* arg) {
    auto* self = static_cast<CaptureSource*>(arg);
    self->hook_registered_ = false;
    self->shutdown_now();
  }

  void shutdown_now() {
    if (channel_) channel_->stopped = true;
    if (source_) source_->stop();  // joins the capture thread: no listener call after this
    if (channel_) channel_->release();
  }

  Napi::Value TakeFrame(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!live() || channel_->stopped) throw coded_error(env, "ERR_DINO_DISPOSED", "the capture source was stopped");
    std::unique_ptr<cap::Frame> frame = call_with_coded_errors(env, cap::kErrSource, [&] { return source_->take(); });
    if (!frame) return env.Null();
    return CaptureFrame::Create(env, capture_env_->frame_ctor, std::move(frame));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const cap::Stats s = source_ ? source_->stats() : cap::Stats{};
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", static_cast<double>(s.received));
    o.Set("dropped", static_cast<double>(s.dropped));
    o.Set("delivered", static_cast<double>(s.delivered));
    o.Set("leased", s.leased);
    o.Set("queued", s.queued);
    return o;
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!live()) throw coded_error(env, "ERR_DINO_DISPOSED", "not an open capture source");
    if (!stop_promise_.IsEmpty()) return stop_promise_.Value();
    channel_->stopped = true;
    channel_->apply_ref(env);
    std::shared_ptr<cap::Source> source = source_;
    std::shared_ptr<Channel> channel = channel_;
    // The hook stays registered until the stop has completed: an env torn down meanwhile still
    // stops the source (stop() is idempotent and serialised).
    Napi::Promise promise = PromiseWorker<bool>::Start(
        env, "dinov3.capture.stop",
        [source] {
          source->stop();
          return true;
        },
        [channel, self = this](Napi::Env env, bool&, const Napi::Array&) -> Napi::Value {
          channel->release();
          if (self->hook_registered_) {
            napi_remove_env_cleanup_hook(env, &CaptureSource::Cleanup, self);
            self->hook_registered_ = false;
          }
          return env.Undefined();
        },
        {info.This()});  // keeps this object (hence `self`) alive until the promise settles
    stop_promise_ = Napi::Persistent(promise.As<Napi::Object>());
    return promise;
  }

  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (live()) {
      channel_->want_ref = true;
      channel_->apply_ref(info.Env());
    }
    return info.This();
  }
  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (live()) {
      channel_->want_ref = false;
      channel_->apply_ref(info.Env());
    }
    return info.This();
  }
  bool live() const { return source_ && channel_; }
  Napi::Value GetStopped(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), !channel_ || channel_->stopped);
  }

  napi_env env_ = nullptr;
  CaptureEnv* capture_env_ = nullptr;
  std::shared_ptr<cap::Source> source_;
  std::shared_ptr<Channel> channel_;
  Napi::ObjectReference stop_promise_;
  bool hook_registered_ = false;
};

cap::SourceOptions source_options(Napi::Env env, const Napi::Value& pipeline, const Napi::Value& value) {
  if (!pipeline.IsString()) throw_invalid(env, "pipeline must be a string (gst-launch syntax ending in an appsink)");
  cap::SourceOptions o;
  o.pipeline = pipeline.As<Napi::String>().Utf8Value();
  if (value.IsUndefined() || value.IsNull()) return o;
  if (!value.IsObject()) throw_invalid(env, "options must be an object");
  Napi::Object opts = value.As<Napi::Object>();
  if (opts.Has("appsinkName") && !opts.Get("appsinkName").IsUndefined()) {
    if (!opts.Get("appsinkName").IsString()) throw_invalid(env, "appsinkName must be a string");
    o.appsink_name = opts.Get("appsinkName").As<Napi::String>().Utf8Value();
  }
  o.queue_size = static_cast<int>(int_property(opts, "queueSize", o.queue_size, 1, 64));
  o.max_leases = static_cast<int>(int_property(opts, "maxLeases", o.max_leases, 1, 64));
  for (auto [key, field] : {std::pair<const char*, bool*>{"drop", &o.drop}, {"nvmm", &o.nvmm}}) {
    if (!opts.Has(key) || opts.Get(key).IsUndefined()) continue;
    if (!opts.Get(key).IsBoolean()) throw_invalid(env, std::string(key) + " must be a boolean");
    *field = opts.Get(key).As<Napi::Boolean>().Value();
  }
  return o;
}

Napi::Value CaptureSource::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* capture_env = static_cast<CaptureEnv*>(info.Data());
  const cap::SourceOptions options = source_options(env, info[0], info[1]);
  if (!info[2].IsFunction()) throw_invalid(env, "onEvent must be a function");
  cap::Module& module = capture_module(env);
  std::shared_ptr<cap::Source> source = call_with_coded_errors(env, cap::kErrSource, [&] { return module.open(options); });

  Napi::Object obj = capture_env->source_ctor.New({});
  CaptureSource* self = Unwrap(obj);
  self->env_ = env;
  self->capture_env_ = capture_env;
  self->source_ = source;
  auto channel = std::make_shared<Channel>();
  channel->tsfn = EventFunction::New(
      env, info[2].As<Napi::Function>(), "dinov3.capture.events", 0, 1, channel.get(),
      [](Napi::Env, std::shared_ptr<Channel>* held, Channel*) { delete held; }, new std::shared_ptr<Channel>(channel));
  self->channel_ = channel;
  napi_add_env_cleanup_hook(env, &CaptureSource::Cleanup, self);
  self->hook_registered_ = true;
  try {
    call_with_coded_errors(env, cap::kErrSource, [&] { source->start(std::make_shared<ChannelListener>(channel)); });
  } catch (...) {
    self->shutdown_now();
    throw;
  }
  return obj;
}

Napi::Value CaptureInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cap::Module* module = nullptr;
  try {
    module = &capture_module(env);
  } catch (const Napi::Error& e) {  // a rejected promise, not a synchronous throw
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  }
  struct Info {
    std::string version;
    bool nvmm = false;
  };
  return PromiseWorker<Info>::Start(
      env, "dinov3.capture.init",
      [module] { return Info{module->runtime_version(), module->nvmm_supported()}; },
      [](Napi::Env env, Info& r, const Napi::Array&) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("gstreamer", r.version);
        o.Set("nvmm", r.nvmm);
        return o;
      });
}

}  // namespace

void register_capture_ops(Napi::Env env, Napi::Object exports) {
  auto* capture_env = new CaptureEnv();
  capture_env->source_ctor = Napi::Persistent(CaptureSource::Define(env));
  capture_env->frame_ctor = Napi::Persistent(CaptureFrame::Define(env));
  napi_add_env_cleanup_hook(
      env, [](void* arg) { delete static_cast<CaptureEnv*>(arg); }, capture_env);
  exports.Set("captureInit", Napi::Function::New<CaptureInit>(env, "captureInit"));
  exports.Set("captureOpen", Napi::Function::New(env, &CaptureSource::Open, "captureOpen", capture_env));
}

}  // namespace dinov3::addon
