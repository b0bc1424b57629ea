// CmcClient against the fake CoinMarketCap: pacing, retries and the failures that stop a run.

#include "cmc/cmc_client.h"

#include <map>

#include "testing/fake_cmc.h"
#include "testing/test_util.h"

namespace dlake::cmc {
namespace {

using ::dlake::testing::CmcFault;
using ::dlake::testing::CmcFaultKind;
using ::dlake::testing::FakeCmc;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

struct ClientUnderTest {
  std::unique_ptr<FakeCmc> fake;
  std::unique_ptr<CmcClient> client;
  std::map<std::string, int64_t> credits;  // what the usage sink was told
};

ClientUnderTest Make(testing::FakeCmcOptions fake_options, int64_t per_window, int64_t window_ms) {
  ClientUnderTest t;
  fake_options.cryptos = 300;
  fake_options.exchanges = 40;
  fake_options.exchanges_with_assets = 4;
  fake_options.wallets = 40;
  fake_options.categories = 5;
  fake_options.category_links = 60;
  auto fake = FakeCmc::Start(fake_options);
  EXPECT_THAT(fake.status(), IsOk());
  t.fake = std::move(*fake);
  CmcClientOptions options;
  options.base_url = t.fake->base_url();
  options.api_key = t.fake->options().api_key;
  options.requests_per_minute = per_window;
  options.window_ms = window_ms;
  options.retry_base_ms = 1;
  auto* credits = &t.credits;
  auto client = CmcClient::Make(options, [credits](const std::string& path, int64_t n) {
    (*credits)[path] += n;
    return Status::Ok();
  });
  EXPECT_THAT(client.status(), IsOk());
  t.client = std::move(*client);
  return t;
}

TEST(CmcClientTest, PacedToTheRequestsPerMinuteItDrawsNoThrottle) {
  // The plan's 30 a minute, on a fake whose minute is 300 ms.
  testing::FakeCmcOptions options;
  options.requests_per_minute = 30;
  options.minute_ms = 300;
  ClientUnderTest t = Make(options, 30, 300);
  for (int i = 0; i < 75; ++i) {
    ASSERT_THAT(t.client->Get("/v3/fear-and-greed/latest", "", false).status(), IsOk()) << i;
  }
  EXPECT_EQ(t.fake->Stats().sent_429, 0);
  EXPECT_EQ(t.fake->Stats().requests, 75);
  EXPECT_EQ(t.credits["/v3/fear-and-greed/latest"], 75);
  EXPECT_LE(t.client->stats().max_window_cost, 30);
}

TEST(CmcClientTest, APerMinuteLimitIsWaitedOutAndServerErrorsRetried) {
  ClientUnderTest t = Make({}, 1000000, 60000);
  t.fake->InjectFault({.kind = CmcFaultKind::kApiError, .count = 2, .error_code = 1008});
  auto response = t.client->Get("/v1/global-metrics/quotes/latest", "", false);
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(t.fake->Stats().requests, 3);
  EXPECT_EQ(t.client->stats().rate_limited, 2);
  for (auto kind :
       {CmcFaultKind::kTruncatedBody, CmcFaultKind::kCutBody, CmcFaultKind::kDropConnection,
        CmcFaultKind::kHtmlOk, CmcFaultKind::kEmptyData}) {
    t.fake->InjectFault({.kind = kind, .count = 1});
    EXPECT_THAT(t.client->Get("/v1/global-metrics/quotes/latest", "", false).status(), IsOk())
        << static_cast<int>(kind);
  }
  // Four attempts in all, then the endpoint fails naming the URL.
  t.fake->InjectFault({.kind = CmcFaultKind::kHttpError, .count = 4, .status = 502});
  EXPECT_THAT(t.client->Get("/v1/global-metrics/quotes/latest", "", false).status(),
              StatusIs(StatusCode::kUnavailable, HasSubstr("/v1/global-metrics/quotes/latest")));
}

TEST(CmcClientTest, KeyPlanAndCreditErrorsStopAtOnceNamingTheCode) {
  ClientUnderTest t = Make({}, 1000000, 60000);
  for (int code : {1001, 1002, 1003, 1004, 1005, 1006, 1007, 1009, 1010}) {
    t.fake->ResetStats();
    t.fake->InjectFault({.kind = CmcFaultKind::kApiError, .count = 1, .error_code = code});
    auto response = t.client->Get("/v1/exchange/map", "start=1&limit=10", false);
    EXPECT_THAT(response.status(), StatusIs(StatusCode::kFailedPrecondition,
                                            HasSubstr("error_code " + std::to_string(code))));
    EXPECT_THAT(response.status().message(), Not(HasSubstr(t.fake->options().api_key)));
    EXPECT_EQ(t.fake->Stats().requests, 1) << code;
  }
  t.fake->InjectFault({.kind = CmcFaultKind::kApiError, .count = 1, .error_code = 400});
  EXPECT_THAT(t.client->Get("/v1/exchange/map", "start=1&limit=10", false).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("HTTP 400")));
}

TEST(CmcClientTest, ExhaustedCreditsOnTheServerStopTheClient) {
  testing::FakeCmcOptions options;
  options.monthly_credit_limit = 3;
  ClientUnderTest t = Make(options, 1000000, 60000);
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(t.client->Get("/v3/fear-and-greed/latest", "", false).status(), IsOk());
  }
  EXPECT_THAT(t.client->Get("/v3/fear-and-greed/latest", "", false).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("1010")));
}

}  // namespace
}  // namespace dlake::cmc
