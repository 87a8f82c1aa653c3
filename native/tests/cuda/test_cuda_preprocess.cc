#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "check.h"
#include "color.h"
#include "cuda_api.h"
#include "cuda_test_util.h"
#include "half.h"
#include "preprocess.h"
#include "test_data.h"

namespace cu = dinov3::cuda;
using cuda_test::DeviceArray;

namespace {

struct Frame {
  std::vector<uint8_t> bytes;  // rows of `pitch` bytes
  int width = 0, height = 0;
  int64_t pitch = 0;
};

Frame random_frame(int w, int h, int channels, int64_t padding, uint64_t seed) {
  Frame f;
  f.width = w;
  f.height = h;
  f.pitch = static_cast<int64_t>(w) * channels + padding;
  const auto noise = testdata::uniform(f.pitch * h, seed, 0.0f, 255.99f);
  f.bytes.resize(noise.size());
  for (size_t i = 0; i < noise.size(); ++i) f.bytes[i] = static_cast<uint8_t>(noise[i]);
  return f;
}

dinov3::PixelFormat cpu_format(cu::FrameFormat f) { return static_cast<dinov3::PixelFormat>(static_cast<int>(f)); }
int channels(cu::FrameFormat f) { return dinov3::channels_of(cpu_format(f)); }

std::vector<float> cpu_preprocess(const Frame& f, cu::FrameFormat format, int ow, int oh,
                                  const dinov3::Normalization& norm) {
  std::vector<float> out(3 * static_cast<size_t>(ow) * oh);
  dinov3::preprocess(dinov3::ImageView{f.bytes.data(), f.width, f.height, f.pitch, cpu_format(format)}, ow, oh, norm,
                     out.data());
  return out;
}

// The device view of a packed-pixel frame uploaded as is (same pitch).
cu::DeviceFrame packed_frame(const DeviceArray<uint8_t>& dev, const Frame& f, cu::FrameFormat format) {
  cu::DeviceFrame frame;
  frame.data = dev.get();
  frame.pitch = f.pitch;
  frame.width = f.width;
  frame.height = f.height;
  frame.format = format;
  return frame;
}

// Runs the GPU kernel on a frame uploaded as is (same pitch) and returns fp32 values.
std::vector<float> gpu_preprocess(const cu::DeviceFrame& frame, int ow, int oh, const dinov3::Normalization& norm,
                                  cu::DType type) {
  const size_t n = 3 * static_cast<size_t>(ow) * oh;
  std::vector<float> out(n);
  if (type == cu::DType::kFloat16) {
    DeviceArray<uint16_t> dst(n);
    cu::preprocess(frame, ow, oh, norm, dst.get(), type, nullptr);
    const auto h = dst.download();
    dinov3::halves_to_floats(h.data(), out.data(), n);
  } else {
    DeviceArray<float> dst(n);
    cu::preprocess(frame, ow, oh, norm, dst.get(), type, nullptr);
    out = dst.download();
  }
  return out;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = a.size() == b.size() ? 0.0 : 1e30;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

// fp16 output must be the fp32 result correctly rounded: within half an fp16 ulp.
bool within_fp16_rounding(const std::vector<float>& half_values, const std::vector<float>& exact) {
  for (size_t i = 0; i < exact.size(); ++i) {
    const double mag = std::max(std::fabs(static_cast<double>(exact[i])), std::ldexp(1.0, -14));
    const double half_ulp = std::ldexp(1.0, static_cast<int>(std::floor(std::log2(mag))) - 11);
    if (std::fabs(double(half_values[i]) - exact[i]) > half_ulp * (1 + 1e-9)) return false;
  }
  return true;
}

struct Size {
  int w, h, ow, oh;
};
// Shrink (antialiased), enlarge, one axis unchanged (PIL skips that pass), both unchanged.
const Size kSizes[] = {{37, 23, 32, 48}, {641, 479, 224, 224}, {100, 81, 100, 40}, {57, 40, 31, 40}, {45, 33, 45, 33},
                       {1, 1, 3, 2}};

}  // namespace

TEST(cuda_preprocess_packed_and_gray_match_cpu_exactly) {
  if (!cuda_test::device_or_skip()) return;
  dinov3::Normalization norm;
  int cases = 0;
  for (const Size& s : kSizes) {
    for (auto format : {cu::FrameFormat::kRGB, cu::FrameFormat::kRGBA, cu::FrameFormat::kBGR, cu::FrameFormat::kBGRA,
                        cu::FrameFormat::kGray}) {
      for (int64_t padding : {0, 13}) {  // 13: odd pitch, rows start at unaligned addresses
        const Frame f = random_frame(s.w, s.h, channels(format), padding, 100 + cases);
        DeviceArray<uint8_t> dev(f.bytes);
        const cu::DeviceFrame frame = packed_frame(dev, f, format);
        const auto cpu = cpu_preprocess(f, format, s.ow, s.oh, norm);
        const auto gpu = gpu_preprocess(frame, s.ow, s.oh, norm, cu::DType::kFloat32);
        const double diff = max_abs_diff(gpu, cpu);
        if (diff != 0.0)
          std::printf("  %dx%d -> %dx%d format %d pitch %lld: max diff %g\n", s.w, s.h, s.ow, s.oh,
                      static_cast<int>(format), static_cast<long long>(f.pitch), diff);
        CHECK(diff == 0.0);
        const auto half = gpu_preprocess(frame, s.ow, s.oh, norm, cu::DType::kFloat16);
        CHECK(within_fp16_rounding(half, cpu));
        ++cases;
      }
    }
  }
  std::printf("  %d frame/format/pitch cases identical to the CPU core\n", cases);
}

TEST(cuda_preprocess_nv12_matches_nv12_to_rgb_then_cpu) {
  if (!cuda_test::device_or_skip()) return;
  dinov3::Normalization norm;
  const Size sizes[] = {{641, 479, 224, 224}, {1920, 1080, 448, 448}, {33, 17, 40, 20}, {64, 48, 64, 48}};
  int n = 0;
  for (const Size& s : sizes) {
    for (bool full : {false, true}) {
      const int64_t y_pitch = s.w + 7, uv_pitch = 2 * ((s.w + 1) / 2) + 5;
      const int uv_rows = (s.h + 1) / 2;
      const Frame y = random_frame(s.w, s.h, 1, 7, 500 + n);
      const Frame uv = random_frame(2 * ((s.w + 1) / 2), uv_rows, 1, 5, 600 + n);
      DeviceArray<uint8_t> dy(y.bytes), duv(uv.bytes);
      cu::DeviceFrame frame;
      frame.data = dy.get();
      frame.pitch = y_pitch;
      frame.uv = duv.get();
      frame.uv_pitch = uv_pitch;
      frame.width = s.w;
      frame.height = s.h;
      frame.format = cu::FrameFormat::kNV12;
      frame.full_range = full;
      Frame rgb;
      rgb.width = s.w;
      rgb.height = s.h;
      rgb.pitch = static_cast<int64_t>(s.w) * 3;
      rgb.bytes.resize(rgb.pitch * s.h);
      dinov3::nv12_to_rgb(y.bytes.data(), y_pitch, uv.bytes.data(), uv_pitch, s.w, s.h, full, rgb.bytes.data());
      const auto cpu = cpu_preprocess(rgb, cu::FrameFormat::kRGB, s.ow, s.oh, norm);
      const auto gpu = gpu_preprocess(frame, s.ow, s.oh, norm, cu::DType::kFloat32);
      // In levels: one level is 1 / (255 * std) in normalised units.
      double worst = 0;
      const size_t plane = static_cast<size_t>(s.ow) * s.oh;
      for (size_t i = 0; i < cpu.size(); ++i)
        worst = std::max(worst, std::fabs(double(gpu[i]) - cpu[i]) * 255.0 * norm.std[i / plane]);
      std::printf("  NV12 %dx%d -> %dx%d %s range: max diff %.3g levels\n", s.w, s.h, s.ow, s.oh,
                  full ? "full" : "limited", worst);
      CHECK(worst <= 1.0 + 1e-3);
      ++n;
    }
  }
}

TEST(cuda_preprocess_custom_normalisation_and_streams) {
  if (!cuda_test::device_or_skip()) return;
  dinov3::Normalization norm;
  norm.mean[0] = 0.5f, norm.mean[1] = 0.25f, norm.mean[2] = 0.0f;
  norm.std[0] = 0.5f, norm.std[1] = 2.0f, norm.std[2] = 1.0f;
  const Frame f = random_frame(300, 200, 4, 4, 77);
  DeviceArray<uint8_t> dev(f.bytes);
  const cu::DeviceFrame frame = packed_frame(dev, f, cu::FrameFormat::kRGBA);
  cu::Stream s = cu::create_stream();
  DeviceArray<float> dst(3 * 112 * 96);
  cu::preprocess(frame, 112, 96, norm, dst.get(), cu::DType::kFloat32, s);
  cu::synchronize(s);
  cu::destroy_stream(s);
  CHECK(max_abs_diff(dst.download(), cpu_preprocess(f, cu::FrameFormat::kRGBA, 112, 96, norm)) == 0.0);
}
