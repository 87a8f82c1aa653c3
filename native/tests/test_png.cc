// PNG fast path: every row filter reversed exactly, whole files decoded (zlib streams of stored
// blocks built here, so no encoder is needed), and the files it must decline.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "check.h"
#include "inflate.h"
#include "png.h"

namespace {

uint8_t paeth_predict(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return static_cast<uint8_t>(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

// The PNG spec's filter, written the textbook way (the decoder's reverse is checked against it).
std::vector<uint8_t> filter_row(int type, const std::vector<uint8_t>& row, const std::vector<uint8_t>* prior, int bpp) {
  std::vector<uint8_t> out(row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    const int a = i >= static_cast<size_t>(bpp) ? row[i - bpp] : 0;
    const int b = prior ? (*prior)[i] : 0;
    const int c = prior && i >= static_cast<size_t>(bpp) ? (*prior)[i - bpp] : 0;
    const int pred = type == 0 ? 0 : type == 1 ? a : type == 2 ? b : type == 3 ? (a + b) / 2 : paeth_predict(a, b, c);
    out[i] = static_cast<uint8_t>(row[i] - pred);
  }
  return out;
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<uint8_t>(seed >> 24);
  }
  return v;
}

void put32(std::vector<uint8_t>& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}

// A zlib stream of stored (uncompressed) deflate blocks.
std::vector<uint8_t> zlib_stored(const std::vector<uint8_t>& data) {
  std::vector<uint8_t> z{0x78, 0x01};
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(65535, data.size() - pos);
    z.push_back(pos + n == data.size() ? 1 : 0);
    z.push_back(static_cast<uint8_t>(n)), z.push_back(static_cast<uint8_t>(n >> 8));
    z.push_back(static_cast<uint8_t>(~n)), z.push_back(static_cast<uint8_t>(~n >> 8));
    z.insert(z.end(), data.begin() + pos, data.begin() + pos + n);
    pos += n;
  } while (pos < data.size());
  uint32_t s1 = 1, s2 = 0;
  for (uint8_t b : data) s1 = (s1 + b) % 65521, s2 = (s2 + s1) % 65521;
  put32(z, (s2 << 16) | s1);
  return z;
}

void chunk(std::vector<uint8_t>& png, const char* type, const std::vector<uint8_t>& body) {
  put32(png, static_cast<uint32_t>(body.size()));
  std::vector<uint8_t> typed(type, type + 4);
  typed.insert(typed.end(), body.begin(), body.end());
  png.insert(png.end(), typed.begin(), typed.end());
  put32(png, dinov3::crc32_update(0, typed.data(), typed.size()));
}

struct Made {
  std::vector<uint8_t> png;
  std::vector<uint8_t> pixels;  // what it must decode to
};

// A PNG of random pixels, row y filtered with filter (y % 5), the stream split over `idats` chunks.
Made make_png(int width, int height, int channels, int colour_type, int idats, uint32_t seed, const char* extra = nullptr) {
  Made m;
  const size_t row_bytes = static_cast<size_t>(width) * channels;
  m.pixels = random_bytes(row_bytes * height, seed);
  std::vector<uint8_t> filtered;
  for (int y = 0; y < height; ++y) {
    std::vector<uint8_t> row(m.pixels.begin() + y * row_bytes, m.pixels.begin() + (y + 1) * row_bytes);
    std::vector<uint8_t> prior;
    if (y > 0) prior.assign(m.pixels.begin() + (y - 1) * row_bytes, m.pixels.begin() + y * row_bytes);
    filtered.push_back(static_cast<uint8_t>(y % 5));
    const auto f = filter_row(y % 5, row, y > 0 ? &prior : nullptr, channels);
    filtered.insert(filtered.end(), f.begin(), f.end());
  }
  m.png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  put32(ihdr, width), put32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, static_cast<uint8_t>(colour_type), 0, 0, 0});
  chunk(m.png, "IHDR", ihdr);
  if (extra) chunk(m.png, extra, {0, 1, 2, 3, 4, 5});
  const auto z = zlib_stored(filtered);
  const size_t part = (z.size() + idats - 1) / idats;
  for (size_t pos = 0; pos < z.size(); pos += part) chunk(m.png, "IDAT", std::vector<uint8_t>(z.begin() + pos, z.begin() + std::min(z.size(), pos + part)));
  chunk(m.png, "IEND", {});
  return m;
}

bool decodes_to(const Made& m, int channels, std::string* why) {
  dinov3::PngHeader h;
  if (!dinov3::read_png_header(m.png.data(), m.png.size(), &h, why)) return false;
  if (h.channels != channels) return false;
  std::vector<uint8_t> out(m.pixels.size());
  return dinov3::decode_png(m.png.data(), m.png.size(), h, out.data(), why) && out == m.pixels;
}

bool needs_libdeflate() {
  if (dinov3::fast_inflate_available()) return true;
  check::skip("libdeflate.so.0 is not installed: " + dinov3::fast_inflate_status());
  return false;
}

}  // namespace

TEST(png_unfilter_every_filter_and_pixel_size) {
  for (int bpp : {1, 2, 3, 4}) {
    for (size_t width : {1u, 2u, 5u, 33u}) {
      const size_t bytes = width * bpp;
      const auto prior = random_bytes(bytes, 7 + bpp);
      const auto row = random_bytes(bytes, 11 + width);
      for (int type = 0; type < 5; ++type) {
        for (bool first : {true, false}) {
          const auto filtered = filter_row(type, row, first ? nullptr : &prior, bpp);
          std::vector<uint8_t> out(bytes);
          CHECK(dinov3::unfilter_row(type, filtered.data(), first ? nullptr : prior.data(), out.data(), bytes, bpp));
          CHECK(out == row);
        }
      }
    }
  }
  std::vector<uint8_t> row(6), out(6);
  CHECK(!dinov3::unfilter_row(5, row.data(), nullptr, out.data(), 6, 3));
}

TEST(png_decodes_rgb_and_rgba_with_all_filters) {
  if (!needs_libdeflate()) return;
  std::string why;
  for (int idats : {1, 3}) {
    for (auto [w, h] : {std::pair{1, 1}, std::pair{7, 5}, std::pair{64, 11}, std::pair{301, 9}}) {
      CHECK(decodes_to(make_png(w, h, 3, 2, idats, w * 31 + h), 3, &why));
      CHECK(decodes_to(make_png(w, h, 4, 6, idats, w * 17 + h), 4, &why));
    }
  }
  // An ancillary chunk that does not change the pixels is skipped.
  CHECK(decodes_to(make_png(9, 4, 3, 2, 1, 5, "tEXt"), 3, &why));
}

TEST(png_declines_what_it_does_not_handle) {
  if (!needs_libdeflate()) return;
  std::string why;
  dinov3::PngHeader h;
  const auto palette = make_png(4, 4, 1, 3, 1, 1);
  CHECK(!dinov3::read_png_header(palette.png.data(), palette.png.size(), &h, &why));
  CHECK(why == "colour type 3");
  CHECK(!decodes_to(make_png(4, 4, 3, 2, 1, 2, "tRNS"), 3, &why));
  CHECK(why == "tRNS chunk");
  CHECK(!decodes_to(make_png(4, 4, 3, 2, 1, 3, "iCCP"), 3, &why));
  CHECK(why == "iCCP chunk");
  auto damaged = make_png(8, 8, 3, 2, 1, 4);
  damaged.png[damaged.png.size() - 20] ^= 0x40;  // inside the IDAT data: its CRC no longer matches
  CHECK(!decodes_to(damaged, 3, &why));
  CHECK(why == "CRC mismatch");
  auto truncated = make_png(8, 8, 3, 2, 1, 5);
  truncated.png.resize(truncated.png.size() - 30);
  CHECK(!decodes_to(truncated, 3, &why));
  const std::vector<uint8_t> jpeg{0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0, 0};
  CHECK(!dinov3::read_png_header(jpeg.data(), jpeg.size(), &h, &why));
  CHECK(why == "not a PNG file");
}
