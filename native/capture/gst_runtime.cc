#include "gst_runtime.h"

#include <mutex>

#include "capture_module.h"

namespace dinov3::capture {

void ensure_gstreamer() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    GError* error = nullptr;
    if (!gst_init_check(nullptr, nullptr, &error)) {
      failure = "GStreamer could not be initialised: " + (error ? take_gerror(error) : std::string("unknown error"));
    }
  });
  if (!failure.empty()) fail(kErrSource, failure);
}

std::string gstreamer_runtime_version() {
  guint major = 0, minor = 0, micro = 0, nano = 0;
  gst_version(&major, &minor, &micro, &nano);
  return "GStreamer " + std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(micro);
}

std::string take_gerror(GError* error) {
  if (error == nullptr) return {};
  std::string text = error->message != nullptr ? error->message : "unknown error";
  g_error_free(error);
  return text;
}

std::string describe_message(GstMessage* message) {
  GError* error = nullptr;
  gchar* debug = nullptr;
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    gst_message_parse_error(message, &error, &debug);
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) {
    gst_message_parse_warning(message, &error, &debug);
  } else {
    return GST_MESSAGE_TYPE_NAME(message);
  }
  std::string text = GST_MESSAGE_SRC_NAME(message) != nullptr ? GST_MESSAGE_SRC_NAME(message) : "pipeline";
  text += ": " + take_gerror(error);
  if (debug != nullptr) {
    text += std::string(" (") + debug + ")";
    g_free(debug);
  }
  return text;
}

}  // namespace dinov3::capture
