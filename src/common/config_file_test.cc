#include "common/config_file.h"

#include "testing/test_util.h"

namespace dlake {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ConfigFileTest, ReadsFlatKeysWithCommentsAndQuotes) {
  testing::TempDir dir;
  testing::WriteFile(dir.Join("dlake.toml"),
                     "# settings\nmemory_limit = \"512MB\"  # comment\nthreads = 2\n\n");
  auto config = ReadConfigFile(dir.Join("dlake.toml"));
  ASSERT_THAT(config.status(), IsOk());
  EXPECT_EQ(config->at("memory_limit"), "512MB");
  EXPECT_EQ(config->at("threads"), "2");
}

TEST(ConfigFileTest, MissingFileIsEmpty) {
  testing::TempDir dir;
  auto config = ReadConfigFile(dir.Join("none.toml"));
  ASSERT_THAT(config.status(), IsOk());
  EXPECT_TRUE(config->empty());
}

TEST(ConfigFileTest, MalformedLineNamesFileAndLine) {
  testing::TempDir dir;
  testing::WriteFile(dir.Join("dlake.toml"), "threads = 2\nmemory_limit \"1GB\"\n");
  EXPECT_THAT(ReadConfigFile(dir.Join("dlake.toml")).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("dlake.toml:2: no '='")));
}

}  // namespace
}  // namespace dlake
