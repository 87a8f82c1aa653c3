#include "network_precision.h"

#include <map>
#include <set>
#include <vector>

namespace dinov3::trt {
namespace {

using nvinfer1::ElementWiseOperation;
using nvinfer1::ILayer;
using nvinfer1::ITensor;
using nvinfer1::LayerType;

// Who produces and who consumes each tensor of the network.
struct Graph {
  std::vector<ILayer*> layers;
  std::map<const ITensor*, std::vector<ILayer*>> consumers;

  explicit Graph(nvinfer1::INetworkDefinition& network) {
    const int32_t n = network.getNbLayers();
    layers.reserve(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) {
      ILayer* layer = network.getLayer(i);
      layers.push_back(layer);
      for (int32_t j = 0; j < layer->getNbInputs(); ++j) {
        if (const ITensor* t = layer->getInput(j)) consumers[t].push_back(layer);
      }
    }
  }

  // The consumer of `t` that `match` accepts, or nullptr.
  template <typename Match>
  ILayer* consumer(const ITensor* t, Match match) const {
    auto it = consumers.find(t);
    if (it == consumers.end()) return nullptr;
    for (ILayer* l : it->second) {
      if (match(l)) return l;
    }
    return nullptr;
  }
};

bool is_reduce_avg(const ILayer* l) {
  return l->getType() == LayerType::kREDUCE &&
         static_cast<const nvinfer1::IReduceLayer*>(l)->getOperation() == nvinfer1::ReduceOperation::kAVG;
}

bool is_elementwise(const ILayer* l, ElementWiseOperation op) {
  return l->getType() == LayerType::kELEMENTWISE &&
         static_cast<const nvinfer1::IElementWiseLayer*>(l)->getOperation() == op;
}

bool is_sqrt(const ILayer* l) {
  return l->getType() == LayerType::kUNARY &&
         static_cast<const nvinfer1::IUnaryLayer*>(l)->getOperation() == nvinfer1::UnaryOperation::kSQRT;
}

// x -> ReduceMean -> m;  d = x - m;  v = ReduceMean(d^2);  s = Sqrt(v + eps);  y = d / s
// (the TorchScript exporter's LayerNorm below opset 17). Returns the chain's layers, or empty.
std::vector<ILayer*> layer_norm_chain(const Graph& g, ILayer* mean) {
  if (!is_reduce_avg(mean) || mean->getNbInputs() < 1) return {};
  const ITensor* x = mean->getInput(0);
  const ITensor* m = mean->getOutput(0);
  ILayer* sub = g.consumer(m, [&](const ILayer* l) {
    return is_elementwise(l, ElementWiseOperation::kSUB) && l->getInput(0) == x && l->getInput(1) == m;
  });
  if (sub == nullptr) return {};
  const ITensor* d = sub->getOutput(0);
  ILayer* square = g.consumer(d, [&](const ILayer* l) {
    return (is_elementwise(l, ElementWiseOperation::kPOW) && l->getInput(0) == d) ||
           (is_elementwise(l, ElementWiseOperation::kPROD) && l->getInput(0) == d && l->getInput(1) == d);
  });
  if (square == nullptr) return {};
  ILayer* var = g.consumer(square->getOutput(0), [](const ILayer* l) { return is_reduce_avg(l); });
  if (var == nullptr) return {};
  ILayer* add = g.consumer(var->getOutput(0), [](const ILayer* l) { return is_elementwise(l, ElementWiseOperation::kSUM); });
  if (add == nullptr) return {};
  ILayer* root = g.consumer(add->getOutput(0), [](const ILayer* l) { return is_sqrt(l); });
  if (root == nullptr) return {};
  const ITensor* s = root->getOutput(0);
  ILayer* div = g.consumer(d, [&](const ILayer* l) {
    return is_elementwise(l, ElementWiseOperation::kDIV) && l->getInput(0) == d && l->getInput(1) == s;
  });
  if (div == nullptr) return {};
  return {mean, sub, square, var, add, root, div};
}

#if !DINOV3_TRT_STRONGLY_TYPED_ONLY
// Layer precision and float output types to fp32 (honoured with kOBEY_PRECISION_CONSTRAINTS).
void pin_all_fp32(const std::set<ILayer*>& pin) {
  for (ILayer* l : pin) {
    l->setPrecision(nvinfer1::DataType::kFLOAT);
    for (int32_t i = 0; i < l->getNbOutputs(); ++i) {
      // Shape tensors and integer outputs keep their type.
      const nvinfer1::DataType t = l->getOutput(i)->getType();
      if (t == nvinfer1::DataType::kFLOAT || t == nvinfer1::DataType::kHALF) l->setOutputType(i, nvinfer1::DataType::kFLOAT);
    }
  }
}
#endif

}  // namespace

NetworkFacts inspect_network(nvinfer1::INetworkDefinition& network) {
  NetworkFacts facts;
  const Graph g(network);
  for (ILayer* l : g.layers) {
    switch (l->getType()) {
      case LayerType::kCONDITION:
      case LayerType::kCONDITIONAL_INPUT:
      case LayerType::kCONDITIONAL_OUTPUT:
        ++facts.conditional_layers;
        break;
      case LayerType::kSOFTMAX:
        ++facts.softmax_layers;
        break;
#if DINOV3_TRT_86
      case LayerType::kNORMALIZATION:
        ++facts.normalization_layers;
        break;
#endif
      case LayerType::kREDUCE:
        if (!layer_norm_chain(g, l).empty()) ++facts.decomposed_norms;
        break;
      default:
        break;
    }
  }
  for (int32_t i = 0; i < network.getNbInputs(); ++i) {
    if (network.getInput(i)->getType() == nvinfer1::DataType::kHALF) facts.half_io = true;
  }
  for (int32_t i = 0; i < network.getNbOutputs(); ++i) {
    if (network.getOutput(i)->getType() == nvinfer1::DataType::kHALF) facts.half_io = true;
  }
  return facts;
}

#if !DINOV3_TRT_STRONGLY_TYPED_ONLY

int pin_norms_fp32(nvinfer1::INetworkDefinition& network) {
  const Graph g(network);
  std::set<ILayer*> pin;
  bool found_chain = false;
  bool found_norm_layer = false;
  for (ILayer* l : g.layers) {
    const LayerType type = l->getType();
    if (type == LayerType::kSOFTMAX) pin.insert(l);
#if DINOV3_TRT_86
    if (type == LayerType::kNORMALIZATION) {
      pin.insert(l);
      found_norm_layer = true;
    }
#endif
    if (type == LayerType::kREDUCE) {
      const std::vector<ILayer*> chain = layer_norm_chain(g, l);
      if (!chain.empty()) found_chain = true;
      pin.insert(chain.begin(), chain.end());
    }
  }
  if (!found_chain && !found_norm_layer) {
    // An exporter whose decomposition differs: pin the ops that overflow in fp16.
    for (ILayer* l : g.layers) {
      if (is_reduce_avg(l) || is_sqrt(l) || is_elementwise(l, ElementWiseOperation::kPOW)) pin.insert(l);
    }
  }
  pin_all_fp32(pin);
  return static_cast<int>(pin.size());
}

int pin_attention_fp32(nvinfer1::INetworkDefinition& network) {
  constexpr int kMaxSteps = 4;  // Softmax <- Add(mask) <- Mul/Div(scale) <- Shuffle <- MatMul
  const Graph g(network);
  std::map<const ITensor*, ILayer*> producer;
  for (ILayer* l : g.layers) {
    for (int32_t i = 0; i < l->getNbOutputs(); ++i) producer[l->getOutput(i)] = l;
  }
  std::set<ILayer*> pin;
  for (ILayer* softmax : g.layers) {
    if (softmax->getType() != LayerType::kSOFTMAX) continue;
    // Back to the Q·Kᵀ MatMul.
    std::vector<ILayer*> path;
    const ITensor* t = softmax->getInput(0);
    for (int step = 0; step <= kMaxSteps && t != nullptr; ++step) {
      auto it = producer.find(t);
      if (it == producer.end()) break;
      ILayer* l = it->second;
      if (l->getType() == LayerType::kMATRIX_MULTIPLY) {
        pin.insert(path.begin(), path.end());
        pin.insert(l);
        break;
      }
      const LayerType type = l->getType();
      if (type != LayerType::kELEMENTWISE && type != LayerType::kSHUFFLE && type != LayerType::kIDENTITY) break;
      path.push_back(l);
      t = l->getInput(0);
    }
    // Forward to the MatMul that applies the weights to V.
    if (ILayer* av = g.consumer(softmax->getOutput(0), [](const ILayer* l) { return l->getType() == LayerType::kMATRIX_MULTIPLY; })) {
      pin.insert(av);
    }
  }
  pin_all_fp32(pin);
  return static_cast<int>(pin.size());
}

#endif

}  // namespace dinov3::trt
