// Bindings for the rendering kernels: label overlays and field pictures (heatmaps, PCA).
#include <napi.h>

#include <string>
#include <vector>

#include "../core/field_render.h"
#include "../core/overlay.h"
#include "args.h"
#include "errors.h"
#include "ops.h"
#include "promise_worker.h"

namespace dinov3::addon {
namespace {

// overlayLabels({ photo?: Uint8Array, width, height, colOf: Int32Array, rowOf: Int32Array,
//                 labels: Int32Array, gridRows, gridCols, colours: Uint8Array, drawn: Uint8Array, alpha })
//   -> Promise<Uint8Array> (packed RGB)
Napi::Value OverlayLabels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object a = options_arg(info[0], "overlayLabels");
  LabelOverlay o;
  o.width = static_cast<int>(int_arg(a.Get("width"), "width", 1, 1 << 16));
  o.height = static_cast<int>(int_arg(a.Get("height"), "height", 1, 1 << 16));
  const size_t pixels = static_cast<size_t>(o.width) * o.height;
  Napi::Value photo_value = env.Null();
  if (a.Has("photo") && !a.Get("photo").IsNull() && !a.Get("photo").IsUndefined()) {
    auto photo = uint8_arg(a.Get("photo"), "photo");
    if (photo.length < pixels * 3) throw_invalid(env, "photo holds " + std::to_string(photo.length) + " bytes; width * height * 3 = " + std::to_string(pixels * 3) + " expected");
    o.photo = photo.data;
    photo_value = photo.value;
  }
  auto col_of = int32_arg(a.Get("colOf"), "colOf");
  auto row_of = int32_arg(a.Get("rowOf"), "rowOf");
  auto labels = int32_arg(a.Get("labels"), "labels");
  o.grid_rows = static_cast<int>(int_arg(a.Get("gridRows"), "gridRows", 1, 1 << 16));
  o.grid_cols = static_cast<int>(int_arg(a.Get("gridCols"), "gridCols", 1, 1 << 16));
  auto colours = uint8_arg(a.Get("colours"), "colours");
  auto drawn = uint8_arg(a.Get("drawn"), "drawn");
  o.alpha = static_cast<int>(int_arg(a.Get("alpha"), "alpha", 0, 256));
  if (col_of.length != static_cast<size_t>(o.width) || row_of.length != static_cast<size_t>(o.height)) {
    throw_invalid(env, "colOf and rowOf must hold width and height entries");
  }
  if (labels.length != static_cast<size_t>(o.grid_rows) * o.grid_cols) throw_invalid(env, "labels must hold gridRows * gridCols values");
  if (drawn.length == 0 || colours.length != drawn.length * 3) throw_invalid(env, "colours must hold 3 bytes for each of the k drawn flags");
  o.k = static_cast<int>(drawn.length);
  o.col_of = col_of.data;
  o.row_of = row_of.data;
  o.labels = labels.data;
  o.colours = colours.data;
  o.drawn = drawn.data;
  auto out = Napi::Uint8Array::New(env, pixels * 3);
  uint8_t* dst = out.Data();
  return PromiseWorker<bool>::Start(
      env, "dinov3.overlayLabels",
      [=] {
        render_label_overlay(o, dst);
        return true;
      },
      [](Napi::Env, bool&, const Napi::Array& held) { return held.Get(0u); },
      {out, photo_value, col_of.value, row_of.value, labels.value, colours.value, drawn.value});
}

// renderField({ values: Float32Array, channels, gridRows, gridCols, width, height,
//               xLo, xHi: Int32Array, xW: Float32Array, yLo, yHi: Int32Array, yW: Float32Array,
//               lut?: Uint8Array (256 * 3), lo, hi, threshold?, photo?: Uint8Array, alpha })
//   -> Promise<Uint8Array> (packed RGB)
Napi::Value RenderField(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options_arg(info[0], "renderField");
  FieldRender f;
  f.channels = static_cast<int>(int_property(o, "channels", 1, 1, 3));
  f.grid_rows = static_cast<int>(int_property(o, "gridRows", 0, 1, 1 << 16));
  f.grid_cols = static_cast<int>(int_property(o, "gridCols", 0, 1, 1 << 16));
  f.width = static_cast<int>(int_property(o, "width", 0, 1, 1 << 16));
  f.height = static_cast<int>(int_property(o, "height", 0, 1, 1 << 16));
  f.alpha = static_cast<int>(int_property(o, "alpha", 0, 0, 256));
  auto values = float32_arg(o.Get("values"), "values");
  auto x_lo = int32_arg(o.Get("xLo"), "xLo");
  auto x_hi = int32_arg(o.Get("xHi"), "xHi");
  auto x_w = float32_arg(o.Get("xW"), "xW");
  auto y_lo = int32_arg(o.Get("yLo"), "yLo");
  auto y_hi = int32_arg(o.Get("yHi"), "yHi");
  auto y_w = float32_arg(o.Get("yW"), "yW");
  const size_t w = static_cast<size_t>(f.width), h = static_cast<size_t>(f.height);
  if (values.length != static_cast<size_t>(f.grid_rows) * f.grid_cols * f.channels) {
    throw_invalid(env, "values must hold gridRows * gridCols * channels numbers");
  }
  if (x_lo.length != w || x_hi.length != w || x_w.length != w || y_lo.length != h || y_hi.length != h || y_w.length != h) {
    throw_invalid(env, "the sample tables must hold width (x) and height (y) entries");
  }
  std::vector<Napi::Value> keep{values.value, x_lo.value, x_hi.value, x_w.value, y_lo.value, y_hi.value, y_w.value};
  if (o.Has("lut") && !o.Get("lut").IsUndefined() && !o.Get("lut").IsNull()) {
    auto lut = uint8_arg(o.Get("lut"), "lut");
    if (lut.length != 256 * 3) throw_invalid(env, "lut must hold 256 * 3 bytes");
    f.lut = lut.data;
    keep.push_back(lut.value);
  }
  f.lo = number_property(o, "lo", 0);
  f.hi = number_property(o, "hi", 1);
  if (o.Has("threshold") && o.Get("threshold").IsNumber()) {
    f.has_threshold = true;
    f.threshold = o.Get("threshold").As<Napi::Number>().DoubleValue();
  }
  if (o.Has("photo") && !o.Get("photo").IsUndefined() && !o.Get("photo").IsNull()) {
    auto photo = uint8_arg(o.Get("photo"), "photo");
    if (photo.length < w * h * 3) throw_invalid(env, "photo must hold width * height * 3 bytes");
    f.photo = photo.data;
    keep.push_back(photo.value);
  }
  f.values = values.data;
  f.x_lo = x_lo.data, f.x_hi = x_hi.data, f.x_w = x_w.data;
  f.y_lo = y_lo.data, f.y_hi = y_hi.data, f.y_w = y_w.data;
  auto out = Napi::Uint8Array::New(env, w * h * 3);
  uint8_t* dst = out.Data();
  keep.insert(keep.begin(), out);
  return PromiseWorker<bool>::Start(
      env, "dinov3.renderField",
      [=] {
        render_field(f, dst);
        return true;
      },
      [](Napi::Env, bool&, const Napi::Array& held) { return held.Get(0u); }, keep);
}

}  // namespace

void register_render_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("overlayLabels", Napi::Function::New<OverlayLabels>(env, "overlayLabels"));
  exports.Set("renderField", Napi::Function::New<RenderField>(env, "renderField"));
}

}  // namespace dinov3::addon
