// The CUDA stream of the calling libuv worker thread, created on first use. libuv's pool
// threads live as long as the process, so each keeps one stream; operations on different
// workers overlap on the GPU, operations on one worker are ordered.
#pragma once
#include "../cuda/cuda_api.h"

namespace dinov3::addon {

inline cuda::Stream worker_stream() {
  thread_local cuda::Stream stream = cuda::create_stream();
  return stream;
}

}  // namespace dinov3::addon
