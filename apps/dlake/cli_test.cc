// The dlake command line end to end: real binary, real lake, output formats and exit codes.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "testing/test_util.h"

namespace dlake::cli {
namespace {

using ::dlake::testing::KlineOptions;
using ::dlake::testing::MakeKlineCsv;
using ::dlake::testing::RunDlake;
using ::dlake::testing::TempDir;
using ::testing::HasSubstr;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lake_ = dir_.Join("lake");
    auto init = RunDlake({"init", lake_});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    KlineOptions opts;
    opts.count = 2 * 1440;
    opts.header = true;
    csv_ = dir_.Join("btc.csv");
    testing::WriteFile(csv_, MakeKlineCsv(opts));
  }

  testing::ProcessResult Dlake(std::vector<std::string> args) {
    args.insert(args.begin(), {"--lake", lake_});
    return RunDlake(args);
  }

  TempDir dir_;
  std::string lake_, csv_;
};

TEST_F(CliTest, IngestListReadVerifyAsJson) {
  auto ingest = Dlake({"--json", "ingest", "--source", csv_, "--exchange", "binance", "--market",
                       "futures", "--symbol", "BTC/USDT:USDT"});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  auto report = nlohmann::json::parse(ingest.out);
  EXPECT_EQ(report["dataset"], "BINANCE/FUTURES/BTCUSDT/raw/1m");
  EXPECT_EQ(report["rows_read"], 2880);
  EXPECT_EQ(report["days_created"], 2);

  auto list = Dlake({"--json", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto datasets = nlohmann::json::parse(list.out);
  ASSERT_EQ(datasets.size(), 1u);
  EXPECT_EQ(datasets[0]["rows"], 2880);
  EXPECT_EQ(datasets[0]["files"], 2);

  auto files = Dlake({"--json", "list", "--files"});
  auto rows = nlohmann::json::parse(files.out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["sha256"].get<std::string>().size(), 64u);

  auto read =
      Dlake({"read", "--exchange", "binance", "--symbol", "BTCUSDT", "--start", "2024-01-01T23:58",
             "--end", "2024-01-02T00:01", "--format", "json", "--columns", "ts,close,trades"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  auto json = nlohmann::json::parse(read.out);
  ASSERT_EQ(json.size(), 3u);
  EXPECT_EQ(json[0]["ts"], 1704153480000);
  EXPECT_EQ(json[2]["ts"], 1704153600000);
  EXPECT_TRUE(json[0]["trades"].is_number_integer());

  auto verify = Dlake({"--json", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_EQ(nlohmann::json::parse(verify.out)["ok"], true);
}

TEST_F(CliTest, ReadFormatsCsvTableAndParquet) {
  ASSERT_EQ(
      Dlake({"ingest", "--source", csv_, "--exchange", "binance", "--symbol", "BTCUSDT"}).exit_code,
      0);
  auto csv = Dlake({"read", "--exchange", "binance", "--symbol", "BTCUSDT", "--end", "2024-01-01",
                    "--format", "csv", "--columns", "ts,open", "--limit", "2"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')), "ts,open");
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 3);

  auto table = Dlake({"read", "--exchange", "binance", "--symbol", "BTCUSDT", "--limit", "3"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out, HasSubstr("2024-01-01T00:00:00.000Z"));
  EXPECT_THAT(table.out, HasSubstr("(3 rows)"));

  const std::string out = dir_.Join("day.parquet");
  auto parquet =
      Dlake({"read", "--exchange", "binance", "--symbol", "BTCUSDT", "--start", "2024-01-02",
             "--end", "2024-01-02", "--format", "parquet", "--output", out});
  ASSERT_EQ(parquet.exit_code, 0) << parquet.err;
  EXPECT_THAT(parquet.err, HasSubstr("Wrote 1440 rows"));
  EXPECT_EQ(testing::ReadFile(out).substr(0, 4), "PAR1");
}

TEST_F(CliTest, UsageErrorsExitTwoAndFailuresExitOne) {
  auto bad_date =
      Dlake({"read", "--exchange", "binance", "--symbol", "BTCUSDT", "--start", "2024-13-01"});
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_THAT(bad_date.err, HasSubstr("2024-13-01"));
  auto missing_flag = Dlake({"read", "--symbol", "BTCUSDT"});
  EXPECT_EQ(missing_flag.exit_code, 2);
  auto bad_period = Dlake({"ingest", "--source", csv_, "--exchange", "binance", "--symbol",
                           "BTCUSDT", "--period", "7m"});
  EXPECT_EQ(bad_period.exit_code, 2);
  EXPECT_THAT(bad_period.err, HasSubstr("unknown period '7m'"));
  auto no_data = Dlake({"read", "--exchange", "binance", "--symbol", "ETHUSDT"});
  EXPECT_EQ(no_data.exit_code, 1);
  EXPECT_THAT(no_data.err, HasSubstr("no dataset BINANCE/*/ETHUSDT/raw/1m"));
}

// One resolution of settings for every command: the same error and exit code whether the
// command is a lake command or a Delta one (they used to differ).
TEST_F(CliTest, BadSettingExitsTwoForEveryCommandNamingItsSource) {
  auto table = dir_.Join("table");
  auto created = Dlake({"delta", "create", table, "--from", csv_});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"list"}, {"verify"}, {"config"}, {"delta", "history", table}}) {
    auto variable = testing::RunDlake(
        [&] {
          auto args = command;
          args.insert(args.begin(), {"--lake", lake_});
          return args;
        }(),
        {{"DLAKE_THREADS", "abc"}});
    EXPECT_EQ(variable.exit_code, 2) << command[0] << ": " << variable.err;
    EXPECT_THAT(variable.err, HasSubstr("bad DLAKE_THREADS='abc'")) << command[0];
  }
  testing::WriteFile(lake_ + "/dlake.toml", "threads = 2\n[cmc]\nrequests_per_min = 5\n");
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"list"}, {"delta", "history", table}}) {
    auto file = Dlake(command);
    EXPECT_EQ(file.exit_code, 2) << command[0];
    EXPECT_THAT(file.err, HasSubstr("dlake.toml:3: unknown setting 'cmc.requests_per_min'"))
        << command[0];
  }
  std::filesystem::remove(lake_ + "/dlake.toml");
  auto flag = Dlake({"--threads", "many", "list"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_THAT(flag.err, HasSubstr("bad --threads 'many'"));
}

TEST_F(CliTest, ConfigShowsEachSettingAndWhereItCameFrom) {
  testing::WriteFile(lake_ + "/dlake.toml",
                     "threads = 2\naggregate = [\"15m\", \"1h\"]\n[cmc]\nrequests_per_minute = 20\n"
                     "[flows.nightly]\ntasks = []\n[schedules]\nnightly = \"0 3 * * *\"\n");
  auto config = testing::RunDlake({"--lake", lake_, "--json", "--memory-limit", "1GB", "config"},
                                  {{"DLAKE_CMC_MONTHLY_CREDITS", "2000"}});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  auto json = nlohmann::json::parse(config.out);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& s : json["settings"]) by_name[s["name"]] = s;
  EXPECT_EQ(by_name["threads"]["value"], "2");
  EXPECT_EQ(by_name["threads"]["source"], "file");
  EXPECT_EQ(by_name["threads"]["origin"], lake_ + "/dlake.toml:1");
  EXPECT_EQ(by_name["aggregate"]["value"], "15m,1h");
  EXPECT_EQ(by_name["cmc.requests_per_minute"]["value"], "20");
  EXPECT_EQ(by_name["cmc.monthly_credits"]["value"], "2000");
  EXPECT_EQ(by_name["cmc.monthly_credits"]["origin"], "DLAKE_CMC_MONTHLY_CREDITS");
  EXPECT_EQ(by_name["memory_limit"]["source"], "flag");
  EXPECT_EQ(by_name["retry_base_ms"]["source"], "default");
  EXPECT_EQ(json["flows"], nlohmann::json::array({"nightly"}));
  EXPECT_EQ(json["schedules"]["nightly"], "0 3 * * *");
}

TEST_F(CliTest, NamesAreCaseInsensitive) {
  auto ingest = Dlake({"--json", "ingest", "--source", csv_, "--exchange", "Binance", "--market",
                       "Futures", "--symbol", "btcusdt", "--type", "RAW"});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_EQ(nlohmann::json::parse(ingest.out)["dataset"], "BINANCE/FUTURES/BTCUSDT/raw/1m");
  auto list = Dlake({"--json", "list", "--type", "Raw", "--period", "1m"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out).size(), 1u);
  // "1M" is a month and "1m" a minute: no month dataset exists.
  auto months = Dlake({"--json", "list", "--period", "1M"});
  ASSERT_EQ(months.exit_code, 0) << months.err;
  EXPECT_TRUE(nlohmann::json::parse(months.out).empty());
}

TEST_F(CliTest, EveryCommandHasHelp) {
  for (const char* command : {"init", "ingest", "read", "list", "delete", "verify", "config"}) {
    auto help = RunDlake({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("--help")) << command;
  }
}

}  // namespace
}  // namespace dlake::cli
