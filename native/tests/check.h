// A minimal test harness for the C++ tests (no external test framework is needed on the
// GPU machines these also run on). TEST(name) registers a test; CHECK / CHECK_NEAR record
// failures; check::skip(why) marks the running test skipped (it reports SKIP, never OK);
// main() runs every test whose name contains argv[1] (all when absent), or lists the test
// names with --list. Each test ends with one line: "[  OK  ] name", "[ FAIL ] name" or
// "[ SKIP ] name: why". The exit code is 0 when no test failed and at least one passed, 77
// (CTest's SKIP_RETURN_CODE) when every test that ran was skipped, 1 otherwise.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace check {

struct Test {
  const char* name;
  std::function<void()> fn;
};

inline std::vector<Test>& registry() {
  static std::vector<Test> tests;
  return tests;
}

inline int& failures() {
  static int n = 0;
  return n;
}

struct Register {
  Register(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

// Why the running test was skipped (empty while it was not).
inline std::string& skip_reason() {
  static std::string why;
  return why;
}

// Marks the running test skipped: what it could not check is not reported as passed.
inline void skip(const std::string& why) {
  if (skip_reason().empty()) skip_reason() = why.empty() ? "skipped" : why;
  std::printf("  SKIP: %s\n", why.c_str());
  std::fflush(stdout);
}

inline void report(const char* file, int line, const std::string& what) {
  ++failures();
  std::fprintf(stderr, "  FAIL %s:%d: %s\n", file, line, what.c_str());
}

inline int run_all(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--list") == 0) {
    for (const auto& t : registry()) std::printf("%s\n", t.name);
    return 0;
  }
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int ran = 0, failed_tests = 0, skipped = 0;
  for (const auto& t : registry()) {
    if (filter != nullptr && std::strstr(t.name, filter) == nullptr) continue;
    const int before = failures();
    skip_reason().clear();
    std::printf("[ RUN  ] %s\n", t.name);
    std::fflush(stdout);
    try {
      t.fn();
    } catch (const std::exception& e) {
      report(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    ++ran;
    if (failures() != before) {
      ++failed_tests;
      std::printf("[ FAIL ] %s\n", t.name);
    } else if (!skip_reason().empty()) {
      ++skipped;
      std::printf("[ SKIP ] %s: %s\n", t.name, skip_reason().c_str());
    } else {
      std::printf("[  OK  ] %s\n", t.name);
    }
    std::fflush(stdout);
  }
  const int passed = ran - failed_tests - skipped;
  std::printf("%d tests, %d passed, %d failed, %d skipped\n", ran, passed, failed_tests, skipped);
  if (failed_tests > 0 || ran == 0) return 1;
  return passed == 0 ? 77 : 0;
}

}  // namespace check

#define CHECK_CONCAT2(a, b) a##b
#define CHECK_CONCAT(a, b) CHECK_CONCAT2(a, b)
#define TEST(name)                                                              \
  static void name();                                                           \
  static ::check::Register CHECK_CONCAT(register_, name)(#name, &name);         \
  static void name()

#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond)) ::check::report(__FILE__, __LINE__, "CHECK(" #cond ")");        \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                   \
  do {                                                                          \
    const double check_a_ = (a), check_b_ = (b);                                \
    if (!(std::fabs(check_a_ - check_b_) <= (tol)))                             \
      ::check::report(__FILE__, __LINE__,                                       \
                      std::string(#a " = ") + std::to_string(check_a_) + ", " #b " = " + \
                          std::to_string(check_b_) + ", tolerance " + std::to_string(tol)); \
  } while (0)

#define CHECK_THROWS_CODE(expr, code_str)                                       \
  do {                                                                          \
    bool check_threw_ = false;                                                  \
    try {                                                                       \
      expr;                                                                     \
    } catch (const ::dinov3::Error& e) {                                        \
      check_threw_ = std::strcmp(e.code(), code_str) == 0;                      \
      if (!check_threw_) ::check::report(__FILE__, __LINE__, std::string("wrong code ") + e.code()); \
      else check_threw_ = true;                                                 \
    }                                                                           \
    if (!check_threw_) ::check::report(__FILE__, __LINE__, "expected " code_str " from " #expr); \
  } while (0)
