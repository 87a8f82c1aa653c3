// DeviceMatrix checks and download_matrix. fp16 is converted on the host after a strided copy
// (fp16 -> fp32 is exact, so this equals a device-side conversion and needs no kernel).
#include <cstdint>
#include <string>
#include <vector>

#include "../core/error.h"
#include "../core/half.h"
#include "cuda_check.h"
#include "matrix_checks.h"

namespace dinov3::cuda {

size_t element_bytes(DType type) { return type == DType::kFloat16 ? 2 : 4; }

void check_matrix(const DeviceMatrix& x, const char* what) {
  require(x.data != nullptr, codes::kInvalidArgument, std::string(what) + ": no data");
  require(x.rows > 0 && x.dim > 0, codes::kInvalidArgument,
          std::string(what) + ": rows and dim must be positive (got " + std::to_string(x.rows) + "x" +
              std::to_string(x.dim) + ")");
  require(x.stride >= x.dim, codes::kInvalidArgument,
          std::string(what) + ": stride " + std::to_string(x.stride) + " is smaller than dim " + std::to_string(x.dim));
  require(x.dtype == DType::kFloat32 || x.dtype == DType::kFloat16, codes::kInvalidArgument,
          std::string(what) + ": unknown element type");
}

bool vector_loads_ok(const DeviceMatrix& x) {
  const size_t align = 4 * element_bytes(x.dtype);
  return x.dim % 4 == 0 && x.stride % 4 == 0 && reinterpret_cast<uintptr_t>(x.data) % align == 0;
}

std::vector<float> download_matrix(const DeviceMatrix& x, Stream stream) {
  check_matrix(x, "matrix");
  require_device();
  const auto s = static_cast<cudaStream_t>(stream);
  const size_t esize = element_bytes(x.dtype);
  const size_t n = static_cast<size_t>(x.rows) * x.dim;
  std::vector<float> out(n);
  std::vector<uint16_t> halves(x.dtype == DType::kFloat16 ? n : 0);
  void* dst = x.dtype == DType::kFloat16 ? static_cast<void*>(halves.data()) : static_cast<void*>(out.data());
  check_cuda(cudaMemcpy2DAsync(dst, x.dim * esize, x.data, x.stride * esize, x.dim * esize, x.rows,
                               cudaMemcpyDeviceToHost, s),
             "download_matrix: cudaMemcpy2DAsync");
  check_cuda(cudaStreamSynchronize(s), "download_matrix: cudaStreamSynchronize");
  if (x.dtype == DType::kFloat16) halves_to_floats(halves.data(), out.data(), n);
  return out;
}

}  // namespace dinov3::cuda
