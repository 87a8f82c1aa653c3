# Plain node-gyp build of the CPU-only addon (no CUDA, TensorRT or capture modules): the
# fallback when CMake is not installed. The full build is CMakeLists.txt via cmake-js.
{
  "targets": [
    {
      "target_name": "dinov3",
      "sources": [
        "native/core/color.cc",
        "native/core/correspondence.cc",
        "native/core/field_render.cc",
        "native/core/fast_decode.cc",
        "native/core/half.cc",
        "native/core/inflate.cc",
        "native/core/jpeg.cc",
        "native/core/kmeans.cc",
        "native/core/kmeans_kernels.cc",
        "native/core/match.cc",
        "native/core/matrix_view.cc",
        "native/core/overlay.cc",
        "native/core/parallel.cc",
        "native/core/pca.cc",
        "native/core/png.cc",
        "native/core/png_unfilter.cc",
        "native/core/propagation.cc",
        "native/core/preprocess.cc",
        "native/core/resize_dispatch.cc",
        "native/core/resize_neon.cc",
        "native/core/resize_plan.cc",
        "native/core/resize_rows.cc",
        "native/core/resize_x86.cc",
        "native/core/similarity.cc",
        "native/core/system_library.cc",
        "native/addon/addon.cc",
        "native/addon/analysis_ops.cc",
        "native/addon/analysis_results.cc",
        "native/addon/args.cc",
        "native/addon/cancel_token.cc",
        "native/addon/correspondence_ops.cc",
        "native/addon/capabilities.cc",
        "native/addon/capture_unavailable.cc",
        "native/addon/cuda_unavailable.cc",
        "native/addon/errors.cc",
        "native/addon/image_ops.cc",
        "native/addon/plugin_loader.cc",
        "native/addon/plugins.cc",
        "native/addon/privacy.cc",
        "native/addon/render_ops.cc",
        "native/addon/tensorrt_unavailable.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/core"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "DINOV3_VERSION=\"<!(node -p \"require('./package.json').version\")\""
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-Wall", "-Wextra"],
      "libraries": ["-ldl", "-lpthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
