// Bindings for the correspondence kernels on host features: nearest neighbours between two
// images' patches (dense matching) and one step of label propagation (video tracking). The
// work runs on a libuv worker thread.
#include <napi.h>

#include <string>
#include <vector>

#include "../core/correspondence.h"
#include "../core/propagation.h"
#include "args.h"
#include "errors.h"
#include "js_arrays.h"
#include "ops.h"
#include "promise_worker.h"

namespace dinov3::addon {
namespace {

Napi::Object neighbours_to_js(Napi::Env env, const Neighbours& n) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("k", Napi::Number::New(env, n.k));
  o.Set("index", to_int32(env, n.index));
  o.Set("similarity", to_float32(env, n.similarity));
  return o;
}

// nearestNeighbours(a: view, b: view, k) -> Promise<{ aToB: {k, index, similarity}, bToA: {...} }>
Napi::Value NearestNeighbours(const Napi::CallbackInfo& info) {
  ViewArg a = matrix_view_arg(info[0], "features a");
  ViewArg b = matrix_view_arg(info[1], "features b");
  const int k = static_cast<int>(int_arg(info[2], "k", 1, 16));
  const MatrixView va = a.view, vb = b.view;
  return PromiseWorker<CorrespondenceResult>::Start(
      info.Env(), "dinov3.nearestNeighbours", [=] { return nearest_neighbours(va, vb, k); },
      [](Napi::Env e, CorrespondenceResult& r, const Napi::Array&) {
        Napi::Object o = Napi::Object::New(e);
        o.Set("aToB", neighbours_to_js(e, r.a_to_b));
        o.Set("bToA", neighbours_to_js(e, r.b_to_a));
        return o;
      },
      {a.keep_alive, b.keep_alive});
}

struct Propagated {
  std::vector<float> features;  // the current frame's normalised features
  std::vector<float> probs;
};

// propagateLabels(current: view, context: Float32Array, frames, contextProbs: Float32Array, labels,
//                 { rows, cols, topk, temperature, radius, circle })
//   -> Promise<{ features: Float32Array, probs: Float32Array }>
Napi::Value PropagateLabels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ViewArg cur = matrix_view_arg(info[0], "current");
  auto context = float32_arg(info[1], "context");
  const int frames = static_cast<int>(int_arg(info[2], "frames", 1, 1 << 16));
  auto probs = float32_arg(info[3], "contextProbs");
  const int labels = static_cast<int>(int_arg(info[4], "labels", 1, 255));
  Napi::Object o = options_arg(info[5], "propagateLabels");
  PropagationOptions opt;
  opt.rows = static_cast<int>(int_property(o, "rows", 0, 1, 1 << 16));
  opt.cols = static_cast<int>(int_property(o, "cols", 0, 1, 1 << 16));
  opt.topk = static_cast<int>(int_property(o, "topk", 5, 1, 1 << 16));
  opt.temperature = static_cast<float>(number_property(o, "temperature", 0.2));
  opt.radius = static_cast<float>(number_property(o, "radius", 12));
  opt.circle = !o.Has("circle") || o.Get("circle").ToBoolean().Value();
  const int64_t n = cur.view.rows;
  if (static_cast<int64_t>(context.length) < int64_t{frames} * n * cur.view.dim) {
    throw_invalid(env, "context must hold frames * patches * dim = " + std::to_string(int64_t{frames} * n * cur.view.dim) +
                           " values, got " + std::to_string(context.length));
  }
  if (static_cast<int64_t>(probs.length) < int64_t{frames} * n * labels) {
    throw_invalid(env, "contextProbs must hold frames * patches * labels values");
  }
  const MatrixView view = cur.view;
  const float* ctx = context.data;
  const float* cp = probs.data;
  return PromiseWorker<Propagated>::Start(
      env, "dinov3.propagateLabels",
      [=] {
        Propagated r;
        r.features = normalized_rows(view);
        r.probs.resize(static_cast<size_t>(n) * labels);
        const MatrixView normalised{r.features.data(), view.rows, view.dim, view.dim};
        propagate_labels(normalised, ctx, frames, cp, labels, opt, r.probs.data());
        return r;
      },
      [](Napi::Env e, Propagated& r, const Napi::Array&) {
        Napi::Object out = Napi::Object::New(e);
        out.Set("features", to_float32(e, r.features));
        out.Set("probs", to_float32(e, r.probs));
        return out;
      },
      {cur.keep_alive, context.value, probs.value});
}

// normalizeRows(view) -> Promise<Float32Array(rows * dim)>
Napi::Value NormalizeRows(const Napi::CallbackInfo& info) {
  ViewArg x = matrix_view_arg(info[0], "features");
  const MatrixView view = x.view;
  return PromiseWorker<std::vector<float>>::Start(
      info.Env(), "dinov3.normalizeRows", [=] { return normalized_rows(view); },
      [](Napi::Env e, std::vector<float>& v, const Napi::Array&) { return to_float32(e, v); }, {x.keep_alive});
}

}  // namespace

void register_correspondence_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("nearestNeighbours", Napi::Function::New<NearestNeighbours>(env, "nearestNeighbours"));
  exports.Set("propagateLabels", Napi::Function::New<PropagateLabels>(env, "propagateLabels"));
  exports.Set("normalizeRows", Napi::Function::New<NormalizeRows>(env, "normalizeRows"));
}

}  // namespace dinov3::addon
