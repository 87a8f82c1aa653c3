// A fast JPEG decoder for the common photo case — 8-bit YCbCr, no ICC profile — through the
// system's libjpeg-turbo TurboJPEG library, loaded at run time (dlopen "libturbojpeg.so.0"): the
// same library and settings as sharp's (accurate integer IDCT, smooth chroma upsampling), so
// the same bytes, without libvips' per-image cost. Every other JPEG (gray, CMYK, an ICC profile,
// a damaged file) and every machine without the library is declined with the reason, and the
// caller decodes with its general decoder (sharp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace dinov3 {

// True when libturbojpeg.so.0 was found (looked up once per process).
bool fast_jpeg_available();

// What was loaded ("libturbojpeg.so.0") or why not.
std::string fast_jpeg_status();

// True when `data` starts with the JPEG SOI marker and another marker.
bool is_jpeg(const uint8_t* data, size_t size);

struct JpegHeader {
  int width = 0;
  int height = 0;
};

// Reads the frame header. False (why in *reason) when this decoder does not handle the file.
bool read_jpeg_header(const uint8_t* data, size_t size, JpegHeader* header, std::string* reason);

// Decodes into `rgb` (width * height * 3 bytes, packed). False (why in *reason) when the
// library reports an error or a warning (a damaged or truncated file).
bool decode_jpeg(const uint8_t* data, size_t size, const JpegHeader& header, uint8_t* rgb, std::string* reason);

}  // namespace dinov3
