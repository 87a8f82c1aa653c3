#include "png.h"

#include <cstring>
#include <memory>
#include <vector>

#include "decline.h"
#include "inflate.h"

namespace dinov3 {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

bool is_type(const uint8_t* type, const char* name) { return std::memcmp(type, name, 4) == 0; }

}  // namespace

bool is_png(const uint8_t* data, size_t size) { return size >= 8 && std::memcmp(data, kSignature, 8) == 0; }

bool read_png_header(const uint8_t* data, size_t size, PngHeader* header, std::string* reason) {
  if (!is_png(data, size)) return decline(reason, "not a PNG file");
  if (size < 33 || be32(data + 8) != 13 || !is_type(data + 12, "IHDR")) return decline(reason, "no IHDR chunk");
  const uint8_t* ihdr = data + 16;
  const uint32_t width = be32(ihdr), height = be32(ihdr + 4);
  const int depth = ihdr[8], colour = ihdr[9], compression = ihdr[10], filter = ihdr[11], interlace = ihdr[12];
  if (width == 0 || height == 0 || width > 65535 || height > 65535) return decline(reason, "size outside 1..65535");
  if (depth != 8) return decline(reason, "bit depth " + std::to_string(depth));
  if (colour != 2 && colour != 6) return decline(reason, "colour type " + std::to_string(colour));
  if (compression != 0 || filter != 0) return decline(reason, "unknown compression or filter method");
  if (interlace != 0) return decline(reason, "interlaced");
  header->width = static_cast<int>(width);
  header->height = static_cast<int>(height);
  header->channels = colour == 6 ? 4 : 3;
  return true;
}

bool decode_png(const uint8_t* data, size_t size, const PngHeader& header, uint8_t* out, std::string* reason) {
  if (!fast_inflate_available()) return decline(reason, "libdeflate is not available: " + fast_inflate_status());
  // Walk the chunks: check every CRC, gather the IDAT data, decline what changes the pixels.
  std::vector<std::pair<const uint8_t*, size_t>> idat;
  size_t idat_bytes = 0;
  bool ended = false;
  for (size_t pos = 8; pos < size && !ended;) {
    if (size - pos < 12) return decline(reason, "truncated chunk");
    const size_t length = be32(data + pos);
    const uint8_t* type = data + pos + 4;
    if (length > size - pos - 12) return decline(reason, "truncated chunk");
    const uint8_t* body = type + 4;
    if (crc32_update(0, type, length + 4) != be32(body + length)) return decline(reason, "CRC mismatch");
    if (is_type(type, "IDAT")) {
      idat.emplace_back(body, length);
      idat_bytes += length;
    } else if (is_type(type, "IEND")) {
      ended = true;
    } else if (is_type(type, "tRNS") || is_type(type, "iCCP")) {
      // A transparency key adds an alpha channel, an ICC profile a colour conversion: the general decoder does both.
      return decline(reason, std::string(reinterpret_cast<const char*>(type), 4) + " chunk");
    } else if ((type[0] & 0x20) == 0 && !is_type(type, "IHDR") && !is_type(type, "PLTE")) {
      return decline(reason, "unknown critical chunk");
    }
    pos += length + 12;
  }
  if (!ended || idat.empty()) return decline(reason, "no image data or no IEND");

  // One contiguous zlib stream (PNG writers usually split it into several IDAT chunks).
  std::vector<uint8_t> joined;
  const uint8_t* stream = idat.front().first;
  if (idat.size() > 1) {
    joined.reserve(idat_bytes);
    for (const auto& [p, n] : idat) joined.insert(joined.end(), p, p + n);
    stream = joined.data();
  }
  const size_t row_bytes = static_cast<size_t>(header.width) * header.channels;
  const size_t filtered_size = (row_bytes + 1) * header.height;
  std::unique_ptr<uint8_t[]> filtered(new uint8_t[filtered_size]);  // not zeroed: inflate fills it all
  if (!zlib_inflate_exact(stream, idat_bytes, filtered.get(), filtered_size)) return decline(reason, "damaged image data");

  const uint8_t* prior = nullptr;
  for (int y = 0; y < header.height; ++y) {
    const uint8_t* row = filtered.get() + y * (row_bytes + 1);
    uint8_t* dst = out + y * row_bytes;
    if (!unfilter_row(row[0], row + 1, prior, dst, row_bytes, header.channels)) return decline(reason, "unknown row filter");
    prior = dst;
  }
  return true;
}

}  // namespace dinov3
