// A flag JavaScript can raise (AbortSignal -> token.cancel()) and a worker thread polls.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>

namespace dinov3::addon {

class CancelToken : public Napi::ObjectWrap<CancelToken> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit CancelToken(const Napi::CallbackInfo& info);

  std::shared_ptr<std::atomic<bool>> flag() const { return flag_; }

  // The flag of an optional CancelToken argument (a fresh, never-raised flag when absent).
  static std::shared_ptr<std::atomic<bool>> from(const Napi::Value& v);

 private:
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Cancelled(const Napi::CallbackInfo& info);
  std::shared_ptr<std::atomic<bool>> flag_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace dinov3::addon
