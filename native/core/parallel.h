// A small process-wide thread pool and a deterministic parallel_for.
//
// Work [0, count) is cut into fixed chunks of `grain` items. Chunks are handed to whichever
// thread is free, but each chunk always covers the same range and has the same index, so a
// kernel that writes per-chunk partial results and reduces them in chunk order gets the same
// answer whatever the number of threads. The calling thread works too; several callers (one
// per libuv worker) may use the pool at once.
#pragma once
#include <cstdint>
#include <functional>

namespace dinov3 {

using ChunkFn = std::function<void(int64_t begin, int64_t end, int64_t chunk)>;

// Number of chunks parallel_for(count, grain, ...) will make.
inline int64_t chunk_count(int64_t count, int64_t grain) {
  return count <= 0 ? 0 : (count + grain - 1) / grain;
}

// Runs fn over every chunk; returns when all chunks are done. Exceptions thrown by fn are
// rethrown on the calling thread (the first one wins).
void parallel_for(int64_t count, int64_t grain, const ChunkFn& fn);

// Threads the pool uses including the caller: DINOV3_NUM_THREADS if set, else the hardware
// concurrency.
int thread_count();

}  // namespace dinov3
