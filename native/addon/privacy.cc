#include "privacy.h"

#include <cstdlib>

namespace dinov3::addon {

namespace {
constexpr const char* kTelemetrySwitches[] = {"ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED"};
}  // namespace

void apply_privacy_defaults() {
  for (const char* name : kTelemetrySwitches) {
    if (std::getenv(name) != nullptr) return;  // the user chose; keep both as they are
  }
  for (const char* name : kTelemetrySwitches) setenv(name, "1", /*overwrite=*/0);
}

}  // namespace dinov3::addon
