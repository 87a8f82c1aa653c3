// Per-environment state of the addon (one per main thread or worker thread that loads it).
#pragma once
#include <napi.h>

namespace dinov3::addon {

struct AddonData {
  Napi::FunctionReference cancel_token;
  Napi::FunctionReference device_tensor;

  static AddonData& of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

}  // namespace dinov3::addon
