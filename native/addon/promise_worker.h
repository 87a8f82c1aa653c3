// Runs a job on a libuv worker thread and settles a Promise with its result.
//
// `work` runs off the main thread and must not touch N-API; it returns a plain C++ value.
// `convert` runs on the main thread and turns that value into JS (never capture a Napi::Value
// in either lambda: handles die with the call's scope; pass them through keep_alive instead). Any dinov3::Error thrown by
// `work` rejects the promise with a coded JS Error. JS values the job reads (typed arrays) are
// kept alive through `keep_alive` until the promise settles.
#pragma once
#include <napi.h>

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../core/error.h"
#include "errors.h"

namespace dinov3::addon {

template <typename Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result()>;
  // `held` is the keep_alive list, so convert can return one of those values.
  using Convert = std::function<Napi::Value(Napi::Env, Result&, const Napi::Array& held)>;

  static Napi::Promise Start(Napi::Env env, const char* name, Work work, Convert convert,
                             const std::vector<Napi::Value>& keep_alive = {}) {
    auto* worker = new PromiseWorker(env, name, std::move(work), std::move(convert));
    Napi::Array held = Napi::Array::New(env, keep_alive.size());
    for (size_t i = 0; i < keep_alive.size(); ++i) held.Set(static_cast<uint32_t>(i), keep_alive[i]);
    worker->keep_alive_ = Napi::Persistent(held.As<Napi::Object>());
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      result_.emplace(work_());
    } catch (...) {
      const ErrorInfo e = current_exception_info(codes::kInternal);
      fail(e.code, e.message);
    }
  }

  // Replaces AsyncWorker's completion so that nothing can throw out of it: when a worker thread
  // is terminated or the process exits with work in flight, N-API calls fail at this point and
  // node-addon-api would turn that into an uncaught C++ exception (std::terminate). Then there
  // is nobody left to tell, so the promise is simply dropped.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    if (status != napi_cancelled) {
      try {
        Napi::HandleScope scope(env);
        if (failed_) {
          deferred_.Reject(coded_error(env, code_, message_).Value());
        } else {
          Napi::Value value;
          try {
            value = convert_(env, *result_, keep_alive_.Value().As<Napi::Array>());
          } catch (const Napi::Error& e) {
            deferred_.Reject(e.Value());
            value = Napi::Value();
          }
          if (!value.IsEmpty()) deferred_.Resolve(value);
        }
      } catch (...) {
        // The environment is shutting down.
      }
    }
    Destroy();
  }

 private:
  void fail(const std::string& code, const std::string& message) {
    failed_ = true;
    code_ = code;
    message_ = message;
  }

  PromiseWorker(Napi::Env env, const char* name, Work work, Convert convert)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        convert_(std::move(convert)) {}

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_alive_;
  Work work_;
  Convert convert_;
  std::optional<Result> result_;
  bool failed_ = false;
  std::string code_ = codes::kInternal;
  std::string message_;
};

}  // namespace dinov3::addon
