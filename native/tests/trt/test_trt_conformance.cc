// TensorRT engines vs the reference outputs of test/fixtures/conformance: fp32 within 1e-3 (max abs),
// fp16 per-token cosine >= 0.99, at every conformance size through one dynamic-shape engine.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "../check.h"
#include "trt_fixture.h"

using namespace trt_test;

namespace {

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0.0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

// Smallest cosine similarity over tokens (rows of `dim` values).
double min_token_cosine(const std::vector<float>& a, const std::vector<float>& b, size_t dim) {
  double worst = 1.0;
  for (size_t row = 0; row * dim < a.size() && row * dim < b.size(); ++row) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t k = 0; k < dim; ++k) {
      const double x = a[row * dim + k], y = b[row * dim + k];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    const double c = (aa > 0 && bb > 0) ? ab / std::sqrt(aa * bb) : (aa == bb ? 1.0 : 0.0);
    worst = std::min(worst, c);
  }
  return worst;
}

bool all_finite(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

void compare_all_cases(trt::Precision precision, const char* test) {
  std::string why;
  const BuiltEngine* built = engine_for(precision, &why);
  if (built == nullptr) return skip(test, why);
  CHECK(built->build.precision == precision);
  auto context = built->engine->create_context();
  const dinov3::cuda::Stream stream = dinov3::cuda::create_stream();
  const std::vector<Case> all = cases();
  CHECK(!all.empty());
  for (const Case& c : all) {
    const std::string dir = conformance_model_dir() + "/";
    const std::vector<float> input = read_f32(dir + c.tag + "__input.f32");
    const std::vector<float> expected = read_f32(dir + c.tag + "__last_hidden_state.f32");
    trt::Shape shape;
    const std::vector<float> got = run_once(*built->engine, *context, input, c.h, c.w, stream, &shape);
    CHECK(shape.size() == 3);
    CHECK(shape.size() == 3 && shape[0] == 1 && shape[1] == c.tokens);
    CHECK(got.size() == expected.size());
    const size_t dim = shape.size() == 3 ? static_cast<size_t>(shape[2]) : 1;
    CHECK(all_finite(got));
    if (precision == trt::Precision::kFp32) {
      const double diff = max_abs_diff(got, expected);
      std::printf("    %s fp32 max |diff| %.3g\n", c.tag.c_str(), diff);
      CHECK(diff <= 1e-3);
    } else {
      const double cosine = min_token_cosine(got, expected, dim);
      std::printf("    %s %s min token cosine %.5f (max |diff| %.3g)\n", c.tag.c_str(), trt::precision_name(precision), cosine,
                  max_abs_diff(got, expected));
      CHECK(cosine >= 0.99);
    }
  }
  dinov3::cuda::destroy_stream(stream);
}

}  // namespace

TEST(trt_fp32_matches_conformance) { compare_all_cases(trt::Precision::kFp32, "trt_fp32_matches_conformance"); }

// bf16 (TensorRT 10.x): no fp16 overflow, so no pins; same cosine bar as fp16.
TEST(trt_bf16_cosine_matches_conformance) {
  if (trt_major() < 10) return skip("trt_bf16_cosine_matches_conformance", "bf16 needs TensorRT 10");
  if (trt_major() >= 11) return skip("trt_bf16_cosine_matches_conformance", "TensorRT 11 is strongly typed (bf16 needs a bf16 ONNX)");
  compare_all_cases(trt::Precision::kBf16, "trt_bf16_cosine_matches_conformance");
}

TEST(trt_fp16_cosine_matches_conformance) {
  compare_all_cases(trt::Precision::kFp16, "trt_fp16_cosine_matches_conformance");
}

// Two contexts of one engine on two streams at the same time give the same result as one.
TEST(trt_two_contexts_concurrently) {
  std::string why;
  const BuiltEngine* built = engine_for(trt::Precision::kFp32, &why);
  if (built == nullptr) return skip("trt_two_contexts_concurrently", why);
  const std::vector<Case> all = cases();
  if (all.size() < 2) return skip("trt_two_contexts_concurrently", "needs two conformance cases");
  const std::string dir = conformance_model_dir() + "/";
  auto c1 = built->engine->create_context();
  auto c2 = built->engine->create_context();
  const dinov3::cuda::Stream s1 = dinov3::cuda::create_stream(), s2 = dinov3::cuda::create_stream();
  const Case& a = all[0];
  const Case& b = all[1];
  const auto in_a = read_f32(dir + a.tag + "__input.f32");
  const auto in_b = read_f32(dir + b.tag + "__input.f32");
  const auto out_a = run_once(*built->engine, *c1, in_a, a.h, a.w, s1);
  const auto out_b = run_once(*built->engine, *c2, in_b, b.h, b.w, s2);
  CHECK(max_abs_diff(out_a, read_f32(dir + a.tag + "__last_hidden_state.f32")) <= 1e-3);
  CHECK(max_abs_diff(out_b, read_f32(dir + b.tag + "__last_hidden_state.f32")) <= 1e-3);
  // The same context reused at another size.
  const auto again = run_once(*built->engine, *c1, in_b, b.h, b.w, s1);
  CHECK(max_abs_diff(again, out_b) <= 1e-5);
  dinov3::cuda::destroy_stream(s1);
  dinov3::cuda::destroy_stream(s2);
}
