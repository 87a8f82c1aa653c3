// Image preprocessing that reproduces the DINOv3 reference pipeline bit for bit:
//   PIL Image.resize((w, h), BILINEAR)  (torchvision Resize on a PIL image)
//   -> ToTensor (x / 255) -> Normalize(mean, std) -> NCHW float32.
//
// PIL resizes in two separable passes (horizontal, then vertical) with a triangle filter whose
// support grows with the scale factor when shrinking (antialiasing) and sample centres at
// half-pixel positions, using 22-bit fixed-point weights and rounding to uint8 after each pass.
// This file does the same integer arithmetic, so the resized pixels are identical to PIL's.
#pragma once
#include <cstdint>
#include <vector>

namespace dinov3 {

enum class ResizeKernel : int;  // resize_kernels.h

enum class PixelFormat : int { kRGB = 0, kRGBA = 1, kBGR = 2, kBGRA = 3, kGray = 4 };

int channels_of(PixelFormat format);

struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int64_t row_bytes = 0;  // bytes between the starts of consecutive rows (the pitch)
  PixelFormat format = PixelFormat::kRGB;
};

struct Normalization {
  float mean[3] = {0.485f, 0.456f, 0.406f};
  float std[3] = {0.229f, 0.224f, 0.225f};
};

// PIL's resampling coefficients for one axis, already converted to fixed point.
struct ResampleAxis {
  int in_size = 0;
  int out_size = 0;
  int taps = 0;                 // coefficients per output sample (ksize)
  std::vector<int> first;       // first input index per output sample
  std::vector<int> count;       // number of used taps per output sample
  std::vector<int32_t> weights; // out_size * taps fixed-point weights (22 fractional bits)
};

inline constexpr int kResamplePrecisionBits = 32 - 8 - 2;

ResampleAxis bilinear_axis(int in_size, int out_size);

// Converts any supported format at any pitch to packed RGB (width * 3 bytes per row, no padding),
// as PIL's convert('RGB'): alpha dropped, BGR swapped, gray replicated.
void to_packed_rgb(const ImageView& src, uint8_t* out_rgb);

// Resizes to out_width x out_height RGB (interleaved, 3 bytes per pixel) exactly as PIL does for
// an RGB image. Alpha is dropped first, BGR is swapped, gray is replicated. Runs the kernel
// selected_resize_kernel() names; every kernel gives the same bytes.
void resize_rgb(const ImageView& src, int out_width, int out_height, uint8_t* out_rgb);

// Writes the normalised NCHW float tensor (3 * out_height * out_width floats) for one image.
void preprocess(const ImageView& src, int out_width, int out_height, const Normalization& norm,
                float* out_nchw);

// The same with an explicit kernel (ResizeKernel::kScalar is the reference, the code above in
// plain C++); a kernel this CPU lacks throws ERR_DINO_INVALID_ARGUMENT.
void resize_rgb(const ImageView& src, int out_width, int out_height, uint8_t* out_rgb, ResizeKernel kernel);
void preprocess(const ImageView& src, int out_width, int out_height, const Normalization& norm, float* out_nchw,
                ResizeKernel kernel);

}  // namespace dinov3
