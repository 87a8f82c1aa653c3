// Every vectorised resize kernel against the scalar reference: 0 levels of difference (the same
// bytes from resize_rgb, the same floats from preprocess) on seeded random images of random
// sizes, up and down, in every pixel format, at padded pitches, with 1-pixel edges.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "check.h"
#include "error.h"
#include "preprocess.h"
#include "resize_kernels.h"
#include "rng.h"

using dinov3::ImageView;
using dinov3::PixelFormat;
using dinov3::ResizeKernel;

namespace {

std::vector<ResizeKernel> vector_kernels() {
  std::vector<ResizeKernel> out;
  for (ResizeKernel k : dinov3::supported_resize_kernels()) {
    if (k != ResizeKernel::kScalar) out.push_back(k);
  }
  return out;
}

struct Image {
  std::vector<uint8_t> pixels;
  ImageView view;
};

Image random_image(dinov3::Rng& rng, int w, int h, PixelFormat f, int pad) {
  Image img;
  const int64_t pitch = static_cast<int64_t>(w) * dinov3::channels_of(f) + pad;
  img.pixels.resize(static_cast<size_t>(pitch * h));
  // Smooth gradients plus noise, with runs of 0 and 255 so that clamping is exercised.
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    const int64_t v = static_cast<int64_t>(rng.below(400)) - 72;
    img.pixels[i] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
  }
  img.view = ImageView{img.pixels.data(), w, h, pitch, f};
  return img;
}

// Compares one case for every vector kernel; returns the number of differing bytes/floats.
int64_t compare(const ImageView& v, int ow, int oh) {
  int64_t differing = 0;
  std::vector<uint8_t> ref(static_cast<size_t>(ow) * oh * 3), got(ref.size());
  dinov3::resize_rgb(v, ow, oh, ref.data(), ResizeKernel::kScalar);
  std::vector<float> ref_f(ref.size()), got_f(ref.size());
  dinov3::preprocess(v, ow, oh, dinov3::Normalization{}, ref_f.data(), ResizeKernel::kScalar);
  for (ResizeKernel k : vector_kernels()) {
    std::fill(got.begin(), got.end(), 0x5a);
    dinov3::resize_rgb(v, ow, oh, got.data(), k);
    std::fill(got_f.begin(), got_f.end(), -99.0f);
    dinov3::preprocess(v, ow, oh, dinov3::Normalization{}, got_f.data(), k);
    int64_t d = 0;
    for (size_t i = 0; i < ref.size(); ++i) d += (ref[i] != got[i]) + (ref_f[i] != got_f[i]);
    if (d != 0) {
      std::fprintf(stderr, "  %s: %dx%d (format %d, pitch %lld) -> %dx%d: %lld values differ\n", dinov3::resize_kernel_name(k),
                   v.width, v.height, static_cast<int>(v.format), static_cast<long long>(v.row_bytes), ow, oh,
                   static_cast<long long>(d));
    }
    differing += d;
  }
  return differing;
}

}  // namespace

TEST(resize_kernels_scalar_is_always_there_and_auto_is_supported) {
  const auto kernels = dinov3::supported_resize_kernels();
  CHECK(!kernels.empty() && kernels.front() == ResizeKernel::kScalar);
  CHECK(dinov3::resize_kernel_supported(dinov3::selected_resize_kernel()));
  ResizeKernel k;
  CHECK(dinov3::parse_resize_kernel("avx2", &k) && k == ResizeKernel::kAvx2);
  CHECK(!dinov3::parse_resize_kernel("auto", &k));
  std::printf("  kernels:");
  for (ResizeKernel x : kernels) std::printf(" %s", dinov3::resize_kernel_name(x));
  std::printf(" (selected %s)\n", dinov3::resize_kernel_name(dinov3::selected_resize_kernel()));
}

TEST(resize_kernels_match_scalar_on_random_sizes) {
  if (vector_kernels().empty()) return check::skip("no vectorised resize kernel on this CPU or build");
  dinov3::Rng rng(16);
  const PixelFormat formats[] = {PixelFormat::kRGB, PixelFormat::kRGBA, PixelFormat::kBGR, PixelFormat::kBGRA, PixelFormat::kGray};
  int64_t differing = 0;
  for (int n = 0; n < 300; ++n) {
    // Mostly small sizes, some large; edges of 1 pixel on either axis every few cases.
    auto size = [&](int cap) { return 1 + static_cast<int>(rng.below(rng.below(4) == 0 ? cap : 40)); };
    int w = size(700), h = size(500), ow = size(500), oh = size(500);
    if (n % 7 == 0) w = 1;
    if (n % 11 == 0) oh = 1;
    if (n % 13 == 0) ow = w;  // only the vertical pass
    if (n % 17 == 0) oh = h;  // only the horizontal pass
    const PixelFormat f = formats[n % 5];
    const Image img = random_image(rng, w, h, f, static_cast<int>(rng.below(3)) * 5);
    differing += compare(img.view, ow, oh);
  }
  CHECK(differing == 0);
}

TEST(resize_kernels_match_scalar_on_camera_and_photo_sizes) {
  if (vector_kernels().empty()) return check::skip("no vectorised resize kernel on this CPU or build");
  dinov3::Rng rng(1920);
  struct Case {
    int w, h, ow, oh;
    PixelFormat f;
  };
  const Case cases[] = {{1920, 1080, 224, 224, PixelFormat::kRGB}, {1920, 1080, 448, 448, PixelFormat::kBGRA},
                        {1000, 872, 224, 224, PixelFormat::kRGB},  {451, 300, 224, 224, PixelFormat::kRGBA},
                        {451, 300, 640, 448, PixelFormat::kRGB},   {224, 224, 224, 224, PixelFormat::kBGR},
                        {3, 2, 1000, 3, PixelFormat::kGray},       {4000, 1, 7, 1, PixelFormat::kRGB}};
  int64_t differing = 0;
  for (const Case& c : cases) differing += compare(random_image(rng, c.w, c.h, c.f, 0).view, c.ow, c.oh);
  CHECK(differing == 0);
}

TEST(resize_kernels_reject_a_kernel_the_cpu_lacks) {
  for (ResizeKernel k : {ResizeKernel::kSse41, ResizeKernel::kAvx2, ResizeKernel::kAvxVnni, ResizeKernel::kNeon}) {
    if (dinov3::resize_kernel_supported(k)) continue;
    std::vector<uint8_t> px(12), out(12);
    bool threw = false;
    try {
      dinov3::resize_rgb(ImageView{px.data(), 2, 2, 6, PixelFormat::kRGB}, 2, 2, out.data(), k);
    } catch (const dinov3::Error& e) {
      threw = std::string(e.code()) == dinov3::codes::kInvalidArgument;
    }
    CHECK(threw);
  }
}
