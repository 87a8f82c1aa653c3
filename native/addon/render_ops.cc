// Bindings for rendering kernels (label overlays).
#include <napi.h>

#include <string>

#include "../core/overlay.h"
#include "args.h"
#include "errors.h"
#include "ops.h"
#include "promise_worker.h"

namespace dinov3::addon {
namespace {

// overlayLabels(photo: Uint8Array | null, width, height, colOf: Int32Array, rowOf: Int32Array,
//               labels: Int32Array, gridRows, gridCols, colours: Uint8Array, drawn: Uint8Array,
//               alpha) -> Promise<Uint8Array> (packed RGB)
Napi::Value OverlayLabels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LabelOverlay o;
  o.width = static_cast<int>(int_arg(info[1], "width", 1, 1 << 16));
  o.height = static_cast<int>(int_arg(info[2], "height", 1, 1 << 16));
  const size_t pixels = static_cast<size_t>(o.width) * o.height;
  Napi::Value photo_value = env.Null();
  if (!info[0].IsNull() && !info[0].IsUndefined()) {
    auto photo = uint8_arg(info[0], "photo");
    if (photo.length < pixels * 3) throw_invalid(env, "photo holds " + std::to_string(photo.length) + " bytes; width * height * 3 = " + std::to_string(pixels * 3) + " expected");
    o.photo = photo.data;
    photo_value = photo.value;
  }
  auto col_of = int32_arg(info[3], "colOf");
  auto row_of = int32_arg(info[4], "rowOf");
  auto labels = int32_arg(info[5], "labels");
  o.grid_rows = static_cast<int>(int_arg(info[6], "gridRows", 1, 1 << 16));
  o.grid_cols = static_cast<int>(int_arg(info[7], "gridCols", 1, 1 << 16));
  auto colours = uint8_arg(info[8], "colours");
  auto drawn = uint8_arg(info[9], "drawn");
  o.alpha = static_cast<int>(int_arg(info[10], "alpha", 0, 256));
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

}  // namespace

void register_render_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("overlayLabels", Napi::Function::New<OverlayLabels>(env, "overlayLabels"));
}

}  // namespace dinov3::addon
