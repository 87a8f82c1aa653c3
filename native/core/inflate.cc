#include "inflate.h"

#include <dlfcn.h>

#include <memory>

namespace dinov3 {
namespace {

// The four libdeflate entry points used, declared as libdeflate.h (stable ABI since 1.0) does.
struct Decompressor;
using AllocFn = Decompressor* (*)();
using FreeFn = void (*)(Decompressor*);
using ZlibDecompressFn = int (*)(Decompressor*, const void*, size_t, void*, size_t, size_t*);
using Crc32Fn = uint32_t (*)(uint32_t, const void*, size_t);

struct Library {
  AllocFn alloc = nullptr;
  FreeFn free = nullptr;
  ZlibDecompressFn zlib_decompress = nullptr;
  Crc32Fn crc32 = nullptr;
  std::string status;

  Library() {
    void* handle = dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      status = why ? why : "libdeflate.so.0 not found";
      return;
    }
    alloc = reinterpret_cast<AllocFn>(dlsym(handle, "libdeflate_alloc_decompressor"));
    free = reinterpret_cast<FreeFn>(dlsym(handle, "libdeflate_free_decompressor"));
    zlib_decompress = reinterpret_cast<ZlibDecompressFn>(dlsym(handle, "libdeflate_zlib_decompress"));
    crc32 = reinterpret_cast<Crc32Fn>(dlsym(handle, "libdeflate_crc32"));
    if (!alloc || !free || !zlib_decompress || !crc32) {
      alloc = nullptr;
      status = "libdeflate.so.0 lacks an expected function";
      return;
    }
    status = "libdeflate.so.0";
  }
  bool ok() const { return alloc != nullptr; }
};

const Library& library() {
  static const Library lib;  // handle kept for the life of the process
  return lib;
}

// One decompressor per thread (libdeflate's are not shared between threads).
Decompressor* thread_decompressor() {
  struct Deleter {
    void operator()(Decompressor* d) const { library().free(d); }
  };
  thread_local std::unique_ptr<Decompressor, Deleter> d(library().alloc());
  return d.get();
}

}  // namespace

bool fast_inflate_available() { return library().ok(); }

std::string fast_inflate_status() { return library().status; }

bool zlib_inflate_exact(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  if (!fast_inflate_available()) return false;
  Decompressor* d = thread_decompressor();
  if (d == nullptr) return false;
  size_t produced = 0;
  // 0 = LIBDEFLATE_SUCCESS; `produced` < out_size means a short stream (a damaged file).
  return library().zlib_decompress(d, in, in_size, out, out_size, &produced) == 0 && produced == out_size;
}

uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size) { return library().crc32(crc, data, size); }

}  // namespace dinov3
