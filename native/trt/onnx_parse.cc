#include "onnx_parse.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "trt_internal.h"

namespace dinov3::trt {
namespace {

std::string trt_version_string() {
  return std::to_string(NV_TENSORRT_MAJOR) + "." + std::to_string(NV_TENSORRT_MINOR);
}

#if !DINOV3_TRT_86
// Streams through the file looking for `needle` (an op_type string is stored verbatim in the
// protobuf). Only used after a parse failure, to explain it.
bool file_contains(const std::string& path, const char* needle) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  const size_t n = std::strlen(needle);
  std::vector<char> buf(size_t{1} << 20);
  size_t keep = 0;
  bool found = false;
  while (!found) {
    const size_t got = std::fread(buf.data() + keep, 1, buf.size() - keep, f);
    if (got == 0) break;
    const size_t len = keep + got;
    for (size_t i = 0; i + n <= len; ++i) {
      if (std::memcmp(buf.data() + i, needle, n) == 0) {
        found = true;
        break;
      }
    }
    keep = len >= n ? n - 1 : len;
    std::memmove(buf.data(), buf.data() + len - keep, keep);
  }
  std::fclose(f);
  return found;
}
#endif

struct ParserErrorText {
  std::string text;       // one line per error
  std::string operators;  // the failing nodes' operators where the parser reports them (10+)
  bool deserialize = false;
  bool invalid_graph = false;
  bool unsupported = false;
};

ParserErrorText describe_errors(const nvonnxparser::IParser& parser) {
  ParserErrorText out;
  const int n = parser.getNbErrors();
  for (int i = 0; i < n; ++i) {
    const nvonnxparser::IParserError* e = parser.getError(i);
    if (e == nullptr) continue;
    std::string line = "ONNX node " + std::to_string(e->node());
#if DINOV3_TRT_10
    if (e->nodeName() != nullptr && *e->nodeName() != '\0') line += std::string(" '") + e->nodeName() + "'";
    if (e->nodeOperator() != nullptr && *e->nodeOperator() != '\0') {
      line += std::string(" (") + e->nodeOperator() + ")";
      out.operators += std::string(e->nodeOperator()) + " ";
    }
#endif
    line += std::string(": ") + (e->desc() != nullptr ? e->desc() : "unknown error");
    if (!out.text.empty()) out.text += "\n";
    out.text += line;
    switch (e->code()) {
      case nvonnxparser::ErrorCode::kMODEL_DESERIALIZE_FAILED:
        out.deserialize = true;
        break;
      case nvonnxparser::ErrorCode::kINVALID_GRAPH:
        out.invalid_graph = true;
        break;
      case nvonnxparser::ErrorCode::kUNSUPPORTED_NODE:
      case nvonnxparser::ErrorCode::kUNSUPPORTED_GRAPH:
        out.unsupported = true;
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace

std::string rope_if_advice() {
  return "The ONNX contains an If node, which older DINOv3 exports get from the RoPE embedding's "
         "`tile` (Hugging Face DINOv3ViTRopePositionEmbedding); TensorRT 10.3 (JetPack 6.1/6.2) "
         "fails on it (NVIDIA/TensorRT #4558). Re-export the model with "
         "python tools/export-onnx.py (it rewrites tile as torch.cat, so no If node is emitted).";
}

bool is_if_conditional_failure(const std::string& text) {
  return text.find("IIfConditional") != std::string::npos || text.find("If_OutputLayer") != std::string::npos ||
         (text.find("rope_embed") != std::string::npos && text.find("/If") != std::string::npos);
}

void parse_onnx(nvonnxparser::IParser& parser, const std::string& path, const LogCapture& log) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    fail(codes::kFileNotFound, "ONNX model not found: " + path);
  }
  if (parser.parseFromFile(path.c_str(), static_cast<int>(nvinfer1::ILogger::Severity::kWARNING))) return;

  const ParserErrorText errors = describe_errors(parser);
  const std::string detail = errors.text.empty() ? log.errors() : errors.text;
  const std::string all = errors.text + "\n" + log.errors(64);

#if !DINOV3_TRT_86
  // TensorRT 8.5 has no LayerNormalization importer (onnx-tensorrt 8.5-GA operators.md).
  if (all.find("LayerNormalization") != std::string::npos || file_contains(path, "LayerNormalization")) {
    fail(codes::kUnsupportedOp,
         "TensorRT " + trt_version_string() +
             " cannot parse the ONNX LayerNormalization operator (opset 17). Re-export the model at opset 16: "
             "python tools/export-onnx.py --opset 16 ... (LayerNorm is then exported as primitive operators that "
             "TensorRT 8.5 parses), or use JetPack 6 (TensorRT 8.6 or newer). Parser said:\n" +
             detail);
  }
#endif
  if (is_if_conditional_failure(all) || errors.operators.find("If ") != std::string::npos) {
    fail(codes::kUnsupportedOp, "TensorRT " + trt_version_string() + " could not import an If node of " + path +
                                    ". " + rope_if_advice() + " Parser said:\n" + detail);
  }
  // onnx-tensorrt records no error at all when the file does not decode as an ONNX protobuf.
  if (errors.deserialize || parser.getNbErrors() == 0) {
    fail(codes::kInvalidModel, path + " is not a readable ONNX model (truncated or not ONNX?). Parser said:\n" + detail);
  }
  if (errors.invalid_graph) {
    fail(codes::kInvalidModel, path + " is not a valid ONNX graph. Parser said:\n" + detail);
  }
  if (errors.unsupported) {
    fail(codes::kUnsupportedOp,
         "TensorRT " + trt_version_string() + " cannot import part of " + path + ":\n" + detail);
  }
  fail(codes::kEngineBuild, "TensorRT " + trt_version_string() + " could not parse " + path + ":\n" + detail);
}

}  // namespace dinov3::trt
