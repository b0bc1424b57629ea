// Semantic versions: strict parsing with errors that say what is wrong, precedence as
// semver.org orders it (not as floats), and feature dataset ids built from them.

#include "dlake/common/semver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "dlake/common/dataset.h"

namespace dlake {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

SemVer V(const char* text) {
  auto v = SemVer::Parse(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  return v.ok() ? *v : SemVer{};
}

TEST(SemVerTest, ParsesEveryPartAndPrintsItBack) {
  SemVer v = V("12.0.345-rc.1.x-y+build.7");
  EXPECT_EQ(v.major, 12u);
  EXPECT_EQ(v.minor, 0u);
  EXPECT_EQ(v.patch, 345u);
  EXPECT_THAT(v.prerelease, ElementsAre("rc", "1", "x-y"));
  EXPECT_EQ(v.build, "build.7");
  EXPECT_EQ(v.ToString(), "12.0.345-rc.1.x-y+build.7");
  EXPECT_EQ(V("1.2.3-rc.1").NextPatch().ToString(), "1.2.4");
}

TEST(SemVerTest, RefusesWhatIsNotStrictSemverAndSaysWhy) {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {
      {"1.0", "three numbers"},     {"v1.0.0", "not a number"},
      {"1.01.0", "leading zero"},   {"1.0.0-", "prerelease"},
      {"1.0.0-01", "leading zero"}, {"1.0.0+", "build"},
      {"1.0.0-a..b", "prerelease"}, {"1.0.x", "not a number"},
      {"", "three numbers"},        {"99999999999999999999.0.0", "too large"},
      {"1.0.0-a_b", "prerelease"},  {"1.2", "expected a semantic version"},
  };
  for (const auto& c : cases) {
    auto v = SemVer::Parse(c.text);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_THAT(v.status().message(), HasSubstr(c.why)) << c.text;
    EXPECT_THAT(v.status().message(), HasSubstr("'" + std::string(c.text) + "'"));
  }
}

TEST(SemVerTest, PrecedenceIsSemverNotFloatOrText) {
  // The order of semver.org §11, plus the float trap of the original (1.10 after 1.9).
  std::vector<const char*> ordered = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                      "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                      "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                                      "1.9.0",       "1.10.0",        "2.0.0",
                                      "10.0.0"};
  for (size_t i = 0; i + 1 < ordered.size(); ++i) {
    EXPECT_LT(V(ordered[i]), V(ordered[i + 1])) << ordered[i] << " < " << ordered[i + 1];
    EXPECT_GT(V(ordered[i + 1]), V(ordered[i]));
  }
  std::vector<SemVer> shuffled;
  for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) shuffled.push_back(V(*it));
  std::sort(shuffled.begin(), shuffled.end());
  for (size_t i = 0; i < ordered.size(); ++i) EXPECT_EQ(shuffled[i].ToString(), ordered[i]);
  EXPECT_EQ(V("1.0.0+a"), V("1.0.0+b"));  // build metadata has no precedence
}

TEST(FeatureDatasetTest, LivesUnderFeaturesWithItsSetAndVersion) {
  auto id = DatasetId::Feature("alpha_v1", "1.10.0", "binance", "btc/usdt");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->Path(), "features/alpha_v1/1.10.0/BINANCE/BTCUSDT");
  EXPECT_TRUE(id->IsFeature());
  EXPECT_EQ(id->FeatureSet(), "alpha_v1");
  EXPECT_EQ(id->FeatureVersion(), "1.10.0");
  EXPECT_EQ(id->market, "");

  EXPECT_THAT(DatasetId::Feature("../x", "1.0.0", "BINANCE", "BTCUSDT").status().message(),
              HasSubstr("invalid feature set name '../x'"));
  EXPECT_THAT(DatasetId::Feature("alpha", "1.0", "BINANCE", "BTCUSDT").status().message(),
              HasSubstr("invalid version '1.0'"));
  EXPECT_THAT(DatasetId::Feature("alpha", "1.0.0+b", "BINANCE", "BTCUSDT").status().message(),
              HasSubstr("build metadata"));
  EXPECT_THAT(DatasetId::Feature("alpha", "1.0.0", "BIN/ANCE", "BTCUSDT").status().message(),
              HasSubstr("exchange"));
  EXPECT_EQ(*ParseListedType("FEATURE"), "feature");
  EXPECT_THAT(ParseDataType("feature").status().message(), HasSubstr("unknown data type"));
}

}  // namespace
}  // namespace dlake
