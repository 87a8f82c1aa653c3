#include "inflate.h"

#include <memory>

#include "system_library.h"

namespace dinov3 {
namespace {

// The four libdeflate entry points used, declared as libdeflate.h (stable ABI since 1.0) does.
struct Decompressor;
using AllocFn = Decompressor* (*)();
using FreeFn = void (*)(Decompressor*);
using ZlibDecompressFn = int (*)(Decompressor*, const void*, size_t, void*, size_t, size_t*);
using Crc32Fn = uint32_t (*)(uint32_t, const void*, size_t);

struct Library {
  SystemLibrary lib{"libdeflate.so.0"};
  AllocFn alloc = lib.function<AllocFn>("libdeflate_alloc_decompressor");
  FreeFn free = lib.function<FreeFn>("libdeflate_free_decompressor");
  ZlibDecompressFn zlib_decompress = lib.function<ZlibDecompressFn>("libdeflate_zlib_decompress");
  Crc32Fn crc32 = lib.function<Crc32Fn>("libdeflate_crc32");
};

const Library& library() {
  static const Library lib;  // opened once, kept for the life of the process
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

bool fast_inflate_available() { return library().lib.ok(); }

std::string fast_inflate_status() { return library().lib.status(); }

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
