#include <algorithm>
#include <cmath>
#include <vector>

#include "check.h"
#include "correspondence.h"
#include "error.h"
#include "cuda_api.h"
#include "cuda_test_util.h"
#include "test_data.h"

namespace cu = dinov3::cuda;

// The CUDA nearest-neighbour lists equal the CPU core's (which CTest checks against a float64
// reference): same indices except at near-ties, similarities within 1e-5 (fp16 inputs are
// compared with the CPU on the same fp16-rounded values).
TEST(cuda_correspondence_matches_cpu_fp32_fp16_strided) {
  if (!cuda_test::device_or_skip()) return;
  struct Shape {
    int64_t ra, rb, dim, stride, offset;
    int k;
  };
  const Shape shapes[] = {{300, 277, 67, 67, 0, 1}, {1024, 1100, 384, 400, 8, 1}, {97, 33, 64, 64, 5, 5}, {4096, 4096, 384, 384, 0, 1}};
  for (const Shape& s : shapes) {
    const auto xa = testdata::uniform(s.ra * s.dim, s.ra + 1);
    const auto xb = testdata::uniform(s.rb * s.dim, s.rb + 2);
    for (auto type : {cu::DType::kFloat32, cu::DType::kFloat16}) {
      const auto fa = cuda_test::upload(xa, s.ra, s.dim, type, s.stride, s.offset);
      const auto fb = cuda_test::upload(xb, s.rb, s.dim, type, s.stride, 0);
      const auto gpu = cu::nearest_neighbours(fa.view, fb.view, s.k, nullptr);
      const auto cpu = dinov3::nearest_neighbours(fa.cpu_view(), fb.cpu_view(), s.k);
      double worst = 0;
      int wrong = 0;
      auto compare = [&](const dinov3::Neighbours& g, const dinov3::Neighbours& c) {
        for (size_t i = 0; i < c.index.size(); ++i) {
          worst = std::max(worst, std::fabs(double(g.similarity[i]) - c.similarity[i]));
          if (g.index[i] != c.index[i] && std::fabs(double(g.similarity[i]) - c.similarity[i]) > 1e-5) ++wrong;
        }
      };
      compare(gpu.a_to_b, cpu.a_to_b);
      compare(gpu.b_to_a, cpu.b_to_a);
      if (worst > 1e-5 || wrong) std::printf("  %lldx%lld dim %lld k %d: worst %g, wrong %d\n", (long long)s.ra,
                                            (long long)s.rb, (long long)s.dim, s.k, worst, wrong);
      CHECK(worst <= 1e-5);
      CHECK(wrong == 0);
    }
  }
}

TEST(cuda_correspondence_rejects_bad_arguments_like_the_cpu) {
  if (!cuda_test::device_or_skip()) return;
  std::vector<float> x(64, 1.0f);
  const auto f = cuda_test::upload(x, 8, 8);
  bool threw = false;
  try {
    cu::nearest_neighbours(f.view, f.view, 17, nullptr);
  } catch (const dinov3::Error& e) {
    threw = std::string(e.code()) == "ERR_DINO_INVALID_ARGUMENT";
  }
  CHECK(threw);
}
