// IEEE 754 binary16 <-> binary32 conversion (round to nearest even), for fp16 models and
// fp16 engine outputs.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dinov3 {

float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

void halves_to_floats(const uint16_t* in, float* out, size_t n);
void floats_to_halves(const float* in, uint16_t* out, size_t n);

}  // namespace dinov3
