// Options and results shared by the CPU (analysis_ops.cc) and CUDA (cuda_ops.cc) bindings of
// k-means, nearest-centroid assignment and PCA: one parser per option object, one converter per
// result, so both paths return exactly the same JS shapes.
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "../core/kmeans.h"
#include "../core/pca.h"

namespace dinov3::addon {

// { k, maxIterations, restarts, seed, tolerance } (init is read by the caller: it needs dim).
KMeansOptions kmeans_options_arg(const Napi::Value& v);

// { components, iterations, seed }
PcaOptions pca_options_arg(const Napi::Value& v);

struct Assignment {
  std::vector<int32_t> labels;
  double inertia = 0;
};

struct PcaOutput {
  PcaResult result;
  std::vector<uint8_t> bytes;  // projections scaled to 0..255 (rows x components)
};

// Scales the projections to bytes (done on the worker thread).
PcaOutput pca_output(PcaResult result, int64_t rows);

Napi::Object to_js(Napi::Env env, KMeansResult& r);
Napi::Object to_js(Napi::Env env, Assignment& a);
Napi::Object to_js(Napi::Env env, PcaOutput& p);

}  // namespace dinov3::addon
