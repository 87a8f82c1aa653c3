// Internal helpers of the TensorRT module (includes TensorRT headers; never include this from
// the addon). Version differences are confined to the few places where the API really differs;
// the macros below name them.
#pragma once
#include "trt_headers.h"

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "../core/error.h"
#include "trt_module.h"

#if !defined(NV_TENSORRT_MAJOR) || NV_TENSORRT_MAJOR < 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR < 5)
#error "dinov3-trt needs TensorRT 8.5 or newer (JetPack 5.1+); see docs/JETSON.md"
#endif

// TensorRT >= 10: IProgressMonitor, ExecutionContextAllocationStrategy, Dims64, always explicit batch.
#define DINOV3_TRT_10 (NV_TENSORRT_MAJOR >= 10)
// TensorRT >= 11: strongly typed only (no BuilderFlag::kFP16, no layer precision API).
#define DINOV3_TRT_STRONGLY_TYPED_ONLY (NV_TENSORRT_MAJOR >= 11)
// TensorRT 10.x: BuilderFlag::kBF16 on a weakly typed network (11 is strongly typed: the ONNX decides).
#define DINOV3_TRT_BF16 (NV_TENSORRT_MAJOR >= 10 && !DINOV3_TRT_STRONGLY_TYPED_ONLY)
// TensorRT >= 8.6: builder optimization level, INormalizationLayer.
#define DINOV3_TRT_86 (NV_TENSORRT_MAJOR > 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR >= 6))
// TensorRT 8.5 only: the faster dynamic-shapes preview feature is opt-in (default-on from 8.6).
#define DINOV3_TRT_85 (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR == 5)
// TensorRT >= 10.1: getDeviceMemorySize() deprecated in favour of getDeviceMemorySizeV2().
#define DINOV3_TRT_101 (NV_TENSORRT_MAJOR > 10 || (NV_TENSORRT_MAJOR == 10 && NV_TENSORRT_MINOR >= 1))

namespace dinov3::trt {

// TensorRT objects are released with delete (TensorRT >= 8).
template <typename T>
using Ptr = std::unique_ptr<T>;

// ---- dims: Dims32 (int32_t d[]) before 10, Dims64 (int64_t d[]) from 10 ----------------------
using DimValue = std::remove_reference_t<decltype(std::declval<nvinfer1::Dims&>().d[0])>;

inline Shape to_shape(const nvinfer1::Dims& d) {
  Shape s;
  if (d.nbDims < 0) return s;  // "unknown rank" (TensorRT returns nbDims -1 for bad names)
  s.reserve(static_cast<size_t>(d.nbDims));
  for (int32_t i = 0; i < d.nbDims; ++i) s.push_back(static_cast<int64_t>(d.d[i]));
  return s;
}

inline nvinfer1::Dims to_dims(const Shape& s) {
  if (s.size() > static_cast<size_t>(nvinfer1::Dims::MAX_DIMS)) {
    fail(codes::kInvalidArgument, "a shape has " + std::to_string(s.size()) + " dimensions; TensorRT allows at most " +
                                      std::to_string(nvinfer1::Dims::MAX_DIMS));
  }
  nvinfer1::Dims d{};
  d.nbDims = static_cast<int32_t>(s.size());
  for (size_t i = 0; i < s.size(); ++i) d.d[i] = static_cast<DimValue>(s[i]);
  return d;
}

std::string shape_string(const Shape& s);

DataType from_trt(nvinfer1::DataType t);

// ---- versions ----------------------------------------------------------------------------------
// getInferLibVersion(): major*1000 + minor*100 + patch before TensorRT 10, major*10000 + ... from 10.
void decode_version(int32_t v, int& major, int& minor, int& patch);
VersionInfo version_info();

// ---- log severity ------------------------------------------------------------------------------
inline LogSeverity from_trt(nvinfer1::ILogger::Severity s) {
  switch (s) {
    case nvinfer1::ILogger::Severity::kINTERNAL_ERROR: return LogSeverity::kInternalError;
    case nvinfer1::ILogger::Severity::kERROR: return LogSeverity::kError;
    case nvinfer1::ILogger::Severity::kWARNING: return LogSeverity::kWarning;
    case nvinfer1::ILogger::Severity::kINFO: return LogSeverity::kInfo;
    case nvinfer1::ILogger::Severity::kVERBOSE: return LogSeverity::kVerbose;
  }
  return LogSeverity::kInfo;
}

// ---- the parts (one file each) -----------------------------------------------------------------
BuildResult build_engine(const BuildOptions& options, BuildObserver* observer);          // builder.cc
std::unique_ptr<Engine> deserialize_engine(const void* plan, size_t bytes);              // runtime.cc

}  // namespace dinov3::trt
