#include "cancel_token.h"

#include "addon_data.h"
#include "errors.h"

namespace dinov3::addon {

Napi::Function CancelToken::Define(Napi::Env env) {
  Napi::Function ctor = DefineClass(env, "CancelToken",
                                    {InstanceMethod<&CancelToken::Cancel>("cancel"),
                                     InstanceAccessor<&CancelToken::Cancelled>("cancelled")});
  AddonData::of(env).cancel_token = Napi::Persistent(ctor);
  return ctor;
}

CancelToken::CancelToken(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CancelToken>(info) {}

Napi::Value CancelToken::Cancel(const Napi::CallbackInfo& info) {
  flag_->store(true);
  return info.Env().Undefined();
}

Napi::Value CancelToken::Cancelled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), flag_->load());
}

std::shared_ptr<std::atomic<bool>> CancelToken::from(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return std::make_shared<std::atomic<bool>>(false);
  Napi::Env env = v.Env();
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(AddonData::of(env).cancel_token.Value())) {
    throw_invalid(env, "cancel must be a CancelToken");
  }
  return Unwrap(v.As<Napi::Object>())->flag();
}

}  // namespace dinov3::addon
