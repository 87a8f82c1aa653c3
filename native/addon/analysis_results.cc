#include "analysis_results.h"

#include "args.h"
#include "errors.h"
#include "js_arrays.h"

namespace dinov3::addon {

KMeansOptions kmeans_options_arg(const Napi::Value& v) {
  if (!v.IsObject()) throw_invalid(v.Env(), "kmeans options must be an object");
  Napi::Object o = v.As<Napi::Object>();
  KMeansOptions opt;
  opt.k = static_cast<int>(int_property(o, "k", 2, 1, 1 << 20));
  opt.max_iterations = static_cast<int>(int_property(o, "maxIterations", 50, 1, 1 << 20));
  opt.restarts = static_cast<int>(int_property(o, "restarts", 1, 1, 10000));
  opt.seed = static_cast<uint64_t>(int_property(o, "seed", 0, 0, int64_t{1} << 53));
  opt.tolerance = number_property(o, "tolerance", 1e-4);
  return opt;
}

PcaOptions pca_options_arg(const Napi::Value& v) {
  if (!v.IsObject()) throw_invalid(v.Env(), "pca options must be an object");
  Napi::Object o = v.As<Napi::Object>();
  PcaOptions opt;
  opt.components = static_cast<int>(int_property(o, "components", 3, 1, 1 << 16));
  opt.iterations = static_cast<int>(int_property(o, "iterations", 40, 1, 10000));
  opt.seed = static_cast<uint64_t>(int_property(o, "seed", 0, 0, int64_t{1} << 53));
  return opt;
}

PcaOutput pca_output(PcaResult result, int64_t rows) {
  PcaOutput out{std::move(result), {}};
  out.bytes.resize(static_cast<size_t>(rows) * out.result.components);
  projections_to_bytes(out.result, rows, out.bytes.data());
  return out;
}

Napi::Object to_js(Napi::Env env, KMeansResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("labels", to_int32(env, r.labels));
  o.Set("centroids", to_float32(env, r.centroids));
  o.Set("inertia", r.inertia);
  o.Set("iterations", r.iterations);
  o.Set("converged", r.converged);
  return o;
}

Napi::Object to_js(Napi::Env env, Assignment& a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("labels", to_int32(env, a.labels));
  o.Set("inertia", a.inertia);
  return o;
}

Napi::Object to_js(Napi::Env env, PcaOutput& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("projections", to_float32(env, p.result.projections));
  o.Set("axes", to_float32(env, p.result.axes));
  o.Set("mean", to_float32(env, p.result.mean));
  o.Set("explainedVariance", to_float64(env, p.result.explained_variance));
  o.Set("totalVariance", p.result.total_variance);
  o.Set("bytes", to_uint8(env, p.bytes));
  return o;
}

}  // namespace dinov3::addon
