// Temporary device memory for one operation, ordered on the operation's stream.
//
// Allocated with cudaMallocAsync and released with cudaFreeAsync on the same stream, so it lives
// exactly as long as the queued work needs it, without any device synchronisation, and the
// runtime's memory pool makes repeated calls nearly free. Devices without memory-pool support
// (cudaDevAttrMemoryPoolsSupported = 0, e.g. some older Jetson drivers) fall back to cudaMalloc,
// and the release then waits for the stream first.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace dinov3::cuda {

// Lays out several arrays in one allocation, each 256-byte aligned.
class ScratchLayout {
 public:
  template <typename T>
  size_t add(size_t count) {
    const size_t offset = bytes_;
    bytes_ += (count * sizeof(T) + 255) / 256 * 256;
    return offset;
  }
  size_t bytes() const { return bytes_; }

 private:
  size_t bytes_ = 0;
};

class StreamScratch {
 public:
  StreamScratch(size_t bytes, cudaStream_t stream);  // throws ERR_DINO_CUDA_OOM / ERR_DINO_CUDA
  ~StreamScratch();
  StreamScratch(const StreamScratch&) = delete;
  StreamScratch& operator=(const StreamScratch&) = delete;

  template <typename T>
  T* at(size_t offset) const {
    return reinterpret_cast<T*>(static_cast<char*>(ptr_) + offset);
  }
  void* data() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
  cudaStream_t stream_ = nullptr;
  bool pooled_ = false;
};

}  // namespace dinov3::cuda
