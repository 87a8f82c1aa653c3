#include "fast_decode.h"

#include <cstdio>

#include "decline.h"
#include "inflate.h"
#include "jpeg.h"
#include "png.h"

namespace dinov3 {
namespace {

std::shared_ptr<uint8_t> allocate(int width, int height, int channels) {
  // Not zeroed: the decoders write every byte.
  return std::shared_ptr<uint8_t>(new uint8_t[size_t{1} * width * height * channels], std::default_delete<uint8_t[]>());
}

}  // namespace

bool fast_decode(const uint8_t* data, size_t size, int64_t max_pixels, FastImage* image, std::string* reason) {
  if (is_png(data, size)) {
    PngHeader h;
    if (!read_png_header(data, size, &h, reason)) return false;
    if (int64_t{h.width} * h.height > max_pixels) return decline(reason, "more pixels than the limit");
    image->pixels = allocate(h.width, h.height, h.channels);
    if (!decode_png(data, size, h, image->pixels.get(), reason)) return false;
    image->width = h.width, image->height = h.height, image->channels = h.channels;
    return true;
  }
  if (is_jpeg(data, size)) {
    JpegHeader h;
    if (!read_jpeg_header(data, size, &h, reason)) return false;
    if (int64_t{h.width} * h.height > max_pixels) return decline(reason, "more pixels than the limit");
    image->pixels = allocate(h.width, h.height, 3);
    if (!decode_jpeg(data, size, h, image->pixels.get(), reason)) return false;
    image->width = h.width, image->height = h.height, image->channels = 3;
    return true;
  }
  return decline(reason, "neither PNG nor JPEG");
}

bool fast_decode_file(const std::string& path, int64_t max_pixels, FastImage* image, std::string* reason) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return decline(reason, "cannot open the file");
  uint8_t head[8];
  const size_t got = std::fread(head, 1, sizeof(head), f.get());
  if (!is_png(head, got) && !is_jpeg(head, got)) return decline(reason, "neither PNG nor JPEG");
  // Not read whole for a decoder whose library is missing.
  if (is_png(head, got) && !fast_inflate_available()) return decline(reason, "libdeflate is not available: " + fast_inflate_status());
  if (is_jpeg(head, got) && !fast_jpeg_available()) return decline(reason, "libturbojpeg is not available: " + fast_jpeg_status());
  if (std::fseek(f.get(), 0, SEEK_END) != 0) return decline(reason, "cannot seek in the file");
  const long size = std::ftell(f.get());
  if (size < 8 || std::fseek(f.get(), 0, SEEK_SET) != 0) return decline(reason, "cannot seek in the file");
  std::unique_ptr<uint8_t[]> bytes(new uint8_t[static_cast<size_t>(size)]);
  if (std::fread(bytes.get(), 1, static_cast<size_t>(size), f.get()) != static_cast<size_t>(size)) return decline(reason, "short read");
  return fast_decode(bytes.get(), static_cast<size_t>(size), max_pixels, image, reason);
}

}  // namespace dinov3
