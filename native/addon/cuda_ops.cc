// Bindings for the CUDA kernels on DeviceTensors (compiled only when CUDA is). Each call runs
// on a libuv worker thread with that thread's stream; device buffers stay referenced until the
// work is done.
#include <napi.h>

#include <vector>

#include "../cuda/cuda_api.h"
#include "addon_data.h"
#include "analysis_results.h"
#include "args.h"
#include "cancel_token.h"
#include "device_tensor.h"
#include "errors.h"
#include "js_arrays.h"
#include "ops.h"
#include "promise_worker.h"
#include "worker_stream.h"

namespace dinov3::addon {
namespace {

struct DeviceViewArg {
  cuda::DeviceMatrix matrix;
  std::shared_ptr<DeviceStorage> storage;  // keeps the memory alive while the work runs
};

// { tensor: DeviceTensor (float32 | float16), offset, rows, dim, stride }
DeviceViewArg device_view_arg(const Napi::Value& v, const char* name) {
  Napi::Env env = v.Env();
  if (!v.IsObject()) throw_invalid(env, std::string(name) + " must be a device matrix view");
  Napi::Object o = v.As<Napi::Object>();
  DeviceTensor* t = DeviceTensor::From(o.Get("tensor"), "view.tensor");
  if (t->dtype() != TensorDType::kFloat32 && t->dtype() != TensorDType::kFloat16) {
    throw_invalid(env, std::string(name) + ": features must be float32 or float16");
  }
  const int64_t kMax = int64_t{1} << 40;
  const int64_t offset = int_property(o, "offset", 0, 0, kMax);
  const int64_t rows = int_property(o, "rows", 1, 1, kMax);
  const int64_t dim = int_property(o, "dim", 1, 1, kMax);
  const int64_t stride = int_property(o, "stride", dim, dim, kMax);
  if (offset + (rows - 1) * stride + dim > t->elements()) {
    throw_invalid(env, std::string(name) + ": the view reaches past the end of the tensor");
  }
  DeviceViewArg a;
  a.storage = t->storage();
  const size_t esize = dtype_size(t->dtype());
  a.matrix.data = static_cast<const uint8_t*>(a.storage->ptr) + offset * esize;
  a.matrix.dtype = t->dtype() == TensorDType::kFloat16 ? cuda::DType::kFloat16 : cuda::DType::kFloat32;
  a.matrix.rows = rows;
  a.matrix.dim = dim;
  a.matrix.stride = stride;
  return a;
}

// cudaSimilarity(view, queries: Float32Array, count) -> Promise<Float32Array(count * rows)>
Napi::Value CudaSimilarity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceViewArg x = device_view_arg(info[0], "features");
  auto queries = float32_arg(info[1], "queries");
  const int64_t count = int_arg(info[2], "count", 1, 1 << 20);
  if (static_cast<int64_t>(queries.length) != count * x.matrix.dim) throw_invalid(env, "queries must hold count * dim values");
  std::vector<float> q(queries.data, queries.data + queries.length);
  return PromiseWorker<std::vector<float>>::Start(
      env, "dinov3.cudaSimilarity",
      [x, q = std::move(q), count] {
        cuda::Stream s = worker_stream();
        cuda::DeviceBuffer dq(q.size() * sizeof(float)), dout(static_cast<size_t>(count * x.matrix.rows) * sizeof(float));
        cuda::copy_to_device(dq.data(), q.data(), q.size() * sizeof(float), s);
        cuda::cosine_similarity(x.matrix, static_cast<const float*>(dq.data()), count, static_cast<float*>(dout.data()), s);
        std::vector<float> out(static_cast<size_t>(count * x.matrix.rows));
        cuda::copy_to_host(out.data(), dout.data(), out.size() * sizeof(float), s);
        return out;
      },
      [](Napi::Env e, std::vector<float>& out, const Napi::Array&) { return to_float32(e, out); });
}

// cudaNearestNeighbours(a, b, k) -> Promise<{ aToB: {k, index, similarity}, bToA }>
Napi::Value CudaNearestNeighbours(const Napi::CallbackInfo& info) {
  DeviceViewArg a = device_view_arg(info[0], "features a");
  DeviceViewArg b = device_view_arg(info[1], "features b");
  const int k = static_cast<int>(int_arg(info[2], "k", 1, 16));
  return PromiseWorker<CorrespondenceResult>::Start(
      info.Env(), "dinov3.cudaNearestNeighbours",
      [a, b, k] { return cuda::nearest_neighbours(a.matrix, b.matrix, k, worker_stream()); },
      [](Napi::Env e, CorrespondenceResult& r, const Napi::Array&) {
        auto list = [&e](const Neighbours& n) {
          Napi::Object o = Napi::Object::New(e);
          o.Set("k", Napi::Number::New(e, n.k));
          o.Set("index", to_int32(e, n.index));
          o.Set("similarity", to_float32(e, n.similarity));
          return o;
        };
        Napi::Object o = Napi::Object::New(e);
        o.Set("aToB", list(r.a_to_b));
        o.Set("bToA", list(r.b_to_a));
        return o;
      });
}

// cudaKmeans(view, { k, maxIterations, restarts, seed, tolerance, init? }, cancel?)
Napi::Value CudaKmeans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceViewArg x = device_view_arg(info[0], "features");
  KMeansOptions opt = kmeans_options_arg(info[1]);
  Napi::Object o = info[1].As<Napi::Object>();
  std::vector<float> init;
  if (o.Has("init") && !o.Get("init").IsUndefined()) {
    auto a = float32_arg(o.Get("init"), "init");
    if (static_cast<int64_t>(a.length) != opt.k * x.matrix.dim) throw_invalid(env, "init must hold k * dim values");
    init.assign(a.data, a.data + a.length);
  }
  auto cancel = CancelToken::from(info[2]);
  return PromiseWorker<KMeansResult>::Start(
      env, "dinov3.cudaKmeans",
      [x, opt, init = std::move(init), cancel]() mutable {
        if (!init.empty()) opt.initial_centroids = init.data();
        return cuda::kmeans(x.matrix, opt, worker_stream(), cancel.get());
      },
      [](Napi::Env e, KMeansResult& r, const Napi::Array&) { return to_js(e, r); });
}

// cudaAssignNearest(view, centroids: Float32Array, k) -> Promise<{ labels, inertia }>
Napi::Value CudaAssignNearest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceViewArg x = device_view_arg(info[0], "features");
  auto c = float32_arg(info[1], "centroids");
  const int k = static_cast<int>(int_arg(info[2], "k", 1, 1 << 20));
  if (static_cast<int64_t>(c.length) != k * x.matrix.dim) throw_invalid(env, "centroids must hold k * dim values");
  std::vector<float> centroids(c.data, c.data + c.length);
  return PromiseWorker<Assignment>::Start(
      env, "dinov3.cudaAssignNearest",
      [x, centroids = std::move(centroids), k] {
        cuda::Stream s = worker_stream();
        cuda::DeviceBuffer labels(static_cast<size_t>(x.matrix.rows) * sizeof(int32_t));
        Assignment out;
        out.inertia = cuda::assign_nearest(x.matrix, centroids.data(), k, static_cast<int32_t*>(labels.data()), s);
        out.labels.resize(x.matrix.rows);
        cuda::copy_to_host(out.labels.data(), labels.data(), labels.bytes(), s);
        return out;
      },
      [](Napi::Env e, Assignment& a, const Napi::Array&) { return to_js(e, a); });
}

// cudaPca(view, { components, iterations, seed }, cancel?)
Napi::Value CudaPca(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceViewArg x = device_view_arg(info[0], "features");
  const PcaOptions opt = pca_options_arg(info[1]);
  auto cancel = CancelToken::from(info[2]);
  return PromiseWorker<PcaOutput>::Start(
      env, "dinov3.cudaPca",
      [x, opt, cancel] { return pca_output(cuda::pca(x.matrix, opt, worker_stream(), cancel.get()), x.matrix.rows); },
      [](Napi::Env e, PcaOutput& out, const Napi::Array&) { return to_js(e, out); });
}

// cudaDownloadMatrix(view) -> Promise<Float32Array(rows * dim)>
Napi::Value CudaDownloadMatrix(const Napi::CallbackInfo& info) {
  DeviceViewArg x = device_view_arg(info[0], "features");
  return PromiseWorker<std::vector<float>>::Start(
      info.Env(), "dinov3.cudaDownloadMatrix", [x] { return cuda::download_matrix(x.matrix, worker_stream()); },
      [](Napi::Env e, std::vector<float>& out, const Napi::Array&) { return to_float32(e, out); });
}

// cudaCountNonFinite(view) -> Promise<{ count, firstIndex }> (firstIndex -1 when none)
Napi::Value CudaCountNonFinite(const Napi::CallbackInfo& info) {
  DeviceViewArg x = device_view_arg(info[0], "tensor");
  return PromiseWorker<cuda::NonFiniteCount>::Start(
      info.Env(), "dinov3.cudaCountNonFinite", [x] { return cuda::count_non_finite(x.matrix, worker_stream()); },
      [](Napi::Env e, cuda::NonFiniteCount& r, const Napi::Array&) {
        Napi::Object o = Napi::Object::New(e);
        o.Set("count", Napi::Number::New(e, static_cast<double>(r.count)));
        o.Set("firstIndex", Napi::Number::New(e, static_cast<double>(r.first_index)));
        return o;
      });
}

// cudaPreprocess(frame: { tensor, offset?, width, height, pitch, format, uvOffset?, uvPitch?, fullRange? },
//                outWidth, outHeight, mean: Float32Array, std: Float32Array, out: DeviceTensor, outOffset)
Napi::Value CudaPreprocess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw_invalid(env, "frame must be an object");
  Napi::Object f = info[0].As<Napi::Object>();
  DeviceTensor* src = DeviceTensor::From(f.Get("tensor"), "frame.tensor");
  if (src->dtype() != TensorDType::kUint8) throw_invalid(env, "frame.tensor must be a uint8 DeviceTensor");
  const int64_t kMax = int64_t{1} << 40;
  cuda::DeviceFrame frame;
  auto src_storage = src->storage();
  const int64_t offset = int_property(f, "offset", 0, 0, kMax);
  frame.width = static_cast<int>(int_property(f, "width", 1, 1, 1 << 16));
  frame.height = static_cast<int>(int_property(f, "height", 1, 1, 1 << 16));
  frame.pitch = int_property(f, "pitch", 1, 1, kMax);
  frame.format = static_cast<cuda::FrameFormat>(int_property(f, "format", 1, 0, 5));
  frame.full_range = f.Has("fullRange") && f.Get("fullRange").ToBoolean();
  const uint8_t* base = static_cast<const uint8_t*>(src_storage->ptr);
  frame.data = base + offset;
  int64_t end = offset + frame.pitch * frame.height;
  if (frame.format == cuda::FrameFormat::kNV12) {
    const int64_t uv_offset = int_property(f, "uvOffset", offset + frame.pitch * frame.height, 0, kMax);
    frame.uv_pitch = int_property(f, "uvPitch", frame.pitch, 1, kMax);
    frame.uv = base + uv_offset;
    end = std::max(end, uv_offset + frame.uv_pitch * ((frame.height + 1) / 2));
  }
  if (end > static_cast<int64_t>(src_storage->bytes)) throw_invalid(env, "frame reaches past the end of its tensor");
  const int out_w = static_cast<int>(int_arg(info[1], "outWidth", 1, 1 << 15));
  const int out_h = static_cast<int>(int_arg(info[2], "outHeight", 1, 1 << 15));
  auto mean = float32_arg(info[3], "mean");
  auto stdev = float32_arg(info[4], "std");
  if (mean.length != 3 || stdev.length != 3) throw_invalid(env, "mean and std must hold 3 values");
  Normalization norm;
  for (int c = 0; c < 3; ++c) norm.mean[c] = mean.data[c], norm.std[c] = stdev.data[c];
  DeviceTensor* out = DeviceTensor::From(info[5], "out");
  if (out->dtype() != TensorDType::kFloat32 && out->dtype() != TensorDType::kFloat16) {
    throw_invalid(env, "out must be a float32 or float16 DeviceTensor");
  }
  const int64_t out_offset = int_arg(info[6], "outOffset", 0, kMax);
  if (out_offset + int64_t{3} * out_w * out_h > out->elements()) throw_invalid(env, "out is too small");
  auto out_storage = out->storage();
  const cuda::DType out_type = out->dtype() == TensorDType::kFloat16 ? cuda::DType::kFloat16 : cuda::DType::kFloat32;
  void* dst = static_cast<uint8_t*>(out_storage->ptr) + out_offset * dtype_size(out->dtype());
  return PromiseWorker<bool>::Start(
      env, "dinov3.cudaPreprocess",
      [=] {
        (void)src_storage;  // held until done
        (void)out_storage;
        cuda::Stream s = worker_stream();
        cuda::preprocess(frame, out_w, out_h, norm, dst, out_type, s);
        cuda::synchronize(s);
        return true;
      },
      [](Napi::Env e, bool&, const Napi::Array&) { return e.Undefined(); });
}

}  // namespace

void register_cuda_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("DeviceTensor", DeviceTensor::Define(env));
  exports.Set("cudaSimilarity", Napi::Function::New<CudaSimilarity>(env, "cudaSimilarity"));
  exports.Set("cudaNearestNeighbours", Napi::Function::New<CudaNearestNeighbours>(env, "cudaNearestNeighbours"));
  exports.Set("cudaKmeans", Napi::Function::New<CudaKmeans>(env, "cudaKmeans"));
  exports.Set("cudaAssignNearest", Napi::Function::New<CudaAssignNearest>(env, "cudaAssignNearest"));
  exports.Set("cudaPca", Napi::Function::New<CudaPca>(env, "cudaPca"));
  exports.Set("cudaDownloadMatrix", Napi::Function::New<CudaDownloadMatrix>(env, "cudaDownloadMatrix"));
  exports.Set("cudaPreprocess", Napi::Function::New<CudaPreprocess>(env, "cudaPreprocess"));
  exports.Set("cudaCountNonFinite", Napi::Function::New<CudaCountNonFinite>(env, "cudaCountNonFinite"));
}

}  // namespace dinov3::addon
