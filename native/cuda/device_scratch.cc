#include "device_scratch.h"

#include <mutex>
#include <string>
#include <vector>

#include "cuda_check.h"

namespace dinov3::cuda {
namespace {

bool pools_supported() {
  int device = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  static std::mutex mutex;
  static std::vector<int> known;  // per device: -1 unknown, 0 no, 1 yes
  std::lock_guard<std::mutex> lock(mutex);
  if (static_cast<int>(known.size()) <= device) known.resize(device + 1, -1);
  if (known[device] < 0) {
    int value = 0;
    if (cudaDeviceGetAttribute(&value, cudaDevAttrMemoryPoolsSupported, device) != cudaSuccess) {
      (void)cudaGetLastError();
      value = 0;
    }
    known[device] = value != 0 ? 1 : 0;
  }
  return known[device] == 1;
}

}  // namespace

StreamScratch::StreamScratch(size_t bytes, cudaStream_t stream) : stream_(stream) {
  if (bytes == 0) return;
  pooled_ = pools_supported();
  if (pooled_) {
    check_cuda(cudaMallocAsync(&ptr_, bytes, stream), "cudaMallocAsync");
  } else {
    check_cuda(cudaMalloc(&ptr_, bytes), "cudaMalloc");
  }
}

StreamScratch::~StreamScratch() {
  if (ptr_ == nullptr) return;
  if (pooled_) {
    cudaFreeAsync(ptr_, stream_);
  } else {
    cudaStreamSynchronize(stream_);
    cudaFree(ptr_);
  }
}

}  // namespace dinov3::cuda
