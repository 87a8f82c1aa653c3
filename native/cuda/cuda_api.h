// Host-side interface of the CUDA kernels. Plain C++ (no CUDA headers): the addon and the
// TensorRT module include this and are compiled by the host compiler; the implementations
// live in the .cu files of this folder and are compiled by nvcc.
//
// Conventions
// - Every function that takes a `Stream` enqueues work on that CUDA stream (nullptr = the
//   legacy default stream) and returns without waiting unless it says it synchronises.
// - Device matrices are strided views (pointer, rows, dim, stride in elements) of fp32 or fp16
//   values, so patch tokens are read straight out of a [tokens, dim] last_hidden_state buffer.
// - Results that the host needs (labels, centroids, inertia) are copied back once, at the end
//   of an operation; iterative loops never round-trip to the host.
// - Errors throw dinov3::Error with ERR_DINO_CUDA, ERR_DINO_CUDA_OOM or
//   ERR_DINO_CUDA_UNAVAILABLE (no driver / no device), or the same argument codes as the CPU core.
// - Results match the CPU core (native/core) within the tolerances its CTest tests state.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/correspondence.h"
#include "../core/kmeans.h"
#include "../core/pca.h"
#include "../core/preprocess.h"

namespace dinov3::cuda {

using Stream = void*;  // cudaStream_t

// ---- runtime ----------------------------------------------------------------------------------
struct DeviceInfo {
  int index = 0;
  std::string name;
  int major = 0, minor = 0;           // compute capability
  size_t total_memory = 0;            // bytes
  int multiprocessors = 0;
  bool integrated = false;            // Jetson: GPU shares system memory
};

struct RuntimeInfo {
  bool available = false;             // a driver and at least one device
  std::string reason;                 // why not, when unavailable
  int driver_version = 0;             // e.g. 12060
  int runtime_version = 0;            // the CUDA runtime compiled in
  std::vector<DeviceInfo> devices;
};

// Never throws: a machine without a driver reports available = false with the reason.
RuntimeInfo runtime_info();

// Throws ERR_DINO_CUDA_UNAVAILABLE with the reason when no device can be used.
void require_device();

// ---- memory and streams -----------------------------------------------------------------------
// Device memory owned by its holder (256-byte aligned, as TensorRT requires of tensor addresses).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);  // throws ERR_DINO_CUDA_OOM when allocation fails
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  void reset();  // frees now

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

Stream create_stream();            // non-blocking stream
void destroy_stream(Stream stream);
void synchronize(Stream stream);   // throws on any asynchronous error

void copy_to_device(void* dst, const void* src, size_t bytes, Stream stream);
void copy_to_host(void* dst, const void* src, size_t bytes, Stream stream);  // synchronises the stream

// ---- tensors ----------------------------------------------------------------------------------
enum class DType : int { kFloat32 = 0, kFloat16 = 1 };

struct DeviceMatrix {
  const void* data = nullptr;  // device pointer to element (0, 0)
  DType dtype = DType::kFloat32;
  int64_t rows = 0;
  int64_t dim = 0;
  int64_t stride = 0;  // elements between row starts
};

// Converts a device matrix view to a dense fp32 host matrix (rows * dim). Synchronises.
std::vector<float> download_matrix(const DeviceMatrix& x, Stream stream);

// NaN and Infinity values of a device matrix, counted on the GPU (native/cuda/non_finite.cu).
struct NonFiniteCount {
  int64_t count = 0;
  int64_t first_index = -1;  // row * dim + column of the first one (dense index); -1 when none
};
// Synchronises the stream (the count is copied back).
NonFiniteCount count_non_finite(const DeviceMatrix& x, Stream stream);

// ---- preprocessing ----------------------------------------------------------------------------
enum class FrameFormat : int { kRGB = 0, kRGBA = 1, kBGR = 2, kBGRA = 3, kGray = 4, kNV12 = 5 };

// A frame in device memory (or host memory the GPU can address, e.g. Jetson pinned/unified).
struct DeviceFrame {
  const uint8_t* data = nullptr;     // packed pixels, or the Y plane of NV12
  int64_t pitch = 0;                 // bytes per row of `data`
  const uint8_t* uv = nullptr;       // NV12 only: the interleaved UV plane (half height)
  int64_t uv_pitch = 0;
  int width = 0, height = 0;
  FrameFormat format = FrameFormat::kRGBA;
  bool full_range = false;           // NV12 only: full-range (JPEG) instead of limited-range video
};

// One kernel: reads the frame at any pitch and writes the normalised NCHW tensor
// (3 x out_height x out_width) with the same arithmetic as dinov3::preprocess (PIL bilinear,
// 22-bit fixed point, uint8 rounding after each pass), so results equal the CPU core's.
// NV12 is first converted to RGB exactly as dinov3::nv12_to_rgb (native/core/color.h) does.
// dst may be fp32 or fp16 (for fp16 engine inputs).
void preprocess(const DeviceFrame& frame, int out_width, int out_height, const Normalization& norm, void* dst,
                DType dst_type, Stream stream);

// ---- analysis ---------------------------------------------------------------------------------
// out (device, nq * rows floats) = cosine similarity of each query (device, nq * dim fp32) to
// each row; zero vectors give 0.
void cosine_similarity(const DeviceMatrix& x, const float* queries, int64_t nq, float* out, Stream stream);

// k-means with the CPU core's algorithm and options (k-means++ seeding from the same Rng
// stream, Lloyd iterations, empty-cluster repair, tolerance, restarts, warm start). The whole
// iteration loop runs on the device (captured in a CUDA graph where that pays); the result is
// copied to the host at the end. Synchronises the stream.
KMeansResult kmeans(const DeviceMatrix& x, const KMeansOptions& options, Stream stream,
                    const std::atomic<bool>* cancel = nullptr);

// Nearest-centroid labels (device int32, rows) for host centroids; returns the sum of squared
// distances. Synchronises.
double assign_nearest(const DeviceMatrix& x, const float* host_centroids, int k, int32_t* device_labels,
                      Stream stream);

// The k nearest rows of b for every row of a and of a for every row of b under cosine
// similarity (k <= 16), as the CPU core's nearest_neighbours. Synchronises.
CorrespondenceResult nearest_neighbours(const DeviceMatrix& a, const DeviceMatrix& b, int k, Stream stream);

// PCA with the CPU core's method and sign rule. Synchronises.
PcaResult pca(const DeviceMatrix& x, const PcaOptions& options, Stream stream,
              const std::atomic<bool>* cancel = nullptr);

}  // namespace dinov3::cuda
