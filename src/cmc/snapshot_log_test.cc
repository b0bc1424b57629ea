#include "cmc/snapshot_log.h"

#include "testing/test_util.h"

namespace dlake::cmc {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::ReadFile;
using ::dlake::testing::TempDir;
using ::dlake::testing::WriteFile;

TEST(SnapshotLogTest, AFirstRunHasNoStateAndLinesAreWrittenAsPythonWritesThem) {
  TempDir dir;
  SnapshotLog log(Env::Default(), dir.path(), "exchange_map");
  auto none = log.Last();
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_FALSE(none->has_value());
  nlohmann::ordered_json fields;
  fields["source_endpoint"] = "/v1/exchange/map";
  fields["total_count"] = 2;
  fields["exchange_ids"] = {16, 37};
  DLAKE_ASSERT_OK(log.Append("2025-05-15 18:37:23", fields));
  EXPECT_EQ(ReadFile(dir.Join("metadata/extract/exchange_map/snapshot_info.jsonl")),
            "{\"snapshot_date\": \"2025-05-15 18:37:23\", \"source_endpoint\": "
            "\"/v1/exchange/map\", \"total_count\": 2, \"exchange_ids\": [16, 37]}\n");
  auto last = log.Last();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((**last)["total_count"], 2);
}

TEST(SnapshotLogTest, ATornLastLineIsIgnoredAndTheNextLineStandsOnItsOwn) {
  TempDir dir;
  SnapshotLog log(Env::Default(), dir.path(), "crypto_map");
  nlohmann::ordered_json one;
  one["n"] = 1;
  DLAKE_ASSERT_OK(log.Append("2025-01-01 00:00:00", one));
  // A crash while appending leaves half a line without its newline.
  WriteFile(log.path(), ReadFile(log.path()) + "{\"snapshot_date\": \"2025-01-02");
  auto last = log.Last();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((**last)["n"], 1);
  nlohmann::ordered_json two;
  two["n"] = 2;
  DLAKE_ASSERT_OK(log.Append("2025-01-03 00:00:00", two));
  last = log.Last();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((**last)["n"], 2);
  EXPECT_EQ((**last)["snapshot_date"], "2025-01-03 00:00:00");
}

}  // namespace
}  // namespace dlake::cmc
