// Each file of the addon registers its functions on the exports object.
#pragma once
#include <napi.h>

namespace dinov3::addon {

void register_image_ops(Napi::Env env, Napi::Object exports);
void register_analysis_ops(Napi::Env env, Napi::Object exports);
void register_correspondence_ops(Napi::Env env, Napi::Object exports);
void register_render_ops(Napi::Env env, Napi::Object exports);
void register_capabilities(Napi::Env env, Napi::Object exports);
void register_cuda_ops(Napi::Env env, Napi::Object exports);
void register_tensorrt_ops(Napi::Env env, Napi::Object exports);  // tensorrt_ops.cc or tensorrt_unavailable.cc
void register_capture_ops(Napi::Env env, Napi::Object exports);    // capture_ops.cc or capture_unavailable.cc

}  // namespace dinov3::addon
