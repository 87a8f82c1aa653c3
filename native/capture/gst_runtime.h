// Process-wide GStreamer set-up and the helpers that turn GStreamer errors into messages.
#pragma once
#include <gst/gst.h>

#include <string>

namespace dinov3::capture {

// Calls gst_init once per process (thread-safe). Throws ERR_DINO_SOURCE when it fails; later
// calls throw the same message.
void ensure_gstreamer();

// "GStreamer 1.22.0" for the library loaded at run time (ensure_gstreamer() first).
std::string gstreamer_runtime_version();

// "<element>: <message> (<debug>)" for an ERROR or WARNING message.
std::string describe_message(GstMessage* message);

// The text of a GError, freeing it.
std::string take_gerror(GError* error);

// Owning references, so that every early return unrefs.
struct GstObjectDeleter {
  void operator()(gpointer object) const {
    if (object != nullptr) gst_object_unref(object);
  }
};

}  // namespace dinov3::capture
