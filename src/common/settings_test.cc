#include "dlake/common/settings.h"

#include <cstdlib>

#include "testing/test_util.h"

namespace dlake {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::testing::HasSubstr;

// Sets an environment variable for the scope of one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

class SettingsTest : public ::testing::Test {
 protected:
  Result<Settings> FromFile(const std::string& text) {
    testing::WriteFile(dir_.Join("dlake.toml"), text);
    SettingsSources sources;
    sources.file = dir_.Join("dlake.toml");
    return Settings::Resolve(sources);
  }

  const ResolvedSetting& Get(const Settings& settings, std::string_view name) {
    for (const auto& s : settings.resolved()) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no setting " << name;
    return settings.resolved().front();
  }

  testing::TempDir dir_;
};

TEST_F(SettingsTest, DefaultsWhenNothingIsGiven) {
  Settings settings;
  EXPECT_EQ(settings.memory_limit_bytes(), 256LL << 20);
  EXPECT_EQ(settings.threads(), 0);
  EXPECT_EQ(settings.Integer(setting::kCmcRequestsPerMinute), 30);
  EXPECT_DOUBLE_EQ(settings.Number(setting::kCmcCreditBuffer), 0.35);
  EXPECT_TRUE(settings.List(setting::kAggregate).empty());
  EXPECT_EQ(Get(settings, "threads").source, SettingSource::kDefault);
}

TEST_F(SettingsTest, ReadsTablesArraysAndComments) {
  auto settings = FromFile(
      "# the lake's settings\n"
      "memory_limit = \"512MB\"  # comment\n"
      "threads = 2\n"
      "aggregate = [\"15m\", \"1h\"]\n"
      "[cmc]\n"
      "requests_per_minute = 60\n"
      "credit_buffer = 0.5\n"
      "[warehouse]\n"
      "url = \"host=127.0.0.1 dbname=dw\"\n"
      "[flows.nightly]\n"
      "tasks = [{ run = \"aggregate\", to = [\"1h\"] }]\n"
      "[schedules]\n"
      "nightly = \"0 3 * * *\"\n");
  ASSERT_THAT(settings.status(), IsOk());
  EXPECT_EQ(settings->memory_limit_bytes(), 512LL << 20);
  EXPECT_EQ(settings->threads(), 2);
  EXPECT_EQ(settings->List(setting::kAggregate), (std::vector<std::string>{"15m", "1h"}));
  EXPECT_EQ(settings->Integer(setting::kCmcRequestsPerMinute), 60);
  EXPECT_DOUBLE_EQ(settings->Number(setting::kCmcCreditBuffer), 0.5);
  EXPECT_EQ(settings->Text(setting::kWarehouseUrl), "host=127.0.0.1 dbname=dw");
  const ResolvedSetting& threads = Get(*settings, "threads");
  EXPECT_EQ(threads.source, SettingSource::kFile);
  EXPECT_EQ(threads.origin, dir_.Join("dlake.toml") + ":3");
  ASSERT_EQ(settings->flows().size(), 1u);
  EXPECT_EQ(settings->flows()[0].name, "nightly");
  EXPECT_THAT(settings->flows()[0].json, HasSubstr("\"run\""));
  EXPECT_THAT(settings->flows()[0].json, HasSubstr("\"aggregate\""));
  ASSERT_EQ(settings->schedules().size(), 1u);
  EXPECT_EQ(settings->schedules()[0].flow, "nightly");
  EXPECT_EQ(settings->schedules()[0].cron, "0 3 * * *");
}

TEST_F(SettingsTest, MissingFileIsNoSettings) {
  SettingsSources sources;
  sources.file = dir_.Join("none.toml");
  auto settings = Settings::Resolve(sources);
  ASSERT_THAT(settings.status(), IsOk());
  EXPECT_EQ(settings->threads(), 0);
}

TEST_F(SettingsTest, UnknownKeyNamesFileLineAndKey) {
  EXPECT_THAT(FromFile("threads = 2\nmemroy_limit = \"1GB\"\n").status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("dlake.toml:2: unknown setting 'memroy_limit'")));
  EXPECT_THAT(FromFile("[cmc]\nrequests_per_min = 5\n").status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("dlake.toml:2: unknown setting 'cmc.requests_per_min'")));
  EXPECT_THAT(FromFile("[nope]\nx = 1\n").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown setting 'nope'")));
}

TEST_F(SettingsTest, WrongTypeNamesFileLineKeyAndType) {
  EXPECT_THAT(FromFile("\nthreads = \"two\"\n").status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("dlake.toml:2: bad setting 'threads': expected a whole number "
                                 ">= 0, not a string")));
  EXPECT_THAT(FromFile("aggregate = \"1h\"\n").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not a string")));
  EXPECT_THAT(FromFile("aggregate = [\"1h\", \"7q\"]\n").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown period '7q'")));
  EXPECT_THAT(FromFile("[cmc]\ncredit_buffer = 1.5\n").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("cmc.credit_buffer")));
  EXPECT_THAT(FromFile("[schedules]\nnightly = 3\n").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("schedule of flow 'nightly'")));
}

TEST_F(SettingsTest, SyntaxErrorNamesFileLineAndColumn) {
  EXPECT_THAT(FromFile("threads = 2\nmemory_limit \"1GB\"\n").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("dlake.toml:2:")));
}

TEST_F(SettingsTest, FlagsBeatEnvironmentBeatsFile) {
  testing::WriteFile(dir_.Join("dlake.toml"), "threads = 2\nmemory_limit = \"1GB\"\n");
  SettingsSources sources;
  sources.file = dir_.Join("dlake.toml");
  ScopedEnv threads("DLAKE_THREADS", "3");
  ScopedEnv memory("DLAKE_MEMORY_LIMIT", "64MB");
  sources.flags = {{"memory_limit", "128MB"}};
  auto settings = Settings::Resolve(sources);
  ASSERT_THAT(settings.status(), IsOk());
  EXPECT_EQ(settings->threads(), 3);
  EXPECT_EQ(Get(*settings, "threads").origin, "DLAKE_THREADS");
  EXPECT_EQ(settings->memory_limit_bytes(), 128LL << 20);
  EXPECT_EQ(Get(*settings, "memory_limit").origin, "--memory-limit");
  sources.read_environment = false;
  settings = Settings::Resolve(sources);
  ASSERT_THAT(settings.status(), IsOk());
  EXPECT_EQ(settings->threads(), 2);
}

TEST_F(SettingsTest, BadEnvironmentValueNamesTheVariable) {
  ScopedEnv threads("DLAKE_THREADS", "abc");
  EXPECT_THAT(Settings::Resolve({}).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("bad DLAKE_THREADS='abc': expected a whole number >= 0")));
}

TEST_F(SettingsTest, NestedSettingsHaveMatchingVariablesAndFlags) {
  EXPECT_EQ(SettingEnvironmentVariable("cmc.requests_per_minute"), "DLAKE_CMC_REQUESTS_PER_MINUTE");
  EXPECT_EQ(SettingFlag("cmc.requests_per_minute"), "--cmc-requests-per-minute");
  ScopedEnv aggregate("DLAKE_AGGREGATE", "15m, 1h");
  ScopedEnv url("DLAKE_CMC_URL", "http://127.0.0.1:9/");
  auto settings = Settings::Resolve({});
  ASSERT_THAT(settings.status(), IsOk());
  EXPECT_EQ(settings->List(setting::kAggregate), (std::vector<std::string>{"15m", "1h"}));
  EXPECT_EQ(settings->Text(setting::kCmcUrl), "http://127.0.0.1:9");
}

TEST_F(SettingsTest, BadFlagNamesTheFlag) {
  SettingsSources sources;
  sources.flags = {{"memory_limit", "lots"}};
  EXPECT_THAT(Settings::Resolve(sources).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("bad --memory-limit 'lots'")));
}

TEST_F(SettingsTest, ParsesByteSizes) {
  EXPECT_EQ(*ParseByteSize("256MB"), 256LL << 20);
  EXPECT_EQ(*ParseByteSize("1.5 GiB"), 3LL << 29);
  EXPECT_EQ(*ParseByteSize("512k"), 512LL << 10);
  EXPECT_EQ(*ParseByteSize("1048576"), 1LL << 20);
  EXPECT_THAT(ParseByteSize("0").status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("0")));
  EXPECT_THAT(ParseByteSize("12 parsecs").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("12 parsecs")));
}

}  // namespace
}  // namespace dlake

namespace dlake {
namespace {

TEST(DisplayedSettingValueTest, HidesTheWarehousePasswordInEveryForm) {
  auto shown = [](const std::string& value) {
    ResolvedSetting setting;
    setting.name = "warehouse.url";
    setting.value = value;
    return DisplayedSettingValue(setting);
  };
  EXPECT_EQ(shown("host=db port=5432 user=dw password=s3cret dbname=crypto_dw"),
            "host=db port=5432 user=dw password=*** dbname=crypto_dw");
  EXPECT_EQ(shown("host=db password = 'se cr\\'et' dbname=x"), "host=db password = *** dbname=x");
  EXPECT_EQ(shown("postgresql://dw:s3cret@db:5432/crypto_dw"),
            "postgresql://dw:***@db:5432/crypto_dw");
  EXPECT_EQ(shown("postgresql://dw@db/crypto_dw?sslmode=require&password=s3cret"),
            "postgresql://dw@db/crypto_dw?sslmode=require&password=***");
  EXPECT_EQ(shown("host=db dbname=x"), "host=db dbname=x");
  ResolvedSetting other;
  other.name = "cmc.url";
  other.value = "https://user:pass@example.com";
  EXPECT_EQ(DisplayedSettingValue(other), other.value);  // not a secret-bearing setting
}

}  // namespace
}  // namespace dlake
