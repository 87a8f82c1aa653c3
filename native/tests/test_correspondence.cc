#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "check.h"
#include "correspondence.h"
#include "error.h"
#include "test_data.h"

namespace {

// Double-precision reference: the k best rows of `to` for every row of `from` (ties: lower index).
std::vector<std::vector<std::pair<double, int>>> reference(const dinov3::MatrixView& from, const dinov3::MatrixView& to,
                                                           int k) {
  std::vector<std::vector<std::pair<double, int>>> out(from.rows);
  for (int64_t i = 0; i < from.rows; ++i) {
    std::vector<std::pair<double, int>> all;
    for (int64_t j = 0; j < to.rows; ++j) {
      double dot = 0, na = 0, nb = 0;
      for (int64_t d = 0; d < from.dim; ++d) {
        dot += double(from.row(i)[d]) * to.row(j)[d];
        na += double(from.row(i)[d]) * from.row(i)[d];
        nb += double(to.row(j)[d]) * to.row(j)[d];
      }
      const double s = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : 0.0;
      all.push_back({s, static_cast<int>(j)});
    }
    std::stable_sort(all.begin(), all.end(), [](auto& x, auto& y) { return x.first > y.first; });
    all.resize(k);
    out[i] = all;
  }
  return out;
}

// Compares one direction; a differing index is accepted only where the reference has a near-tie.
double compare(const dinov3::Neighbours& n, const std::vector<std::vector<std::pair<double, int>>>& ref, int& wrong) {
  double worst = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    for (int l = 0; l < n.k; ++l) {
      const double expect = ref[i][l].first;
      const float got = n.similarity[i * n.k + l];
      worst = std::max(worst, std::fabs(expect - got));
      if (n.index[i * n.k + l] != ref[i][l].second) {
        const bool near_tie = (l + 1 < n.k && std::fabs(ref[i][l + 1].first - expect) < 1e-6) ||
                              (l > 0 && std::fabs(ref[i][l - 1].first - expect) < 1e-6);
        if (!near_tie) ++wrong;
      }
    }
  }
  return worst;
}

}  // namespace

TEST(correspondence_matches_double_precision_reference_both_ways) {
  // Strided views, sizes that are not multiples of the blocks (32 rows of a, 256 of b, 4-row steps).
  struct Case {
    int64_t ra, rb, dim, stride_a, stride_b;
    int k;
  };
  const Case cases[] = {{301, 277, 67, 70, 67, 1}, {70, 600, 384, 390, 384, 3}, {5, 3, 9, 9, 12, 3}, {256, 256, 64, 64, 64, 5}};
  for (const Case& c : cases) {
    auto abuf = testdata::uniform(c.ra * c.stride_a + 7, c.ra + c.dim);
    auto bbuf = testdata::uniform(c.rb * c.stride_b, c.rb + 3 * c.dim);
    dinov3::MatrixView a{abuf.data() + 7, c.ra, c.dim, c.stride_a};
    dinov3::MatrixView b{bbuf.data(), c.rb, c.dim, c.stride_b};
    const auto r = dinov3::nearest_neighbours(a, b, c.k);
    int wrong = 0;
    const double worst = std::max(compare(r.a_to_b, reference(a, b, c.k), wrong), compare(r.b_to_a, reference(b, a, c.k), wrong));
    if (worst >= 1e-6 || wrong) std::printf("  %lldx%lld dim %lld k %d: worst %g, wrong %d\n", (long long)c.ra, (long long)c.rb,
                                            (long long)c.dim, c.k, worst, wrong);
    CHECK(worst < 1e-6);
    CHECK(wrong == 0);
  }
}

TEST(correspondence_finds_a_permutation_and_keeps_lower_index_on_ties) {
  // b is a shuffled copy of a (scaled): every row's nearest neighbour is its copy, similarity 1.
  const int64_t rows = 100, dim = 16;
  auto a = testdata::uniform(rows * dim, 5);
  std::vector<int> perm(rows);
  std::iota(perm.begin(), perm.end(), 0);
  std::reverse(perm.begin(), perm.end());
  std::rotate(perm.begin(), perm.begin() + 37, perm.end());
  std::vector<float> b(rows * dim);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t d = 0; d < dim; ++d) b[perm[i] * dim + d] = 3.0f * a[i * dim + d];
  const auto r = dinov3::nearest_neighbours({a.data(), rows, dim, dim}, {b.data(), rows, dim, dim}, 1);
  for (int64_t i = 0; i < rows; ++i) {
    CHECK(r.a_to_b.index[i] == perm[i]);
    CHECK(r.b_to_a.index[perm[i]] == i);
    CHECK_NEAR(r.a_to_b.similarity[i], 1.0, 1e-6);
  }
  // Two identical rows in b: the lower index wins; a zero row scores 0, never NaN.
  std::vector<float> x = {1, 0, 0, 0}, y = {0, 0, 2, 0, 2, 0};
  const auto t = dinov3::nearest_neighbours({x.data(), 2, 2, 2}, {y.data(), 3, 2, 2}, 1);
  CHECK(t.a_to_b.index[0] == 1);
  CHECK(t.a_to_b.similarity[1] == 0.0f);
  CHECK(t.a_to_b.index[1] == 0);
}

TEST(correspondence_rejects_bad_arguments) {
  std::vector<float> x(12, 1.0f);
  bool threw = false;
  try {
    dinov3::nearest_neighbours({x.data(), 3, 4, 4}, {x.data(), 4, 3, 3}, 1);
  } catch (const dinov3::Error& e) {
    threw = std::string(e.code()) == "ERR_DINO_SHAPE_MISMATCH";
  }
  CHECK(threw);
  threw = false;
  try {
    dinov3::nearest_neighbours({x.data(), 3, 4, 4}, {x.data(), 2, 4, 4}, 3);
  } catch (const dinov3::Error& e) {
    threw = std::string(e.code()) == "ERR_DINO_INVALID_ARGUMENT";
  }
  CHECK(threw);
}
