#include "device_tensor.h"

#include <limits>

#include "addon_data.h"
#include "args.h"
#include "errors.h"
#include "promise_worker.h"
#include "worker_stream.h"

namespace dinov3::addon {

size_t dtype_size(TensorDType t) {
  switch (t) {
    case TensorDType::kFloat32:
    case TensorDType::kInt32:
      return 4;
    case TensorDType::kFloat16:
      return 2;
    case TensorDType::kUint8:
      return 1;
  }
  return 0;
}

const char* dtype_name(TensorDType t) {
  switch (t) {
    case TensorDType::kFloat32:
      return "float32";
    case TensorDType::kFloat16:
      return "float16";
    case TensorDType::kUint8:
      return "uint8";
    case TensorDType::kInt32:
      return "int32";
  }
  return "?";
}

namespace {

TensorDType dtype_arg(const Napi::Value& v) {
  const std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "float32") return TensorDType::kFloat32;
  if (s == "float16") return TensorDType::kFloat16;
  if (s == "uint8") return TensorDType::kUint8;
  if (s == "int32") return TensorDType::kInt32;
  throw_invalid(v.Env(), "dtype must be 'float32', 'float16', 'uint8' or 'int32'");
}

std::vector<int64_t> shape_arg(const Napi::Value& v) {
  if (!v.IsArray()) throw_invalid(v.Env(), "shape must be an array of positive integers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < a.Length(); ++i) shape.push_back(int_arg(a.Get(i), "shape[i]", 1, int64_t{1} << 40));
  if (shape.empty()) throw_invalid(v.Env(), "shape must not be empty");
  return shape;
}

int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

napi_typedarray_type js_array_type(TensorDType t) {
  switch (t) {
    case TensorDType::kFloat32:
      return napi_float32_array;
    case TensorDType::kFloat16:
      return napi_uint16_array;
    case TensorDType::kUint8:
      return napi_uint8_array;
    case TensorDType::kInt32:
      return napi_int32_array;
  }
  return napi_uint8_array;
}

}  // namespace

Napi::Function DeviceTensor::Define(Napi::Env env) {
  Napi::Function ctor = DefineClass(
      env, "DeviceTensor",
      {StaticMethod<&DeviceTensor::Allocate>("allocate"), StaticMethod<&DeviceTensor::FromPointer>("fromPointer"),
       InstanceMethod<&DeviceTensor::Upload>("upload"), InstanceMethod<&DeviceTensor::Download>("download"),
       InstanceMethod<&DeviceTensor::Dispose>("dispose"), InstanceAccessor<&DeviceTensor::GetShape>("shape"),
       InstanceAccessor<&DeviceTensor::GetDType>("dtype"),
       InstanceAccessor<&DeviceTensor::GetByteLength>("byteLength"),
       InstanceAccessor<&DeviceTensor::GetDisposed>("disposed"),
       InstanceAccessor<&DeviceTensor::GetPointer>("pointer")});
  AddonData::of(env).device_tensor = Napi::Persistent(ctor);
  return ctor;
}

DeviceTensor::DeviceTensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceTensor>(info) {}

int64_t DeviceTensor::elements() const { return product(shape_); }

Napi::Object DeviceTensor::Wrap(Napi::Env env, std::shared_ptr<DeviceStorage> storage, TensorDType dtype,
                                std::vector<int64_t> shape) {
  Napi::Object obj = AddonData::of(env).device_tensor.New({});
  DeviceTensor* t = Unwrap(obj);
  t->storage_ = std::move(storage);
  t->dtype_ = dtype;
  t->shape_ = std::move(shape);
  return obj;
}

DeviceTensor* DeviceTensor::From(const Napi::Value& v, const char* name) {
  Napi::Env env = v.Env();
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(AddonData::of(env).device_tensor.Value())) {
    throw_invalid(env, std::string(name) + " must be a DeviceTensor");
  }
  DeviceTensor* t = Unwrap(v.As<Napi::Object>());
  if (!t->storage_) throw coded_error(env, "ERR_DINO_DISPOSED", std::string(name) + " has been disposed");
  return t;
}

Napi::Value DeviceTensor::Allocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> shape = shape_arg(info[0]);
  const TensorDType dtype = dtype_arg(info[1]);
  auto storage = std::make_shared<DeviceStorage>();
  call_with_coded_errors(env, codes::kCuda, [&] {
    cuda::require_device();
    storage->owned = cuda::DeviceBuffer(static_cast<size_t>(product(shape)) * dtype_size(dtype));
  });
  storage->ptr = storage->owned.data();
  storage->bytes = storage->owned.bytes();
  return Wrap(env, std::move(storage), dtype, std::move(shape));
}

Napi::Value DeviceTensor::FromPointer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBigInt()) throw_invalid(env, "pointer must be a bigint device address");
  bool lossless = false;
  const uint64_t address = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless || address == 0) throw_invalid(env, "pointer must be a non-zero 64-bit device address");
  std::vector<int64_t> shape = shape_arg(info[1]);
  const TensorDType dtype = dtype_arg(info[2]);
  auto storage = std::make_shared<DeviceStorage>();
  storage->ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(address));
  storage->bytes = static_cast<size_t>(product(shape)) * dtype_size(dtype);
  return Wrap(env, std::move(storage), dtype, std::move(shape));
}

Napi::Value DeviceTensor::Upload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceTensor* self = From(Value(), "tensor");
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != js_array_type(dtype_)) {
    throw_invalid(env, std::string("upload expects the typed array of a ") + dtype_name(dtype_) + " tensor");
  }
  auto array = info[0].As<Napi::TypedArray>();
  if (array.ByteLength() != storage_->bytes) {
    throw_invalid(env, "upload needs exactly " + std::to_string(storage_->bytes) + " bytes, got " +
                           std::to_string(array.ByteLength()));
  }
  const uint8_t* src = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  auto storage = self->storage_;
  return PromiseWorker<bool>::Start(
      env, "dinov3.DeviceTensor.upload",
      [=] {
        cuda::Stream s = worker_stream();
        cuda::copy_to_device(storage->ptr, src, storage->bytes, s);
        cuda::synchronize(s);
        return true;
      },
      [](Napi::Env e, bool&, const Napi::Array&) { return e.Undefined(); }, {info[0], Value()});
}

Napi::Value DeviceTensor::Download(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceTensor* self = From(Value(), "tensor");
  Napi::TypedArray out;
  const size_t n = static_cast<size_t>(self->elements());
  switch (dtype_) {
    case TensorDType::kFloat32:
      out = Napi::Float32Array::New(env, n);
      break;
    case TensorDType::kFloat16:
      out = Napi::Uint16Array::New(env, n);
      break;
    case TensorDType::kUint8:
      out = Napi::Uint8Array::New(env, n);
      break;
    case TensorDType::kInt32:
      out = Napi::Int32Array::New(env, n);
      break;
  }
  uint8_t* dst = static_cast<uint8_t*>(out.ArrayBuffer().Data()) + out.ByteOffset();
  auto storage = self->storage_;
  return PromiseWorker<bool>::Start(
      env, "dinov3.DeviceTensor.download",
      [=] {
        cuda::copy_to_host(dst, storage->ptr, storage->bytes, worker_stream());
        return true;
      },
      [](Napi::Env, bool&, const Napi::Array& held) { return held.Get(0u); }, {out, Value()});
}

Napi::Value DeviceTensor::Dispose(const Napi::CallbackInfo& info) {
  storage_.reset();  // work in flight holds its own reference; the memory goes with the last one
  return info.Env().Undefined();
}

Napi::Value DeviceTensor::GetShape(const Napi::CallbackInfo& info) {
  Napi::Array a = Napi::Array::New(info.Env(), shape_.size());
  for (size_t i = 0; i < shape_.size(); ++i) a.Set(static_cast<uint32_t>(i), static_cast<double>(shape_[i]));
  return a;
}

Napi::Value DeviceTensor::GetDType(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), dtype_name(dtype_));
}

Napi::Value DeviceTensor::GetByteLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), storage_ ? static_cast<double>(storage_->bytes) : 0.0);
}

Napi::Value DeviceTensor::GetDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !storage_);
}

Napi::Value DeviceTensor::GetPointer(const Napi::CallbackInfo& info) {
  if (!storage_) throw coded_error(info.Env(), "ERR_DINO_DISPOSED", "tensor has been disposed");
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(storage_->ptr)));
}

}  // namespace dinov3::addon
