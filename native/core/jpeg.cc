#include "jpeg.h"

#include <cstring>
#include <memory>

#include "decline.h"
#include "system_library.h"

namespace dinov3 {
namespace {

// The TurboJPEG entry points used, declared as turbojpeg.h (stable since libjpeg-turbo 1.4) does.
using Handle = void*;
using InitFn = Handle (*)();
using DestroyFn = int (*)(Handle);
using HeaderFn = int (*)(Handle, const unsigned char*, unsigned long, int*, int*, int*, int*);
using DecompressFn = int (*)(Handle, const unsigned char*, unsigned long, unsigned char*, int, int, int, int, int);
using ErrorFn = char* (*)(Handle);
constexpr int kPixelFormatRgb = 0;  // TJPF_RGB
constexpr int kColorspaceYCbCr = 1;  // TJCS_YCbCr (TJCS_RGB 0, GRAY 2, CMYK 3, YCCK 4)

struct Library {
  SystemLibrary lib{"libturbojpeg.so.0"};
  InitFn init = lib.function<InitFn>("tjInitDecompress");
  DestroyFn destroy = lib.function<DestroyFn>("tjDestroy");
  HeaderFn header = lib.function<HeaderFn>("tjDecompressHeader3");
  DecompressFn decompress = lib.function<DecompressFn>("tjDecompress2");
  ErrorFn error = lib.function<ErrorFn>("tjGetErrorStr2");
};

const Library& library() {
  static const Library lib;  // opened once, kept for the life of the process
  return lib;
}

// One decompressor per thread (TurboJPEG handles are not shared between threads).
Handle thread_handle() {
  struct Deleter {
    void operator()(void* h) const { library().destroy(h); }
  };
  thread_local std::unique_ptr<void, Deleter> h(library().init());
  return h.get();
}

// True when an APP2 ICC_PROFILE segment comes before the image data (sharp would convert
// the colours with it).
bool has_icc_profile(const uint8_t* data, size_t size) {
  static const char kIcc[] = "ICC_PROFILE";
  for (size_t pos = 2; pos + 4 <= size && data[pos] == 0xff;) {
    const uint8_t marker = data[pos + 1];
    if (marker == 0xff) {  // a fill byte before the marker
      ++pos;
      continue;
    }
    if (marker == 0xda || marker == 0xd9) return false;  // start of scan, end of image
    const size_t length = (size_t{data[pos + 2]} << 8) | data[pos + 3];
    if (marker == 0xe2 && length >= 2 + sizeof(kIcc) && pos + 4 + sizeof(kIcc) <= size &&
        std::memcmp(data + pos + 4, kIcc, sizeof(kIcc)) == 0) {
      return true;
    }
    pos += 2 + length;
  }
  return false;
}

}  // namespace

bool fast_jpeg_available() { return library().lib.ok(); }

std::string fast_jpeg_status() { return library().lib.status(); }

bool is_jpeg(const uint8_t* data, size_t size) { return size >= 4 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff; }

bool read_jpeg_header(const uint8_t* data, size_t size, JpegHeader* header, std::string* reason) {
  if (!is_jpeg(data, size)) return decline(reason, "not a JPEG file");
  if (!fast_jpeg_available()) return decline(reason, "libturbojpeg is not available: " + fast_jpeg_status());
  Handle h = thread_handle();
  if (h == nullptr) return decline(reason, "TurboJPEG could not start");
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (library().header(h, data, static_cast<unsigned long>(size), &width, &height, &subsampling, &colorspace) != 0) {
    return decline(reason, std::string("header: ") + library().error(h));
  }
  if (colorspace != kColorspaceYCbCr) return decline(reason, "colour space " + std::to_string(colorspace));
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535) return decline(reason, "size outside 1..65535");
  if (has_icc_profile(data, size)) return decline(reason, "ICC profile");
  header->width = width;
  header->height = height;
  return true;
}

bool decode_jpeg(const uint8_t* data, size_t size, const JpegHeader& header, uint8_t* rgb, std::string* reason) {
  Handle h = thread_handle();
  if (h == nullptr) return decline(reason, "TurboJPEG could not start");
  // flags 0: accurate integer IDCT and smooth upsampling, libjpeg's defaults, as libvips decodes.
  if (library().decompress(h, data, static_cast<unsigned long>(size), rgb, header.width, header.width * 3, header.height,
                           kPixelFormatRgb, 0) != 0) {
    return decline(reason, std::string("decode: ") + library().error(h));
  }
  return true;
}

}  // namespace dinov3
