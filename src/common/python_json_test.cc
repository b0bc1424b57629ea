#include "common/python_json.h"

#include <gtest/gtest.h>

namespace dlake {
namespace {

TEST(PythonJsonTest, WritesWhatJsonDumpsWritesWithDefaults) {
  nlohmann::ordered_json line;
  line["snapshot_date"] = "2025-05-15 18:37:23";
  line["total_count"] = 816;
  line["ids"] = {16, 37};
  line["ok"] = true;
  line["none"] = nullptr;
  line["empty"] = nlohmann::ordered_json::array();
  EXPECT_EQ(PythonJsonDumps(line),
            R"({"snapshot_date": "2025-05-15 18:37:23", "total_count": 816, "ids": [16, 37], )"
            R"("ok": true, "none": null, "empty": []})");
}

TEST(PythonJsonTest, FloatsAsPythonReprsThem) {
  const std::pair<double, const char*> cases[] = {
      {0.0, "0.0"},         {1.0, "1.0"},          {0.1, "0.1"},
      {2.5, "2.5"},         {-3.25, "-3.25"},      {1e15, "1000000000000000.0"},
      {1e16, "1e+16"},      {1e-05, "1e-05"},      {0.0001, "0.0001"},
      {123.456, "123.456"}, {1.5e300, "1.5e+300"}, {66926283498.60113, "66926283498.60113"},
  };
  for (const auto& [value, repr] : cases) {
    EXPECT_EQ(PythonJsonDumps(nlohmann::ordered_json(value)), repr) << value;
  }
}

TEST(PythonJsonTest, EscapesNonAsciiAsEnsureAsciiDoes) {
  EXPECT_EQ(PythonJsonDumps("caf\xc3\xa9 \"q\"\n"), R"("caf\u00e9 \"q\"\n")");
  EXPECT_EQ(PythonJsonDumps("\xf0\x9f\x9a\x80"), R"("\ud83d\ude80")");
  EXPECT_EQ(PythonJsonDumps("a\x01"), R"("a\u0001")");
}

}  // namespace
}  // namespace dlake
