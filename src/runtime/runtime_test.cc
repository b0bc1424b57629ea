#include "dlake/runtime/runtime.h"

#include <filesystem>

#include "dlake/delta/table.h"
#include "dlake/lake.h"
#include "runtime/runtime_impl.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class RuntimeTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(RuntimeTest, ReadsTheLakesSettingsFileBelowFlags) {
  testing::WriteFile(dir_.Join("dlake.toml"), "threads = 3\nmemory_limit = \"1GB\"\n");
  RuntimeOptions options;
  options.lake = dir_.path();
  options.flags = {{"threads", "1"}};
  options.read_environment = false;
  DLAKE_ASSERT_OK_AND_ASSIGN(auto runtime, Runtime::Make(options));
  EXPECT_EQ(runtime->settings().threads(), 1);
  EXPECT_EQ(runtime->settings().memory_limit_bytes(), 1LL << 30);
}

TEST_F(RuntimeTest, BadSettingFailsToMakeTheRuntime) {
  testing::WriteFile(dir_.Join("dlake.toml"), "threads = -1\n");
  RuntimeOptions options;
  options.lake = dir_.path();
  EXPECT_THAT(
      Runtime::Make(options).status(),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("dlake.toml:1: bad setting 'threads'")));
}

TEST_F(RuntimeTest, SpillsInsideTheLakeAndRemovesItsFolder) {
  RuntimeOptions options;
  options.lake = dir_.path();
  std::string spill;
  {
    DLAKE_ASSERT_OK_AND_ASSIGN(auto first, Runtime::Make(options));
    DLAKE_ASSERT_OK_AND_ASSIGN(auto second, Runtime::Make(options));
    spill = first->temp_directory();
    EXPECT_THAT(spill, StartsWith(dir_.Join(".tmp/duckdb-")));
    EXPECT_NE(first->temp_directory(), second->temp_directory());
    fs::create_directories(spill);  // as DuckDB does when it first spills
  }
  EXPECT_FALSE(fs::exists(spill));
}

TEST_F(RuntimeTest, ConfiguredTempDirectoryIsUsedAndKept) {
  RuntimeOptions options;
  options.flags = {{"temp_directory", dir_.Join("spill")}};
  fs::create_directories(dir_.Join("spill"));
  {
    DLAKE_ASSERT_OK_AND_ASSIGN(auto runtime, Runtime::Make(options));
    EXPECT_EQ(runtime->temp_directory(), dir_.Join("spill"));
  }
  EXPECT_TRUE(fs::exists(dir_.Join("spill")));
}

TEST_F(RuntimeTest, ManyTablesAndALakeShareOneDuckDB) {
  auto runtime = testing::TestRuntime(nullptr, dir_.Join("lake"));
  ASSERT_TRUE(runtime);
  LakeOptions lake_options;
  lake_options.runtime = runtime;
  DLAKE_ASSERT_OK_AND_ASSIGN(auto lake, Lake::Init(dir_.Join("lake"), lake_options));
  EXPECT_EQ(lake->runtime().get(), runtime.get());
  delta::TableOptions table_options;
  table_options.runtime = runtime;
  std::vector<std::unique_ptr<delta::Table>> tables;
  for (int i = 0; i < 8; ++i) {
    DLAKE_ASSERT_OK_AND_ASSIGN(
        auto table,
        delta::Table::Create(dir_.Join("t" + std::to_string(i)),
                             delta::WriteSource::Query("SELECT " + std::to_string(i) + " AS id"),
                             {}, table_options));
    tables.push_back(std::move(table));
  }
  // Eight tables and a lake hold the one runtime (besides this test's two options).
  lake_options.runtime.reset();
  table_options.runtime.reset();
  EXPECT_EQ(runtime.use_count(), 1 + 1 + 8);
  for (int i = 0; i < 8; ++i) {
    DLAKE_ASSERT_OK_AND_ASSIGN(auto rows, tables[i]->Read({}));
    ASSERT_EQ(rows.num_rows, 1u);
    EXPECT_EQ(rows.columns[0].ints[0], i);
  }
  // One DuckDB: every table's connection sees the same database instance.
  DLAKE_ASSERT_OK_AND_ASSIGN(auto first,
                             tables[0]->Query("SELECT current_setting('temp_directory') AS t"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto last,
                             tables[7]->Query("SELECT current_setting('temp_directory') AS t"));
  EXPECT_EQ(first.columns[0].strings[0], runtime->temp_directory());
  EXPECT_EQ(last.columns[0].strings[0], runtime->temp_directory());
}

TEST_F(RuntimeTest, DuckDBRunsInUtcWithTheConfiguredLimits) {
  RuntimeOptions options;
  options.flags = {{"memory_limit", "300MB"}, {"threads", "2"}};
  DLAKE_ASSERT_OK_AND_ASSIGN(auto runtime, Runtime::Make(options));
  delta::TableOptions table_options;
  table_options.runtime = runtime;
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto table, delta::Table::Create(dir_.Join("t"), delta::WriteSource::Query("SELECT 1 AS id"),
                                       {}, table_options));
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto settings,
      table->Query("SELECT current_setting('TimeZone') AS tz, current_setting('threads') AS t, "
                   "current_setting('memory_limit') AS m"));
  EXPECT_EQ(settings.columns[0].strings[0], "UTC");
  EXPECT_EQ(settings.columns[1].ints[0], 2);
  EXPECT_EQ(settings.columns[2].strings[0], "300.0 MiB");
}

}  // namespace
}  // namespace dlake
