// Copies C++ vectors into new JS typed arrays.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace dinov3::addon {

inline Napi::Float32Array to_float32(Napi::Env env, const std::vector<float>& v) {
  auto a = Napi::Float32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

inline Napi::Int32Array to_int32(Napi::Env env, const std::vector<int32_t>& v) {
  auto a = Napi::Int32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

inline Napi::Uint8Array to_uint8(Napi::Env env, const std::vector<uint8_t>& v) {
  auto a = Napi::Uint8Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

inline Napi::Float64Array to_float64(Napi::Env env, const std::vector<double>& v) {
  auto a = Napi::Float64Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

}  // namespace dinov3::addon
