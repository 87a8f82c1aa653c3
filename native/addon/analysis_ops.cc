// Bindings for the CPU analysis kernels: similarity, k-means, nearest-centroid assignment,
// centroid matching and PCA. Inputs are strided views of Float32Arrays; the work runs on a
// libuv worker thread (the kernels themselves use the core thread pool for large inputs).
#include <napi.h>

#include <vector>

#include "../core/kmeans.h"
#include "../core/match.h"
#include "../core/pca.h"
#include "../core/similarity.h"
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

Napi::Object kmeans_result(Napi::Env env, KMeansResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("labels", to_int32(env, r.labels));
  o.Set("centroids", to_float32(env, r.centroids));
  o.Set("inertia", r.inertia);
  o.Set("iterations", r.iterations);
  o.Set("converged", r.converged);
  return o;
}

// kmeans(view, { k, maxIterations, restarts, seed, tolerance, init?: Float32Array }, cancel?)
Napi::Value KMeans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ViewArg x = matrix_view_arg(info[0], "features");
  if (!info[1].IsObject()) throw_invalid(env, "kmeans options must be an object");
  Napi::Object o = info[1].As<Napi::Object>();
  KMeansOptions opt;
  opt.k = static_cast<int>(int_property(o, "k", 2, 1, 1 << 20));
  opt.max_iterations = static_cast<int>(int_property(o, "maxIterations", 50, 1, 1 << 20));
  opt.restarts = static_cast<int>(int_property(o, "restarts", 1, 1, 10000));
  opt.seed = static_cast<uint64_t>(int_property(o, "seed", 0, 0, (int64_t{1} << 53)));
  opt.tolerance = number_property(o, "tolerance", 1e-4);
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
      [](Napi::Env e, KMeansResult& r, const Napi::Array&) { return kmeans_result(e, r); }, keep);
}

struct Assignment {
  std::vector<int32_t> labels;
  double inertia = 0;
};

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
      [](Napi::Env e, Assignment& a, const Napi::Array&) {
        Napi::Object o = Napi::Object::New(e);
        o.Set("labels", to_int32(e, a.labels));
        o.Set("inertia", a.inertia);
        return o;
      },
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
  if (!info[1].IsObject()) throw_invalid(env, "pca options must be an object");
  Napi::Object o = info[1].As<Napi::Object>();
  PcaOptions opt;
  opt.components = static_cast<int>(int_property(o, "components", 3, 1, 1 << 16));
  opt.iterations = static_cast<int>(int_property(o, "iterations", 40, 1, 10000));
  opt.seed = static_cast<uint64_t>(int_property(o, "seed", 0, 0, (int64_t{1} << 53)));
  auto cancel = CancelToken::from(info[2]);
  const MatrixView view = x.view;
  struct Out {
    PcaResult result;
    std::vector<uint8_t> bytes;
  };
  return PromiseWorker<Out>::Start(
      env, "dinov3.pca",
      [=] {
        Out out{pca(view, opt, cancel.get()), {}};
        out.bytes.resize(static_cast<size_t>(view.rows) * opt.components);
        projections_to_bytes(out.result, view.rows, out.bytes.data());
        return out;
      },
      [](Napi::Env e, Out& out, const Napi::Array&) {
        Napi::Object r = Napi::Object::New(e);
        r.Set("projections", to_float32(e, out.result.projections));
        r.Set("axes", to_float32(e, out.result.axes));
        r.Set("mean", to_float32(e, out.result.mean));
        r.Set("explainedVariance", to_float64(e, out.result.explained_variance));
        r.Set("totalVariance", out.result.total_variance);
        r.Set("bytes", to_uint8(e, out.bytes));
        return r;
      },
      {x.keep_alive});
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
