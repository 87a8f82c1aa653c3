// Bindings for image preprocessing, pixel-format conversion and fp16 conversion.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "../core/half.h"
#include "../core/inflate.h"
#include "../core/fast_decode.h"
#include "../core/jpeg.h"
#include "../core/preprocess.h"
#include "../core/resize_kernels.h"
#include "args.h"
#include "errors.h"
#include "ops.h"
#include "promise_worker.h"

namespace dinov3::addon {
namespace {

struct ImageArgs {
  ImageView image;
  Napi::Value keep_alive;
};

// An image from its five values: pixels, width, height, rowBytes, format.
ImageArgs image_from(Napi::Env env, const Napi::Value& pixels_value, const Napi::Value& width, const Napi::Value& height,
                     const Napi::Value& row_bytes, const Napi::Value& format) {
  auto pixels = uint8_arg(pixels_value, "pixels");
  ImageView v;
  v.data = pixels.data;
  v.width = static_cast<int>(int_arg(width, "width", 1, 1 << 16));
  v.height = static_cast<int>(int_arg(height, "height", 1, 1 << 16));
  v.row_bytes = int_arg(row_bytes, "rowBytes", 1, int64_t{1} << 31);
  v.format = static_cast<PixelFormat>(int_arg(format, "format", 0, 4));
  const int64_t needed = v.row_bytes * (v.height - 1) + static_cast<int64_t>(v.width) * channels_of(v.format);
  if (v.row_bytes < static_cast<int64_t>(v.width) * channels_of(v.format) ||
      static_cast<int64_t>(pixels.length) < needed) {
    throw_invalid(env, "pixels: " + std::to_string(v.width) + "x" + std::to_string(v.height) + " with " +
                           std::to_string(channels_of(v.format)) + " channels and row pitch " +
                           std::to_string(v.row_bytes) + " needs " + std::to_string(needed) + " bytes, got " +
                           std::to_string(pixels.length));
  }
  return ImageArgs{v, pixels.value};
}

// (pixels, width, height, rowBytes, format) at argument `first`
ImageArgs image_args(const Napi::CallbackInfo& info, size_t first) {
  return image_from(info.Env(), info[first], info[first + 1], info[first + 2], info[first + 3], info[first + 4]);
}

Normalization normalization_arg(const Napi::Value& mean, const Napi::Value& stdev) {
  Normalization n;
  auto m = float32_arg(mean, "mean");
  auto s = float32_arg(stdev, "std");
  if (m.length != 3 || s.length != 3) throw_invalid(mean.Env(), "mean and std must hold 3 values");
  for (int c = 0; c < 3; ++c) {
    n.mean[c] = m.data[c];
    n.std[c] = s.data[c];
    if (n.std[c] == 0.0f) throw_invalid(mean.Env(), "std values must not be zero");
  }
  return n;
}

// The `kernel` option: absent or 'auto' = the selected kernel, else one by name (tests and benchmarks).
ResizeKernel kernel_option(Napi::Env env, const Napi::Object& o) {
  const Napi::Value v = o.Get("kernel");
  if (v.IsUndefined()) return selected_resize_kernel();
  if (!v.IsString()) throw_invalid(env, "kernel must be a string");
  const std::string name = v.As<Napi::String>().Utf8Value();
  if (name == "auto") return selected_resize_kernel();
  ResizeKernel k;
  if (!parse_resize_kernel(name, &k)) throw_invalid(env, "unknown resize kernel '" + name + "'");
  if (!resize_kernel_supported(k)) throw_invalid(env, "resize kernel '" + name + "' is not available on this CPU or build");
  return k;
}

// preprocess({ pixels, width, height, rowBytes, format, outWidth, outHeight, mean, std, out, outOffset, kernel })
Napi::Value Preprocess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options_arg(info[0], "preprocess");
  ImageArgs img = image_from(env, o.Get("pixels"), o.Get("width"), o.Get("height"), o.Get("rowBytes"), o.Get("format"));
  const int out_w = static_cast<int>(int_arg(o.Get("outWidth"), "outWidth", 1, 1 << 15));
  const int out_h = static_cast<int>(int_arg(o.Get("outHeight"), "outHeight", 1, 1 << 15));
  const Normalization norm = normalization_arg(o.Get("mean"), o.Get("std"));
  auto out = float32_arg(o.Get("out"), "out");
  const int64_t offset = int_property(o, "outOffset", 0, 0, int64_t{1} << 40);
  if (offset + int64_t{3} * out_w * out_h > static_cast<int64_t>(out.length)) {
    throw_invalid(env, "out is too small for a 3x" + std::to_string(out_h) + "x" + std::to_string(out_w) +
                           " tensor at offset " + std::to_string(offset));
  }
  float* dst = out.data + offset;
  const ImageView view = img.image;
  const ResizeKernel kernel = kernel_option(env, o);
  return PromiseWorker<bool>::Start(
      env, "dinov3.preprocess",
      [=] {
        preprocess(view, out_w, out_h, norm, dst, kernel);
        return true;
      },
      [](Napi::Env e, bool&, const Napi::Array&) { return e.Undefined(); }, {img.keep_alive, out.value});
}

// resizeRgb(pixels, width, height, rowBytes, format, outWidth, outHeight) -> Uint8Array (RGB)
Napi::Value ResizeRgb(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ImageArgs img = image_args(info, 0);
  const int out_w = static_cast<int>(int_arg(info[5], "outWidth", 1, 1 << 15));
  const int out_h = static_cast<int>(int_arg(info[6], "outHeight", 1, 1 << 15));
  const ImageView view = img.image;
  return PromiseWorker<std::vector<uint8_t>>::Start(
      env, "dinov3.resize",
      [=] {
        std::vector<uint8_t> out(static_cast<size_t>(out_w) * out_h * 3);
        resize_rgb(view, out_w, out_h, out.data());
        return out;
      },
      [](Napi::Env e, std::vector<uint8_t>& out, const Napi::Array&) {
        auto arr = Napi::Uint8Array::New(e, out.size());
        std::copy(out.begin(), out.end(), arr.Data());
        return arr;
      },
      {img.keep_alive});
}

// toRgb(pixels, width, height, rowBytes, format) -> Promise<Uint8Array> (packed RGB)
Napi::Value ToRgb(const Napi::CallbackInfo& info) {
  ImageArgs img = image_args(info, 0);
  auto out = Napi::Uint8Array::New(info.Env(), static_cast<size_t>(img.image.width) * img.image.height * 3);
  uint8_t* dst = out.Data();
  const ImageView view = img.image;
  return PromiseWorker<bool>::Start(
      info.Env(), "dinov3.toRgb",
      [=] {
        to_packed_rgb(view, dst);
        return true;
      },
      [](Napi::Env, bool&, const Napi::Array& held) { return held.Get(1u); }, {img.keep_alive, out});
}

// decodeFast(source: Uint8Array | string (a file path), maxPixels) ->
//   Promise<{ data, width, height, channels } | { declined: string }>
// The fast decoders (core/fast_decode.h: 8-bit RGB(A) PNGs with libdeflate, YCbCr JPEGs with
// libturbojpeg), file read included, in one worker job; whatever they decline, the caller
// decodes with sharp.
Napi::Value DecodeFast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool from_file = info[0].IsString();
  const std::string path = from_file ? info[0].As<Napi::String>().Utf8Value() : std::string();
  const uint8_t* data = nullptr;
  size_t size = 0;
  Napi::Value keep = env.Undefined();
  if (!from_file) {
    auto bytes = uint8_arg(info[0], "source");
    data = bytes.data, size = bytes.length, keep = bytes.value;
  }
  const int64_t max_pixels = int_arg(info[1], "maxPixels", 1, int64_t{1} << 40);
  struct Decoded {
    FastImage image;
    std::string declined;
  };
  return PromiseWorker<Decoded>::Start(
      env, "dinov3.decodeFast",
      [=] {
        Decoded d;
        const bool ok = from_file ? fast_decode_file(path, max_pixels, &d.image, &d.declined) : fast_decode(data, size, max_pixels, &d.image, &d.declined);
        if (!ok) d.image.pixels.reset();
        if (!ok && d.declined.empty()) d.declined = "declined";
        return d;
      },
      [](Napi::Env e, Decoded& d, const Napi::Array&) {
        Napi::Object o = Napi::Object::New(e);
        if (!d.image.pixels) {
          o.Set("declined", d.declined);
          return o;
        }
        const FastImage& img = d.image;
        const size_t bytes = size_t{1} * img.width * img.height * img.channels;
        auto* owner = new std::shared_ptr<uint8_t>(img.pixels);
        // Handed to JS without a copy where the runtime allows external buffers, else copied.
        auto buffer = Napi::Buffer<uint8_t>::NewOrCopy(
            e, owner->get(), bytes, [](Napi::Env, uint8_t*, std::shared_ptr<uint8_t>* p) { delete p; }, owner);
        o.Set("data", Napi::Uint8Array::New(e, bytes, buffer.ArrayBuffer(), buffer.ByteOffset()));
        o.Set("width", img.width);
        o.Set("height", img.height);
        o.Set("channels", img.channels);
        return o;
      },
      {keep});
}

// fastDecoders() -> { png: { available, library | reason }, jpeg: { ... } }: which fast decoders
// decodeFast can use (their libraries loaded).
Napi::Value FastDecoders(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto status = [&](bool available, const std::string& text) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("available", available);
    o.Set(available ? "library" : "reason", text);
    return o;
  };
  Napi::Object o = Napi::Object::New(env);
  o.Set("png", status(fast_inflate_available(), fast_inflate_status()));
  o.Set("jpeg", status(fast_jpeg_available(), fast_jpeg_status()));
  return o;
}

// halfToFloat(Uint16Array) -> Promise<Float32Array>
Napi::Value HalfToFloat(const Napi::CallbackInfo& info) {
  auto in = uint16_arg(info[0], "halves");
  auto out = Napi::Float32Array::New(info.Env(), in.length);
  const uint16_t* src = in.data;
  float* dst = out.Data();
  const size_t n = in.length;
  return PromiseWorker<bool>::Start(
      info.Env(), "dinov3.halfToFloat",
      [=] {
        halves_to_floats(src, dst, n);
        return true;
      },
      [](Napi::Env, bool&, const Napi::Array& held) { return held.Get(1u); }, {in.value, out});
}

// floatToHalf(Float32Array) -> Promise<Uint16Array>
Napi::Value FloatToHalf(const Napi::CallbackInfo& info) {
  auto in = float32_arg(info[0], "floats");
  auto out = Napi::Uint16Array::New(info.Env(), in.length);
  const float* src = in.data;
  uint16_t* dst = out.Data();
  const size_t n = in.length;
  return PromiseWorker<bool>::Start(
      info.Env(), "dinov3.floatToHalf",
      [=] {
        floats_to_halves(src, dst, n);
        return true;
      },
      [](Napi::Env, bool&, const Napi::Array& held) { return held.Get(1u); }, {in.value, out});
}

}  // namespace

void register_image_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("preprocess", Napi::Function::New<Preprocess>(env, "preprocess"));
  exports.Set("resizeRgb", Napi::Function::New<ResizeRgb>(env, "resizeRgb"));
  exports.Set("toRgb", Napi::Function::New<ToRgb>(env, "toRgb"));
  exports.Set("decodeFast", Napi::Function::New<DecodeFast>(env, "decodeFast"));
  exports.Set("fastDecoders", Napi::Function::New<FastDecoders>(env, "fastDecoders"));
  exports.Set("halfToFloat", Napi::Function::New<HalfToFloat>(env, "halfToFloat"));
  exports.Set("floatToHalf", Napi::Function::New<FloatToHalf>(env, "floatToHalf"));
}

}  // namespace dinov3::addon
