#include <cmath>
#include <cstdint>

#include "check.h"
#include "half.h"

TEST(half_round_trips_every_value) {
  int mismatches = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = dinov3::half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    if (dinov3::float_to_half(f) != h) ++mismatches;
  }
  CHECK(mismatches == 0);
}

TEST(half_known_values) {
  CHECK(dinov3::float_to_half(1.0f) == 0x3c00);
  CHECK(dinov3::float_to_half(-2.0f) == 0xc000);
  CHECK(dinov3::float_to_half(65504.0f) == 0x7bff);
  CHECK(dinov3::float_to_half(65520.0f) == 0x7c00);       // rounds up to infinity
  CHECK(dinov3::float_to_half(0.1f) == 0x2e66);
  CHECK(dinov3::float_to_half(5.9604645e-8f) == 0x0001);  // smallest subnormal
  CHECK(dinov3::float_to_half(2.98e-8f) == 0x0000);       // below half of it
  CHECK(dinov3::float_to_half(1.0f + 1.0f / 2048) == 0x3c00);  // tie -> even
  CHECK(std::isinf(dinov3::half_to_float(0x7c00)));
  CHECK(std::isnan(dinov3::half_to_float(dinov3::float_to_half(NAN))));
  CHECK_NEAR(dinov3::half_to_float(0x3555), 0.33325195, 1e-8);
}
