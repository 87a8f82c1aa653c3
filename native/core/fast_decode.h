// The fast image decoders (png.h with libdeflate, jpeg.h with libturbojpeg) behind one call:
// the kind is told by the file's signature. Whatever they decline, the caller decodes with its
// general decoder (sharp), so results and error messages stay that decoder's.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace dinov3 {

struct FastImage {
  int width = 0;
  int height = 0;
  int channels = 0;  // 3 (RGB) or 4 (RGBA), rows packed
  std::shared_ptr<uint8_t> pixels;
};

// Decodes `data` when a fast decoder takes it and it has at most `max_pixels` pixels. False (why
// in *reason) otherwise.
bool fast_decode(const uint8_t* data, size_t size, int64_t max_pixels, FastImage* image, std::string* reason);

// The same for a file, read whole only when it starts with a PNG or JPEG signature.
bool fast_decode_file(const std::string& path, int64_t max_pixels, FastImage* image, std::string* reason);

}  // namespace dinov3
