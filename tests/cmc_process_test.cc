// `dlake cmc …` through the real binary against the fake CoinMarketCap served from this process:
// exit codes, JSON, keys kept secret, and extracts killed at random moments.

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "testing/fake_cmc.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CmcProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fake = FakeCmc::Start({});
    ASSERT_THAT(fake.status(), IsOk());
    fake_ = std::move(*fake);
    InitLake(lake_.path());
  }

  SpawnOptions Options() const {
    SpawnOptions options;
    options.env = {{"DLAKE_CMC_URL", fake_->base_url()},
                   {"CMC_API_KEY", fake_->options().api_key},
                   {"DLAKE_CMC_REQUESTS_PER_MINUTE", "1000000"},
                   {"DLAKE_RETRY_BASE_MS", "1"}};
    return options;
  }

  TempDir lake_;
  std::unique_ptr<FakeCmc> fake_;
};

TEST_F(CmcProcessTest, ExtractPrintsTheLibrarysJsonAndExitsByOutcome) {
  ProcessResult ok = Dlake(lake_.path(), {"--json", "cmc", "extract", "--group", "10x"}, Options());
  ASSERT_EQ(ok.exit_code, 0) << Describe(ok);
  auto json = nlohmann::json::parse(ok.out);
  EXPECT_EQ(json["ok"], true);
  EXPECT_EQ(json["endpoints"].size(), 3u);
  EXPECT_EQ(json["credits"], fake_->Stats().credits);

  ProcessResult credits = Dlake(lake_.path(), {"--json", "cmc", "credits"}, Options());
  ASSERT_EQ(credits.exit_code, 0) << Describe(credits);
  EXPECT_EQ(nlohmann::json::parse(credits.out)["today"], fake_->Stats().credits);

  fake_->InjectFault({.kind = CmcFaultKind::kHttpError,
                      .count = -1,
                      .path_prefix = "/v3/fear-and-greed/latest",
                      .status = 500});
  ProcessResult failed = Dlake(lake_.path(), {"cmc", "extract", "--group", "10x"}, Options());
  EXPECT_EQ(failed.exit_code, 1) << Describe(failed);
  EXPECT_THAT(failed.out, HasSubstr("fear_and_greed_latest: failed"));

  ProcessResult usage = Dlake(lake_.path(), {"cmc", "extract", "--group", "hourly"}, Options());
  EXPECT_EQ(usage.exit_code, 2) << Describe(usage);
  EXPECT_THAT(usage.err, HasSubstr("unknown extract group 'hourly'"));
  ProcessResult unknown = Dlake(lake_.path(), {"cmc", "extrac"}, Options());
  EXPECT_EQ(unknown.exit_code, 2) << Describe(unknown);
  EXPECT_THAT(unknown.err, HasSubstr("cmc commands"));
}

TEST_F(CmcProcessTest, TheKeyComesFromTheEnvironmentOrAPrivateFileAndIsNeverShown) {
  SpawnOptions options = Options();
  options.unset_env = {"CMC_API_KEY"};
  options.env.erase("CMC_API_KEY");
  ProcessResult none = Dlake(lake_.path(), {"cmc", "extract", "--group", "10x"}, options);
  EXPECT_EQ(none.exit_code, 1) << Describe(none);
  EXPECT_THAT(none.err, HasSubstr("CMC_API_KEY"));
  EXPECT_EQ(fake_->Stats().requests, 0);

  const std::string key_file = lake_.Join("cmc.key");
  WriteFile(key_file, fake_->options().api_key + "\n");
  ::chmod(key_file.c_str(), 0644);
  WriteFile(lake_.Join("dlake.toml"), "[cmc]\nkey_file = \"" + key_file + "\"\n");
  ProcessResult open = Dlake(lake_.path(), {"cmc", "extract", "--group", "10x"}, options);
  EXPECT_EQ(open.exit_code, 1) << Describe(open);
  EXPECT_THAT(open.err, HasSubstr("chmod 600"));

  ::chmod(key_file.c_str(), 0600);
  ProcessResult good = Dlake(lake_.path(), {"-v", "cmc", "extract", "--group", "10x"}, options);
  EXPECT_EQ(good.exit_code, 0) << Describe(good);
  fake_->InjectFault({.kind = CmcFaultKind::kApiError, .count = -1, .error_code = 1002});
  ProcessResult rejected = Dlake(lake_.path(), {"-v", "cmc", "extract", "--group", "10x"}, options);
  EXPECT_EQ(rejected.exit_code, 1) << Describe(rejected);
  EXPECT_THAT(rejected.out, HasSubstr("1002"));
  for (const ProcessResult* r : {&good, &rejected}) {
    EXPECT_THAT(r->out + r->err, Not(HasSubstr(fake_->options().api_key)));
  }
  for (const auto& file : ListFilesRecursive(lake_.path())) {
    if (file == "cmc.key") continue;
    EXPECT_THAT(ReadFile(lake_.Join(file)), Not(HasSubstr(fake_->options().api_key))) << file;
  }
}

TEST_F(CmcProcessTest, AnExtractKilledAnywhereLeavesNoPartialFileAndAReRunCompletes) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay_ms(50, 2500);
  for (int round = 0; round < 6; ++round) {
    auto child =
        DlakeChild::Start({"--lake", lake_.path(), "cmc", "extract", "--group", "init"}, Options());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    child->Kill(SIGKILL);
    child->Wait();
    // Every bronze file the manifest lists is whole; anything else is a temporary file, or a
    // whole file killed between its rename and its registration: an orphan that verify
    // reports and repair removes.
    nlohmann::json verify = VerifyJson(lake_.path());
    EXPECT_TRUE(verify["checksum_mismatches"].empty()) << verify.dump();
    EXPECT_TRUE(verify["missing_files"].empty()) << verify.dump();
    nlohmann::json repaired = VerifyJson(lake_.path(), /*repair=*/true);
    EXPECT_TRUE(repaired["ok"]) << repaired.dump();
  }
  ProcessResult rerun =
      Dlake(lake_.path(), {"--json", "cmc", "extract", "--group", "init"}, Options());
  ASSERT_EQ(rerun.exit_code, 0) << Describe(rerun);
  nlohmann::json verify = VerifyJson(lake_.path());
  EXPECT_TRUE(verify["ok"]) << verify.dump();
  EXPECT_TRUE(TempFilesUnder(lake_.path()).empty());
  // Every snapshot line is whole JSON.
  for (const auto& file : ListFilesRecursive(lake_.Join("metadata/extract"))) {
    std::ifstream in(lake_.Join("metadata/extract/" + file));
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded())
          << file << ": " << line;
    }
  }
}

TEST_F(CmcProcessTest, ATransformKilledAnywhereLeavesNoHalfCommitAndAReRunCompletes) {
  ProcessResult extract = Dlake(lake_.path(), {"cmc", "extract", "--group", "init"}, Options());
  ASSERT_EQ(extract.exit_code, 0) << Describe(extract);
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> delay_ms(20, 1500);
  for (int round = 0; round < 6; ++round) {
    auto child = DlakeChild::Start({"--lake", lake_.path(), "cmc", "transform", "--group", "all"},
                                   Options());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    child->Kill(SIGKILL);
    child->Wait();
    // Every table that exists reads at its latest version: no half commit.
    ProcessResult status = Dlake(lake_.path(), {"--json", "cmc", "status"}, Options());
    ASSERT_EQ(status.exit_code, 0) << Describe(status);
  }
  ProcessResult rerun =
      Dlake(lake_.path(), {"--json", "cmc", "transform", "--group", "all"}, Options());
  ASSERT_EQ(rerun.exit_code, 0) << Describe(rerun);
  ProcessResult status = Dlake(lake_.path(), {"--json", "cmc", "status"}, Options());
  ASSERT_EQ(status.exit_code, 0) << Describe(status);
  auto tables = nlohmann::json::parse(status.out)["tables"];
  ASSERT_EQ(tables.size(), 14u);
  std::map<std::string, int64_t> versions;
  for (const auto& t : tables) {
    EXPECT_TRUE(t["exists"].get<bool>()) << t.dump();
    EXPECT_GT(t["rows"].get<int64_t>(), 0) << t.dump();
    versions[t["path"].get<std::string>() + "/" + t["table"].get<std::string>()] =
        t["version"].get<int64_t>();
  }
  // Nothing new: a further run commits nothing.
  ProcessResult idle =
      Dlake(lake_.path(), {"--json", "cmc", "transform", "--group", "all"}, Options());
  ASSERT_EQ(idle.exit_code, 0) << Describe(idle);
  // Named: a range-for over a member of a temporary would iterate freed memory.
  auto idle_report = nlohmann::json::parse(idle.out);
  for (const auto& t : idle_report["tables"]) {
    EXPECT_EQ(t["status"], "skipped") << t.dump();
  }
  auto after =
      nlohmann::json::parse(Dlake(lake_.path(), {"--json", "cmc", "status"}, Options()).out);
  for (const auto& t : after["tables"]) {
    EXPECT_EQ(t["version"].get<int64_t>(),
              versions[t["path"].get<std::string>() + "/" + t["table"].get<std::string>()]);
  }
}

}  // namespace
}  // namespace dlake::testing
