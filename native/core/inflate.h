// zlib streams inflated by libdeflate, loaded at run time (dlopen "libdeflate.so.0") where the
// system has it: about twice as fast as zlib on photo-sized PNG data (docs/BENCHMARKS.md), and no
// build-time dependency. Without it the functions say so and callers use their general path.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace dinov3 {

// True when libdeflate was found (looked up once per process).
bool fast_inflate_available();

// What was loaded ("libdeflate.so.0") or why not (dlopen's message).
std::string fast_inflate_status();

// Inflates the whole zlib stream `in` (header, deflate data, Adler-32) into exactly `out_size`
// bytes. False when libdeflate is missing, the stream is damaged or its size differs.
bool zlib_inflate_exact(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size);

// CRC-32 (the PNG/zlib polynomial) of `data`, continuing from `crc` (0 to start). Needs
// fast_inflate_available().
uint32_t crc32_update(uint32_t crc, const uint8_t* data, size_t size);

}  // namespace dinov3
