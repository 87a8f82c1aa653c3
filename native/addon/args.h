// Argument conversion for the binding functions: typed arrays, strided matrix views and
// option objects, each checked and converted in one place.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "../core/matrix_view.h"

namespace dinov3::addon {

// A typed array's bytes, valid while the JS object is referenced.
template <typename T>
struct ArrayArg {
  T* data = nullptr;
  size_t length = 0;
  Napi::Value value;
};

template <typename T>
ArrayArg<T> typed_array_arg(const Napi::Value& v, napi_typedarray_type type, const char* name);

ArrayArg<float> float32_arg(const Napi::Value& v, const char* name);
ArrayArg<uint8_t> uint8_arg(const Napi::Value& v, const char* name);
ArrayArg<uint16_t> uint16_arg(const Napi::Value& v, const char* name);
ArrayArg<int32_t> int32_arg(const Napi::Value& v, const char* name);

// { data: Float32Array, offset, rows, dim, stride } -> MatrixView, bounds-checked against the
// array length.
struct ViewArg {
  MatrixView view;
  Napi::Value keep_alive;
};
ViewArg matrix_view_arg(const Napi::Value& v, const char* name);

int64_t int_property(const Napi::Object& o, const char* key, int64_t fallback, int64_t min, int64_t max);
double number_property(const Napi::Object& o, const char* key, double fallback);
int64_t int_arg(const Napi::Value& v, const char* name, int64_t min, int64_t max);
// The options object of `function` (a plain object, not an array or typed array), or a coded error.
Napi::Object options_arg(const Napi::Value& v, const char* function);

}  // namespace dinov3::addon
