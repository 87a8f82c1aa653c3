// How the fast decoders (png.h, jpeg.h, fast_decode.h) say no: the reason goes to the caller,
// which then decodes the file with its general decoder.
#pragma once
#include <string>

namespace dinov3 {

// Stores `why` in *reason (when given) and returns false.
inline bool decline(std::string* reason, const std::string& why) {
  if (reason) *reason = why;
  return false;
}

}  // namespace dinov3
