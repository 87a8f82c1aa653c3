// DeviceTensor: a JS object owning (or borrowing) CUDA device memory with a dtype and a shape.
// Async operations hold a shared reference to the buffer, so dispose() while work is in flight
// frees the memory only when that work has finished.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../cuda/cuda_api.h"

namespace dinov3::addon {

enum class TensorDType : int { kFloat32 = 0, kFloat16 = 1, kUint8 = 2, kInt32 = 3 };

size_t dtype_size(TensorDType t);
const char* dtype_name(TensorDType t);

// Device memory behind a tensor. Owned memory is freed with the last reference; borrowed memory
// (a user's device pointer) is never freed by us.
struct DeviceStorage {
  cuda::DeviceBuffer owned;  // empty when borrowed
  void* ptr = nullptr;
  size_t bytes = 0;
};

class DeviceTensor : public Napi::ObjectWrap<DeviceTensor> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit DeviceTensor(const Napi::CallbackInfo& info);

  // Creates a JS DeviceTensor owning `storage`.
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<DeviceStorage> storage, TensorDType dtype,
                           std::vector<int64_t> shape);
  // Unwraps a JS value; throws ERR_DINO_INVALID_ARGUMENT / ERR_DINO_DISPOSED.
  static DeviceTensor* From(const Napi::Value& v, const char* name);

  std::shared_ptr<DeviceStorage> storage() const { return storage_; }
  TensorDType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t elements() const;

 private:
  static Napi::Value Allocate(const Napi::CallbackInfo& info);      // (shape, dtype)
  static Napi::Value FromPointer(const Napi::CallbackInfo& info);   // (bigint, shape, dtype): borrowed
  Napi::Value Upload(const Napi::CallbackInfo& info);               // (typed array) -> Promise
  Napi::Value Download(const Napi::CallbackInfo& info);             // () -> Promise<typed array>
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetShape(const Napi::CallbackInfo& info);
  Napi::Value GetDType(const Napi::CallbackInfo& info);
  Napi::Value GetByteLength(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  Napi::Value GetPointer(const Napi::CallbackInfo& info);

  std::shared_ptr<DeviceStorage> storage_;
  TensorDType dtype_ = TensorDType::kFloat32;
  std::vector<int64_t> shape_;
};

}  // namespace dinov3::addon
