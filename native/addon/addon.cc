// Module initialisation only: privacy defaults first, then every file registers its own functions.
#include <napi.h>

#include "addon_data.h"
#include "cancel_token.h"
#include "ops.h"
#include "privacy.h"

namespace dinov3::addon {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  apply_privacy_defaults();
  env.SetInstanceData(new AddonData());
  exports.Set("version", Napi::String::New(env, DINOV3_VERSION));
  exports.Set("CancelToken", CancelToken::Define(env));
  register_capabilities(env, exports);
  register_image_ops(env, exports);
  register_analysis_ops(env, exports);
  register_correspondence_ops(env, exports);
  register_render_ops(env, exports);
  register_cuda_ops(env, exports);
  register_tensorrt_ops(env, exports);
  register_capture_ops(env, exports);
  return exports;
}

}  // namespace dinov3::addon

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return dinov3::addon::Init(env, exports); }

NODE_API_MODULE(dinov3, InitAddon)
