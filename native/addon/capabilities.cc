// capabilities(): what this build contains and what this machine offers.
#include <napi.h>

#include <thread>

#include "../core/parallel.h"
#include "../core/resize_kernels.h"
#include "ops.h"
#include "plugins.h"
#ifdef DINOV3_WITH_CUDA
#include "../cuda/cuda_api.h"
#endif

namespace dinov3::addon {
namespace {

Napi::Object cuda_info(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array devices = Napi::Array::New(env);
#ifdef DINOV3_WITH_CUDA
  o.Set("compiled", true);
  const cuda::RuntimeInfo rt = cuda::runtime_info();
  o.Set("available", rt.available);
  if (!rt.available) o.Set("reason", rt.reason);
  o.Set("runtimeVersion", rt.runtime_version);
  o.Set("driverVersion", rt.driver_version);
  for (size_t i = 0; i < rt.devices.size(); ++i) {
    const auto& d = rt.devices[i];
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("index", d.index);
    dev.Set("name", d.name);
    dev.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    dev.Set("totalMemory", static_cast<double>(d.total_memory));
    dev.Set("multiprocessors", d.multiprocessors);
    dev.Set("integrated", d.integrated);
    devices.Set(static_cast<uint32_t>(i), dev);
  }
#else
  o.Set("compiled", false);
  o.Set("available", false);
  o.Set("reason", "this build of the addon has no CUDA kernels (built without nvcc)");
#endif
  o.Set("devices", devices);
  return o;
}

Napi::Object plugin_info(Napi::Env env, const PluginStatus& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("compiled", s.present);
  o.Set("available", s.loaded);
  if (!s.version.empty()) o.Set("version", s.version);
  if (!s.reason.empty()) o.Set("reason", s.reason);
  return o;
}

// The resize/preprocess kernel in use and the ones this CPU can run.
Napi::Object preprocess_info(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("kernel", resize_kernel_name(selected_resize_kernel()));
  Napi::Array kernels = Napi::Array::New(env);
  uint32_t i = 0;
  for (ResizeKernel k : supported_resize_kernels()) kernels.Set(i++, resize_kernel_name(k));
  o.Set("kernels", kernels);
  return o;
}

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("cuda", cuda_info(env));
  o.Set("tensorrt", plugin_info(env, tensorrt_status()));
  o.Set("capture", plugin_info(env, capture_status()));
  o.Set("threads", thread_count());
  o.Set("preprocess", preprocess_info(env));
  return o;
}

}  // namespace

void register_capabilities(Napi::Env env, Napi::Object exports) {
  exports.Set("capabilities", Napi::Function::New<Capabilities>(env, "capabilities"));
}

}  // namespace dinov3::addon
