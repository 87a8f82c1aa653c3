#include "args.h"

#include <cmath>
#include <limits>

#include "errors.h"

namespace dinov3::addon {

template <typename T>
ArrayArg<T> typed_array_arg(const Napi::Value& v, napi_typedarray_type type, const char* name) {
  Napi::Env env = v.Env();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw_invalid(env, std::string(name) + " must be a typed array of the expected element type");
  }
  auto array = v.As<Napi::TypedArrayOf<T>>();
  return ArrayArg<T>{array.Data(), array.ElementLength(), v};
}

template ArrayArg<float> typed_array_arg<float>(const Napi::Value&, napi_typedarray_type, const char*);

ArrayArg<float> float32_arg(const Napi::Value& v, const char* name) {
  return typed_array_arg<float>(v, napi_float32_array, name);
}
ArrayArg<uint8_t> uint8_arg(const Napi::Value& v, const char* name) {
  Napi::Env env = v.Env();
  if (!v.IsTypedArray()) throw_invalid(env, std::string(name) + " must be a Uint8Array or Buffer");
  const auto t = v.As<Napi::TypedArray>().TypedArrayType();
  if (t != napi_uint8_array && t != napi_uint8_clamped_array) {
    throw_invalid(env, std::string(name) + " must be a Uint8Array or Buffer");
  }
  auto array = v.As<Napi::TypedArray>();
  auto* base = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  return ArrayArg<uint8_t>{base, array.ByteLength(), v};
}
ArrayArg<uint16_t> uint16_arg(const Napi::Value& v, const char* name) {
  return typed_array_arg<uint16_t>(v, napi_uint16_array, name);
}
ArrayArg<int32_t> int32_arg(const Napi::Value& v, const char* name) {
  return typed_array_arg<int32_t>(v, napi_int32_array, name);
}

int64_t int_arg(const Napi::Value& v, const char* name, int64_t min, int64_t max) {
  Napi::Env env = v.Env();
  if (!v.IsNumber()) throw_invalid(env, std::string(name) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    throw_invalid(env, std::string(name) + " must be an integer in [" + std::to_string(min) + ", " +
                           std::to_string(max) + "], got " + std::to_string(d));
  }
  return static_cast<int64_t>(d);
}

int64_t int_property(const Napi::Object& o, const char* key, int64_t fallback, int64_t min, int64_t max) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  return int_arg(o.Get(key), key, min, max);
}

Napi::Object options_arg(const Napi::Value& v, const char* function) {
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray() || v.IsArrayBuffer() || v.IsFunction()) {
    throw_invalid(v.Env(), std::string(function) + " takes one options object");
  }
  return v.As<Napi::Object>();
}

double number_property(const Napi::Object& o, const char* key, double fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_invalid(o.Env(), std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

ViewArg matrix_view_arg(const Napi::Value& v, const char* name) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) throw_invalid(env, std::string(name) + " must be a matrix view object");
  Napi::Object o = v.As<Napi::Object>();
  auto data = float32_arg(o.Get("data"), "view.data");
  const int64_t kMax = std::numeric_limits<int32_t>::max();
  const int64_t offset = int_property(o, "offset", 0, 0, kMax);
  const int64_t rows = int_property(o, "rows", -1, 1, kMax);
  const int64_t dim = int_property(o, "dim", -1, 1, kMax);
  const int64_t stride = int_property(o, "stride", dim, dim, kMax);
  if (rows < 0 || dim < 0) throw_invalid(env, std::string(name) + " needs rows and dim");
  const int64_t needed = offset + (rows - 1) * stride + dim;
  if (needed > static_cast<int64_t>(data.length)) {
    throw_invalid(env, std::string(name) + ": a view of " + std::to_string(rows) + "x" + std::to_string(dim) +
                           " (stride " + std::to_string(stride) + ", offset " + std::to_string(offset) +
                           ") needs " + std::to_string(needed) + " floats but the array holds " +
                           std::to_string(data.length));
  }
  return ViewArg{MatrixView{data.data + offset, rows, dim, stride}, data.value};
}

}  // namespace dinov3::addon
