// A fast PNG decoder for the common photo case — 8-bit RGB or RGBA, not interlaced, no
// transparency key, no colour profile — inflating with libdeflate (inflate.h). Every other PNG,
// and any damaged one, is declined with the reason, and the caller decodes it with its general
// decoder (sharp), so results and error messages stay that decoder's.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace dinov3 {

struct PngHeader {
  int width = 0;
  int height = 0;
  int channels = 0;  // 3 (RGB) or 4 (RGBA)
};

// True when `data` starts with the PNG signature.
bool is_png(const uint8_t* data, size_t size);

// Reads the IHDR chunk. False (why in *reason) when this decoder does not handle the file.
bool read_png_header(const uint8_t* data, size_t size, PngHeader* header, std::string* reason);

// Decodes into `out` (width * height * channels bytes, rows packed). False (why in *reason)
// when the file holds something this decoder declines (see above), fails a CRC or Adler-32
// check, or is truncated; `out` is then unspecified.
bool decode_png(const uint8_t* data, size_t size, const PngHeader& header, uint8_t* out, std::string* reason);

// Reverses the PNG filter of one row (filter type 0-4) of `bytes` bytes with `bpp` bytes per
// pixel: `raw` is the filtered row, `prior` the previous unfiltered row (nullptr for the first),
// `out` receives the row. False for an unknown filter type.
bool unfilter_row(int filter, const uint8_t* raw, const uint8_t* prior, uint8_t* out, size_t bytes, int bpp);

}  // namespace dinov3
