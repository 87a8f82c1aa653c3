#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "check.h"
#include "error.h"
#include "preprocess.h"
#include "test_data.h"

using dinov3::ImageView;
using dinov3::PixelFormat;

namespace {
std::vector<uint8_t> resize_row(const std::vector<uint8_t>& gray, int out_w) {
  ImageView v{gray.data(), static_cast<int>(gray.size()), 1, static_cast<int64_t>(gray.size()), PixelFormat::kGray};
  std::vector<uint8_t> out(out_w * 3);
  dinov3::resize_rgb(v, out_w, 1, out.data());
  std::vector<uint8_t> r(out_w);
  for (int i = 0; i < out_w; ++i) r[i] = out[i * 3];
  return r;
}
}  // namespace

TEST(preprocess_pil_bilinear_enlarge_uses_half_pixel_centres) {
  // PIL: Image.fromarray([[0, 255]]).resize((4, 1), BILINEAR) == [0, 64, 191, 255]
  const auto r = resize_row({0, 255}, 4);
  CHECK(r[0] == 0 && r[1] == 64 && r[2] == 191 && r[3] == 255);
}

TEST(preprocess_pil_bilinear_shrink_is_antialiased) {
  // Support widens to 2 input pixels per side: [0,100,200,255] -> [71, 209]
  const auto r = resize_row({0, 100, 200, 255}, 2);
  CHECK(r[0] == 71 && r[1] == 209);
}

TEST(preprocess_axis_weights_sum_to_one_in_fixed_point) {
  for (int in : {7, 16, 224, 500}) {
    for (int out : {1, 3, 16, 224, 448}) {
      const auto ax = dinov3::bilinear_axis(in, out);
      for (int i = 0; i < out; ++i) {
        int64_t s = 0;
        for (int t = 0; t < ax.count[i]; ++t) s += ax.weights[i * ax.taps + t];
        CHECK(std::llabs(s - (int64_t{1} << dinov3::kResamplePrecisionBits)) <= ax.taps);
        CHECK(ax.first[i] >= 0 && ax.first[i] + ax.count[i] <= in);
      }
    }
  }
}

TEST(preprocess_same_size_is_exact_and_normalised) {
  const int w = 5, h = 3;
  std::vector<uint8_t> rgb(w * h * 3);
  std::iota(rgb.begin(), rgb.end(), 0);
  ImageView v{rgb.data(), w, h, w * 3, PixelFormat::kRGB};
  std::vector<float> out(3 * w * h);
  dinov3::Normalization norm;
  dinov3::preprocess(v, w, h, norm, out.data());
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < w * h; ++i) {
      const float expect = (static_cast<float>(rgb[i * 3 + c]) / 255.0f - norm.mean[c]) / norm.std[c];
      CHECK(out[c * w * h + i] == expect);
    }
}

TEST(preprocess_pixel_formats_agree) {
  const int w = 37, h = 23;
  auto noise = testdata::uniform(w * h * 4, 3, 0.0f, 255.0f);
  std::vector<uint8_t> rgba(w * h * 4), bgr(w * h * 3), rgb(w * h * 3), padded((w * 3 + 13) * h);
  for (int i = 0; i < w * h; ++i) {
    for (int c = 0; c < 4; ++c) rgba[i * 4 + c] = static_cast<uint8_t>(noise[i * 4 + c]);
    for (int c = 0; c < 3; ++c) rgb[i * 3 + c] = rgba[i * 4 + c], bgr[i * 3 + c] = rgba[i * 4 + 2 - c];
  }
  for (int y = 0; y < h; ++y)
    std::copy(rgb.begin() + y * w * 3, rgb.begin() + (y + 1) * w * 3, padded.begin() + y * (w * 3 + 13));
  const int ow = 32, oh = 48;
  auto run = [&](const uint8_t* data, int64_t pitch, PixelFormat f) {
    std::vector<float> out(3 * ow * oh);
    dinov3::preprocess(ImageView{data, w, h, pitch, f}, ow, oh, dinov3::Normalization{}, out.data());
    return out;
  };
  const auto a = run(rgb.data(), w * 3, PixelFormat::kRGB);
  CHECK(a == run(rgba.data(), w * 4, PixelFormat::kRGBA));
  CHECK(a == run(bgr.data(), w * 3, PixelFormat::kBGR));
  CHECK(a == run(padded.data(), w * 3 + 13, PixelFormat::kRGB));
}

TEST(preprocess_rejects_bad_input) {
  std::vector<uint8_t> px(12);
  float out[48];
  CHECK_THROWS_CODE(dinov3::preprocess(ImageView{nullptr, 2, 2, 6, PixelFormat::kRGB}, 4, 4, {}, out),
                    "ERR_DINO_INVALID_ARGUMENT");
  CHECK_THROWS_CODE(dinov3::preprocess(ImageView{px.data(), 2, 2, 5, PixelFormat::kRGB}, 4, 4, {}, out),
                    "ERR_DINO_INVALID_ARGUMENT");
  CHECK_THROWS_CODE(dinov3::preprocess(ImageView{px.data(), 2, 2, 6, PixelFormat::kRGB}, 0, 4, {}, out),
                    "ERR_DINO_INVALID_ARGUMENT");
}

TEST(to_packed_rgb_every_format_at_a_padded_pitch) {
  // 3x2 pixels with 5 bytes of padding per row; pixel (x, y) has channels (10y + x, 100 + x, 200 + y).
  const int w = 3, h = 2, pad = 5;
  auto frame = [&](PixelFormat f) {
    const int ch = dinov3::channels_of(f);
    std::vector<uint8_t> px(static_cast<size_t>(w * ch + pad) * h, 0xEE);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        uint8_t* p = &px[y * (w * ch + pad) + x * ch];
        const uint8_t r = static_cast<uint8_t>(10 * y + x), g = static_cast<uint8_t>(100 + x), b = static_cast<uint8_t>(200 + y);
        if (f == PixelFormat::kGray) p[0] = r;
        else if (f == PixelFormat::kBGR || f == PixelFormat::kBGRA) p[0] = b, p[1] = g, p[2] = r;
        else p[0] = r, p[1] = g, p[2] = b;
        if (ch == 4) p[3] = 7;
      }
    }
    return px;
  };
  for (PixelFormat f : {PixelFormat::kRGB, PixelFormat::kRGBA, PixelFormat::kBGR, PixelFormat::kBGRA, PixelFormat::kGray}) {
    const auto px = frame(f);
    ImageView v{px.data(), w, h, static_cast<int64_t>(w * dinov3::channels_of(f) + pad), f};
    std::vector<uint8_t> out(w * h * 3, 0);
    dinov3::to_packed_rgb(v, out.data());
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const uint8_t* o = &out[(y * w + x) * 3];
        const uint8_t r = static_cast<uint8_t>(10 * y + x);
        if (f == PixelFormat::kGray) CHECK(o[0] == r && o[1] == r && o[2] == r);
        else CHECK(o[0] == r && o[1] == 100 + x && o[2] == 200 + y);
      }
    }
  }
}

TEST(to_packed_rgb_rejects_a_pitch_smaller_than_a_row) {
  std::vector<uint8_t> px(64);
  std::vector<uint8_t> out(64);
  ImageView v{px.data(), 4, 2, 15, PixelFormat::kRGBA};
  bool threw = false;
  try {
    dinov3::to_packed_rgb(v, out.data());
  } catch (const dinov3::Error& e) {
    threw = std::string(e.code()) == dinov3::codes::kInvalidArgument;
  }
  CHECK(threw);
}
