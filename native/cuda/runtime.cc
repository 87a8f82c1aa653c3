// Runtime queries, device memory, streams and copies. Plain host C++ over the CUDA runtime
// (linked statically, so this loads on machines without a driver and reports why).
#include <mutex>
#include <string>
#include <utility>

#include "../core/error.h"
#include "cuda_api.h"
#include "cuda_check.h"

namespace dinov3::cuda {
namespace {

RuntimeInfo query_runtime() {
  RuntimeInfo info;
  cudaRuntimeGetVersion(&info.runtime_version);
  cudaDriverGetVersion(&info.driver_version);  // 0 when no driver is installed
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    info.reason = std::string(cudaGetErrorString(err)) + " (" + cudaGetErrorName(err) + ")";
    return info;
  }
  if (count == 0) {
    info.reason = "no CUDA device found";
    return info;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
      (void)cudaGetLastError();
      continue;
    }
    DeviceInfo d;
    d.index = i;
    d.name = prop.name;
    d.major = prop.major;
    d.minor = prop.minor;
    d.total_memory = prop.totalGlobalMem;
    d.multiprocessors = prop.multiProcessorCount;
    d.integrated = prop.integrated != 0;
    info.devices.push_back(std::move(d));
  }
  info.available = !info.devices.empty();
  if (!info.available) info.reason = "no CUDA device could be queried";
  return info;
}

// Drivers and devices do not come and go during a process's life (as far as the runtime is
// concerned), so the first answer is kept: require_device() is called on every entry point.
const RuntimeInfo& cached_runtime() {
  static const RuntimeInfo info = query_runtime();
  return info;
}

}  // namespace

RuntimeInfo runtime_info() {
  try {
    return cached_runtime();
  } catch (...) {  // std::bad_alloc while copying strings: still never throw
    RuntimeInfo info;
    info.reason = "runtime query failed";
    return info;
  }
}

void require_device() {
  const RuntimeInfo& info = cached_runtime();
  require(info.available, codes::kCudaUnavailable, "no usable CUDA device: " + info.reason);
}

DeviceBuffer::DeviceBuffer(size_t bytes) {
  if (bytes == 0) return;
  require_device();
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, bytes);  // cudaMalloc aligns to at least 256 bytes
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    fail(error_code_for(err), "cudaMalloc of " + std::to_string(bytes) + " bytes failed: " + cudaGetErrorString(err));
  }
  ptr_ = p;
  bytes_ = bytes;
}

DeviceBuffer::~DeviceBuffer() { reset(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (ptr_ != nullptr) cudaFree(ptr_);  // errors here (a dead context) cannot be acted on
  ptr_ = nullptr;
  bytes_ = 0;
}

Stream create_stream() {
  require_device();
  cudaStream_t s = nullptr;
  check_cuda(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  return s;
}

void destroy_stream(Stream stream) {
  if (stream != nullptr) cudaStreamDestroy(static_cast<cudaStream_t>(stream));
}

void synchronize(Stream stream) {
  check_cuda(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "cudaStreamSynchronize");
}

void copy_to_device(void* dst, const void* src, size_t bytes, Stream stream) {
  if (bytes == 0) return;
  require(dst != nullptr && src != nullptr, codes::kInvalidArgument, "copy_to_device: null pointer");
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, static_cast<cudaStream_t>(stream)),
             "cudaMemcpyAsync (host to device)");
}

void copy_to_host(void* dst, const void* src, size_t bytes, Stream stream) {
  if (bytes == 0) return;
  require(dst != nullptr && src != nullptr, codes::kInvalidArgument, "copy_to_host: null pointer");
  const auto s = static_cast<cudaStream_t>(stream);
  check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync (device to host)");
  check_cuda(cudaStreamSynchronize(s), "cudaStreamSynchronize");
}

}  // namespace dinov3::cuda
