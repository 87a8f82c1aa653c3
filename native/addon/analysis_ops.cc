// Bindings for the CPU analysis kernels: similarity, k-means, nearest-centroid assignment,
// centroid matching and PCA. Inputs are strided views of Float32Arrays; the work runs on a
// libuv worker thread (the kernels themselves use the core thread pool for large inputs).
#include <napi.h>

#include <vector>

#include "../core/kmeans.h"
#include "../core/match.h"
#include "../core/pca.h"
#include "../core/similarity.h"
#include "analysis_results.h"
#include "args.h"
#include "cancel_token.h"
#include "errors.h"
#include "js_arrays.h"
#include "ops.h"
#include "promise_worker.h"

namespace dinov3::addon {
namespace {

// similarity(view, queries: Float32Array, count) -> Promise<Float32Array(count * rows)>
Napi::Value Similarity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ViewArg x = matrix_view_arg(info[0], "features");
  auto queries = float32_arg(info[1], "queries");
  const int64_t count = int_arg(info[2], "count", 1, 1 << 20);
  if (static_cast<int64_t>(queries.length) != count * x.view.dim) {
    throw_invalid(env, "queries must hold count * dim = " + std::to_string(count * x.view.dim) + " values, got " +
                           std::to_string(queries.length));
  }
  const MatrixView view = x.view;
  const float* q = queries.data;
  return PromiseWorker<std::vector<float>>::Start(
      env, "dinov3.similarity",
      [=] {
        std::vector<float> out(static_cast<size_t>(count) * view.rows);
        cosine_similarity(view, q, count, out.data());
        return out;
      },
      [](Napi::Env e, std::vector<float>& out, const Napi::Array&) { return to_float32(e, out); },
      {x.keep_alive, queries.value});
}

// kmeans(view, { k, maxIterations, restarts, seed, tolerance, init?: Float32Array }, cancel?)
Napi::Value KMeans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ViewArg x = matrix_view_arg(info[0], "features");
  KMeansOptions opt = kmeans_options_arg(info[1]);
  Napi::Object o = info[1].As<Napi::Object>();
  std::vector<Napi::Value> keep = {x.keep_alive};
  if (o.Has("init") && !o.Get("init").IsUndefined()) {
    auto init = float32_arg(o.Get("init"), "init");
    if (static_cast<int64_t>(init.length) != opt.k * x.view.dim) {
      throw_invalid(env, "init must hold k * dim = " + std::to_string(opt.k * x.view.dim) + " values");
    }
    opt.initial_centroids = init.data;
    keep.push_back(init.value);
  }
  auto cancel = CancelToken::from(info[2]);
  const MatrixView view = x.view;
  return PromiseWorker<KMeansResult>::Start(
      env, "dinov3.kmeans", [=] { return kmeans(view, opt, cancel.get()); },
      [](Napi::Env e, KMeansResult& r, const Napi::Array&) { return to_js(e, r); }, keep);
}

// assignNearest(view, centroids: Float32Array, k) -> Promise<{ labels, inertia }>
Napi::Value AssignNearest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ViewArg x = matrix_view_arg(info[0], "features");
  auto centroids = float32_arg(info[1], "centroids");
  const int k = static_cast<int>(int_arg(info[2], "k", 1, 1 << 20));
  if (static_cast<int64_t>(centroids.length) != k * x.view.dim) {
    throw_invalid(env, "centroids must hold k * dim values");
  }
  const MatrixView view = x.view;
  const float* c = centroids.data;
  return PromiseWorker<Assignment>::Start(
      env, "dinov3.assignNearest",
      [=] {
        check_finite(view, "features");
        Assignment a;
        a.labels.resize(view.rows);
        a.inertia = assign_nearest(view, c, k, a.labels.data());
        return a;
      },
      [](Napi::Env e, Assignment& a, const Napi::Array&) { return to_js(e, a); },
      {x.keep_alive, centroids.value});
}

// matchCentroids(previous: Float32Array, current: Float32Array, k, dim) -> Int32Array (sync, tiny)
Napi::Value MatchCentroids(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto prev = float32_arg(info[0], "previous");
  auto cur = float32_arg(info[1], "current");
  const int k = static_cast<int>(int_arg(info[2], "k", 1, 4096));
  const int64_t dim = int_arg(info[3], "dim", 1, 1 << 20);
  if (static_cast<int64_t>(prev.length) != k * dim || static_cast<int64_t>(cur.length) != k * dim) {
    throw_invalid(env, "previous and current must each hold k * dim values");
  }
  const std::vector<int> m = match_centroids(prev.data, cur.data, k, dim);
  return to_int32(env, std::vector<int32_t>(m.begin(), m.end()));
}

// pca(view, { components, iterations, seed }, cancel?) -> Promise<{...}>
Napi::Value Pca(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ViewArg x = matrix_view_arg(info[0], "features");
  const PcaOptions opt = pca_options_arg(info[1]);
  auto cancel = CancelToken::from(info[2]);
  const MatrixView view = x.view;
  return PromiseWorker<PcaOutput>::Start(
      env, "dinov3.pca", [=] { return pca_output(pca(view, opt, cancel.get()), view.rows); },
      [](Napi::Env e, PcaOutput& out, const Napi::Array&) { return to_js(e, out); }, {x.keep_alive});
}

}  // namespace

void register_analysis_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("similarity", Napi::Function::New<Similarity>(env, "similarity"));
  exports.Set("kmeans", Napi::Function::New<KMeans>(env, "kmeans"));
  exports.Set("assignNearest", Napi::Function::New<AssignNearest>(env, "assignNearest"));
  exports.Set("matchCentroids", Napi::Function::New<MatchCentroids>(env, "matchCentroids"));
  exports.Set("pca", Napi::Function::New<Pca>(env, "pca"));
}

}  // namespace dinov3::addon
