// ONNX -> TensorRT network through nvonnxparser, with parser failures turned into errors that
// say what to do (LayerNormalization on TensorRT 8.5, the RoPE If node on 10.x, ...).
#pragma once
#include "trt_headers.h"

#include <string>

#include "logger.h"

namespace dinov3::trt {

// Parses `path` into the parser's network. Throws ERR_DINO_FILE_NOT_FOUND, ERR_DINO_INVALID_MODEL,
// ERR_DINO_UNSUPPORTED_OP or ERR_DINO_ENGINE_BUILD. `log` holds this build's messages so far.
void parse_onnx(nvonnxparser::IParser& parser, const std::string& path, const LogCapture& log);

// The advice attached to the RoPE If-node failure (also used for build-time failures).
std::string rope_if_advice();

// True when the text is TensorRT's complaint about an If node's branches (NVIDIA/TensorRT #4558).
bool is_if_conditional_failure(const std::string& text);

}  // namespace dinov3::trt
