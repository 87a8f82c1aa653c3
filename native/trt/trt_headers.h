// The TensorRT headers, included in one place. NVIDIA's headers use their own deprecated
// declarations internally (IPluginV2, IGpuAllocator::free, ...), which -Werror would reject
// although this project never uses them; the pragmas silence warnings that originate inside
// these headers only (and the unused parameters of their inline default implementations). Uses of
// deprecated API in our own code still warn (and fail the build).
#pragma once

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include <NvInfer.h>
#include <NvInferVersion.h>
#include <NvOnnxParser.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
