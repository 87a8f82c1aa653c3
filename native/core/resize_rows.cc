#include "resize_rows.h"

#include <memory>
#include <vector>

#include "parallel.h"

namespace dinov3 {

void resize_rows(const RowKernels& kernels, const ImageView& src, int out_width, int out_height, const RowSink& sink) {
  const int in_w = src.width, in_h = src.height;
  const int64_t length = static_cast<int64_t>(out_width) * 3;

  // Horizontal pass straight from the caller's pixels in their own format (the kernels pick R, G
  // and B from it), or, at an unchanged width, the caller's RGB rows or a packed RGB copy.
  // Not zero-filled: every byte is written before it is read.
  std::unique_ptr<uint8_t[]> horizontal;
  const uint8_t* rows = src.data;
  int64_t pitch = src.row_bytes;
  if (out_width != in_w) {
    const ResizePlan plan = make_resize_plan(in_w, out_width, kernels.broadcast_weights);
    const PixelLayout layout = pixel_layout(src.format);
    horizontal.reset(new uint8_t[static_cast<size_t>(length) * in_h]);
    parallel_for(in_h, 32, [&](int64_t y0, int64_t y1, int64_t) {
      kernels.horizontal(plan, src.data + y0 * src.row_bytes, src.row_bytes, static_cast<int>(y1 - y0), layout,
                         horizontal.get() + y0 * length, length);
    });
    rows = horizontal.get();
    pitch = length;
  } else if (src.format != PixelFormat::kRGB) {
    horizontal.reset(new uint8_t[static_cast<size_t>(length) * in_h]);
    to_packed_rgb(src, horizontal.get());
    rows = horizontal.get();
    pitch = length;
  }

  if (out_height == in_h) {
    parallel_for(in_h, 64, [&](int64_t y0, int64_t y1, int64_t) {
      for (int64_t y = y0; y < y1; ++y) sink(y, rows + y * pitch);
    });
    return;
  }
  const ResizePlan plan = make_resize_plan(in_h, out_height);
  parallel_for(out_height, 16, [&](int64_t y0, int64_t y1, int64_t) {
    std::vector<uint8_t> row(static_cast<size_t>(length));
    for (int64_t y = y0; y < y1; ++y) {
      kernels.vertical(plan, static_cast<int>(y), rows, pitch, length, row.data());
      sink(y, row.data());
    }
  });
}

}  // namespace dinov3
