// Engine description, dynamic shapes inside and outside the profile, and plans that do not
// deserialize.
#include <cstring>
#include <string>
#include <vector>

#include "../../core/error.h"
#include "../check.h"
#include "trt_fixture.h"

using namespace trt_test;

namespace {

// The message of the dinov3::Error `fn` throws with `code` (a failure when it throws nothing or
// something else).
template <typename Fn>
std::string error_message(Fn fn, const char* code) {
  try {
    fn();
  } catch (const dinov3::Error& e) {
    if (std::strcmp(e.code(), code) != 0) {
      check::report(__FILE__, __LINE__, std::string("expected ") + code + ", got " + e.code() + ": " + e.what());
    }
    return e.what();
  }
  check::report(__FILE__, __LINE__, std::string("expected ") + code + ", nothing was thrown");
  return "";
}

bool contains(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

}  // namespace

TEST(trt_engine_describes_its_tensors) {
  std::string why;
  const BuiltEngine* built = engine_for(trt::Precision::kFp32, &why);
  if (built == nullptr) return skip("trt_engine_describes_its_tensors", why);
  const auto& tensors = built->engine->tensors();
  const trt::TensorInfo* input = nullptr;
  const trt::TensorInfo* hidden = nullptr;
  const trt::TensorInfo* pooler = nullptr;
  for (const auto& t : tensors) {
    if (t.name == "pixel_values") input = &t;
    if (t.name == "last_hidden_state") hidden = &t;
    if (t.name == "pooler_output") pooler = &t;
  }
  CHECK(input != nullptr && hidden != nullptr && pooler != nullptr);
  if (input == nullptr || hidden == nullptr || pooler == nullptr) return;
  CHECK(input->is_input && !hidden->is_input && !pooler->is_input);
  CHECK(input->dtype == trt::DataType::kFloat32);
  CHECK((input->shape == trt::Shape{-1, 3, -1, -1}));
  CHECK((input->min == trt::Shape{1, 3, 224, 224}));
  CHECK((input->opt == trt::Shape{1, 3, 320, 320}));
  CHECK((input->max == trt::Shape{1, 3, 448, 480}));
  CHECK(hidden->shape.size() == 3 && hidden->shape[2] == 64);
  CHECK(built->engine->device_memory_bytes() > 0);
  CHECK(built->build.input_name == "pixel_values");
  CHECK(!built->build.timing_cache.empty());
}

TEST(trt_output_shapes_inside_the_profile) {
  std::string why;
  const BuiltEngine* built = engine_for(trt::Precision::kFp32, &why);
  if (built == nullptr) return skip("trt_output_shapes_inside_the_profile", why);
  auto shapes = built->engine->output_shapes({{"pixel_values", {1, 3, 224, 224}}});
  CHECK((shapes["last_hidden_state"] == trt::Shape{1, 201, 64}));
  CHECK((shapes["pooler_output"] == trt::Shape{1, 64}));
  shapes = built->engine->output_shapes({{"pixel_values", {1, 3, 320, 480}}});
  CHECK((shapes["last_hidden_state"] == trt::Shape{1, 1 + 4 + 20 * 30, 64}));
  // The profile's corners.
  shapes = built->engine->output_shapes({{"pixel_values", {1, 3, 448, 480}}});
  CHECK((shapes["last_hidden_state"] == trt::Shape{1, 1 + 4 + 28 * 30, 64}));
}

TEST(trt_shapes_outside_the_profile_are_refused_clearly) {
  std::string why;
  const BuiltEngine* built = engine_for(trt::Precision::kFp32, &why);
  if (built == nullptr) return skip("trt_shapes_outside_the_profile_are_refused_clearly", why);
  trt::Engine& engine = *built->engine;
  std::string m = error_message([&] { engine.output_shapes({{"pixel_values", {1, 3, 512, 512}}}); },
                                trt::codes::kShapeMismatch);
  CHECK(contains(m, "height") && contains(m, "224..448"));
  CHECK(contains(m, "width") && contains(m, "224..480"));
  m = error_message([&] { engine.output_shapes({{"pixel_values", {1, 3, 160, 224}}}); }, trt::codes::kShapeMismatch);
  CHECK(contains(m, "height") && contains(m, "160") && !contains(m, "width"));
  m = error_message([&] { engine.output_shapes({{"pixel_values", {2, 3, 224, 224}}}); }, trt::codes::kShapeMismatch);
  CHECK(contains(m, "batch"));
  m = error_message([&] { engine.output_shapes({{"pixel_values", {1, 3, 224}}}); }, trt::codes::kShapeMismatch);
  CHECK(contains(m, "4 dimensions"));
  error_message([&] { engine.output_shapes({{"nope", {1, 3, 224, 224}}}); }, trt::codes::kInvalidArgument);
  error_message([&] { engine.output_shapes({}); }, trt::codes::kInvalidArgument);

  auto context = engine.create_context();
  m = error_message([&] { context->set_input_shape("pixel_values", {1, 3, 224, 496}); }, trt::codes::kShapeMismatch);
  CHECK(contains(m, "width") && contains(m, "496"));
  // A context left without addresses refuses to run.
  context->set_input_shape("pixel_values", {1, 3, 224, 224});
  m = error_message([&] { context->enqueue(nullptr); }, trt::codes::kInvalidArgument);
  CHECK(contains(m, "address"));
  // Unaligned addresses are refused before TensorRT sees them.
  dinov3::cuda::DeviceBuffer buffer(1024);
  error_message([&] { context->set_tensor_address("pixel_values", static_cast<char*>(buffer.data()) + 4); },
                trt::codes::kInvalidArgument);
}

TEST(trt_corrupt_plans_are_refused) {
  trt::Module& m = module();
  error_message([&] { m.deserialize(nullptr, 0); }, trt::codes::kEngineCorrupt);
  std::vector<uint8_t> garbage(4096);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  std::string msg = error_message([&] { m.deserialize(garbage.data(), garbage.size()); }, trt::codes::kEngineCorrupt);
  CHECK(contains(msg, "Rebuild"));

  std::string why;
  const BuiltEngine* built = engine_for(trt::Precision::kFp32, &why);
  if (built == nullptr) return skip("trt_corrupt_plans_are_refused (truncated plan)", why);
  const std::vector<uint8_t>& plan = built->build.plan;
  error_message([&] { m.deserialize(plan.data(), plan.size() / 2); }, trt::codes::kEngineCorrupt);
  std::vector<uint8_t> flipped = plan;
  for (size_t i = 0; i < 64 && i < flipped.size(); ++i) flipped[i] ^= 0xA5;  // the header
  error_message([&] { m.deserialize(flipped.data(), flipped.size()); }, trt::codes::kEngineCorrupt);
  // The intact plan still loads.
  CHECK(m.deserialize(plan.data(), plan.size()) != nullptr);
}
