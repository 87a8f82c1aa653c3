// Looks at a parsed network: what it contains (If nodes, norms) and, for fp16 builds before
// TensorRT 11, pins LayerNorm, Softmax and the attention MatMuls to fp32.
#pragma once
#include "trt_headers.h"

#include "trt_internal.h"

namespace dinov3::trt {

struct NetworkFacts {
  int conditional_layers = 0;     // If nodes (kCONDITION / kCONDITIONAL_INPUT / kCONDITIONAL_OUTPUT)
  int normalization_layers = 0;   // INormalizationLayer (ONNX LayerNormalization, TensorRT >= 8.6)
  int decomposed_norms = 0;       // ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div chains (opset <= 16)
  int softmax_layers = 0;
  bool half_io = false;           // some network input or output is fp16 (an fp16 ONNX)
};

NetworkFacts inspect_network(nvinfer1::INetworkDefinition& network);

#if !DINOV3_TRT_STRONGLY_TYPED_ONLY
// Sets precision and output types of every Softmax, INormalizationLayer and decomposed-LayerNorm
// layer to fp32 (the caller sets kOBEY_PRECISION_CONSTRAINTS). When no complete decomposed
// chain is recognised, falls back to pinning every ReduceMean, Pow and Sqrt layer. Returns the
// number of layers pinned.
int pin_norms_fp32(nvinfer1::INetworkDefinition& network);

// Pins each attention's MatMuls to fp32: the MatMul that produces a Softmax's input (walking back
// through at most a few scale/mask/shuffle layers, which are pinned too) and the MatMul that
// consumes its output. Returns the number of layers pinned.
int pin_attention_fp32(nvinfer1::INetworkDefinition& network);
#endif

}  // namespace dinov3::trt
