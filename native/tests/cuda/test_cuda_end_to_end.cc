// The device-pointer path composes without host copies: a frame uploaded once, preprocessed on
// the device into a tensor, and that tensor analysed in place through DeviceMatrix views.
#include <vector>

#include "check.h"
#include "cuda_api.h"
#include "cuda_test_util.h"
#include "half.h"
#include "kmeans.h"
#include "preprocess.h"
#include "similarity.h"
#include "test_data.h"

namespace cu = dinov3::cuda;
using cuda_test::DeviceArray;

TEST(cuda_preprocess_then_kmeans_and_similarity_on_device) {
  if (!cuda_test::device_or_skip()) return;
  const int w = 320, h = 240, ow = 112, oh = 96;
  // A frame with structure (three horizontal bands of different colours) plus noise.
  const auto noise = testdata::uniform(static_cast<int64_t>(w) * h * 4, 5, 0.0f, 40.0f);
  std::vector<uint8_t> rgba(static_cast<size_t>(w) * h * 4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 4; ++c) {
        const int band = y * 3 / h, base = (band == c) ? 200 : 20;
        rgba[(y * w + x) * 4 + c] = static_cast<uint8_t>(base + noise[(y * w + x) * 4 + c]);
      }
  DeviceArray<uint8_t> frame_dev(rgba);
  cu::DeviceFrame frame;
  frame.data = frame_dev.get();
  frame.pitch = w * 4;
  frame.width = w;
  frame.height = h;
  frame.format = cu::FrameFormat::kRGBA;
  cu::Stream s = cu::create_stream();
  const size_t n = 3 * static_cast<size_t>(ow) * oh;
  DeviceArray<float> tensor(n);
  DeviceArray<uint16_t> tensor16(n);
  cu::preprocess(frame, ow, oh, dinov3::Normalization{}, tensor.get(), cu::DType::kFloat32, s);
  cu::preprocess(frame, ow, oh, dinov3::Normalization{}, tensor16.get(), cu::DType::kFloat16, s);

  // The same tensor on the CPU, for reference.
  std::vector<float> cpu(n);
  dinov3::preprocess(dinov3::ImageView{rgba.data(), w, h, w * 4, dinov3::PixelFormat::kRGBA}, ow, oh,
                     dinov3::Normalization{}, cpu.data());
  // View: each image row of each channel plane is one "feature vector" of ow values.
  const cu::DeviceMatrix rows32{tensor.get(), cu::DType::kFloat32, 3 * oh, ow, ow};
  const cu::DeviceMatrix rows16{tensor16.get(), cu::DType::kFloat16, 3 * oh, ow, ow};
  dinov3::KMeansOptions o;
  o.k = 3;
  const auto gpu = cu::kmeans(rows32, o, s);  // no host copy between preprocess and k-means
  const auto ref = dinov3::kmeans(dinov3::MatrixView{cpu.data(), 3 * oh, ow, ow}, o);
  CHECK(cuda_test::relative_difference(gpu.inertia, ref.inertia) <= 1e-3);
  CHECK(cuda_test::agreement(gpu.labels, ref.labels) >= 0.99);
  const auto gpu16 = cu::kmeans(rows16, o, s);
  CHECK(gpu16.labels.size() == static_cast<size_t>(3 * oh));
  CHECK(cuda_test::relative_difference(gpu16.inertia, ref.inertia) <= 1e-2);

  // Similarity of every row to row 0, query taken straight from the device tensor.
  DeviceArray<float> sim(3 * oh);
  cu::cosine_similarity(rows32, tensor.get(), 1, sim.get(), s);
  cu::synchronize(s);
  std::vector<float> ref_sim(3 * oh);
  dinov3::cosine_similarity(dinov3::MatrixView{cpu.data(), 3 * oh, ow, ow}, cpu.data(), 1, ref_sim.data());
  const auto got = sim.download();
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(double(got[i]) - ref_sim[i]));
  CHECK(worst <= 1e-5);
  cu::destroy_stream(s);
}
