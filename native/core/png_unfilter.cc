// PNG row filters reversed (PNG spec, section 9): None, Sub, Up, Average, Paeth. The per-pixel
// loops take the pixel size as a template argument so the channel loop unrolls.
#include <cstdlib>
#include <cstring>

#include "png.h"

namespace dinov3 {
namespace {

inline uint8_t paeth(int a, int b, int c) {
  const int pa = std::abs(b - c);
  const int pb = std::abs(a - c);
  const int pc = std::abs(a + b - 2 * c);
  return static_cast<uint8_t>(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

template <int kBpp>
void unfilter_pixels(int filter, const uint8_t* raw, const uint8_t* prior, uint8_t* out, size_t bytes) {
  switch (filter) {
    case 1:  // Sub
      for (int c = 0; c < kBpp; ++c) out[c] = raw[c];
      for (size_t i = kBpp; i < bytes; ++i) out[i] = static_cast<uint8_t>(raw[i] + out[i - kBpp]);
      return;
    case 3:  // Average
      for (int c = 0; c < kBpp; ++c) out[c] = static_cast<uint8_t>(raw[c] + (prior[c] >> 1));
      for (size_t i = kBpp; i < bytes; ++i) out[i] = static_cast<uint8_t>(raw[i] + ((out[i - kBpp] + prior[i]) >> 1));
      return;
    case 4:  // Paeth
      for (int c = 0; c < kBpp; ++c) out[c] = static_cast<uint8_t>(raw[c] + prior[c]);  // a = c = 0: b
      for (size_t i = kBpp; i < bytes; i += kBpp) {
        for (int c = 0; c < kBpp; ++c) {
          out[i + c] = static_cast<uint8_t>(raw[i + c] + paeth(out[i + c - kBpp], prior[i + c], prior[i + c - kBpp]));
        }
      }
      return;
    default:
      return;
  }
}

}  // namespace

bool unfilter_row(int filter, const uint8_t* raw, const uint8_t* prior, uint8_t* out, size_t bytes, int bpp) {
  if (filter < 0 || filter > 4) return false;
  static const uint8_t kZeros[4] = {0, 0, 0, 0};
  if (prior == nullptr) {
    // First row: the row above is zeros, so Up is None and Paeth is Sub.
    if (filter == 2) filter = 0;
    if (filter == 4) filter = 1;
    if (filter == 3) {
      for (int c = 0; c < bpp && static_cast<size_t>(c) < bytes; ++c) out[c] = raw[c];
      for (size_t i = bpp; i < bytes; ++i) out[i] = static_cast<uint8_t>(raw[i] + (out[i - bpp] >> 1));
      return true;
    }
    prior = kZeros;  // only read by filters 3 and 4, handled above
  }
  if (filter == 0) {
    std::memcpy(out, raw, bytes);
    return true;
  }
  if (filter == 2) {  // Up: independent bytes, vectorised by the compiler
    for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(raw[i] + prior[i]);
    return true;
  }
  switch (bpp) {
    case 3: unfilter_pixels<3>(filter, raw, prior, out, bytes); return true;
    case 4: unfilter_pixels<4>(filter, raw, prior, out, bytes); return true;
    case 1: unfilter_pixels<1>(filter, raw, prior, out, bytes); return true;
    case 2: unfilter_pixels<2>(filter, raw, prior, out, bytes); return true;
    default: return false;
  }
}

}  // namespace dinov3
