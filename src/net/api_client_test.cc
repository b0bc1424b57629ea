// ParseJsonBody and the ApiClient's guard around its hooks: JSON of the wrong shape becomes an
// Unavailable error naming the request, never an exception.

#include "net/api_client.h"

#include <stdexcept>

#include "testing/fake_exchange.h"
#include "testing/test_util.h"

namespace dlake::net {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kUrl[] = "http://127.0.0.1:1/api/v3/klines?symbol=BTCUSDT";

TEST(ParseJsonBodyTest, ReturnsWhatTheParserReturns) {
  auto parsed = ParseJsonBody("Binance spot", kUrl, [] { return Result<int>(7); });
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(*parsed, 7);
  EXPECT_THAT(ParseJsonBody("Binance spot", kUrl, [] { return Status::Ok(); }), IsOk());
}

TEST(ParseJsonBodyTest, AJsonExceptionIsUnavailableNamingTheUrl) {
  const nlohmann::json body = nlohmann::json::parse(R"({"symbols": 3, "msg": 5})");
  auto symbol = ParseJsonBody("Binance spot", kUrl, [&]() -> Result<std::string> {
    return body.at("symbols").value("symbol", "");
  });
  EXPECT_THAT(symbol.status(),
              StatusIs(StatusCode::kUnavailable, HasSubstr(std::string("Binance spot answered ") +
                                                           kUrl + " with an unexpected body: ")));
  EXPECT_THAT(ParseJsonBody("Binance spot", kUrl,
                            [&]() -> Status {
                              (void)body.at("msg").get<std::string>();
                              return Status::Ok();
                            }),
              StatusIs(StatusCode::kUnavailable, HasSubstr("type must be string")));
  EXPECT_THAT(ParseJsonBody("Binance spot", kUrl,
                            [&]() -> Status {
                              (void)body.at("list");
                              return Status::Ok();
                            }),
              StatusIs(StatusCode::kUnavailable, HasSubstr("'list' not found")));
}

TEST(ParseJsonBodyTest, AnErrorReturnedGetsTheUrlAndKeepsItsCode) {
  EXPECT_THAT(ParseJsonBody("Bybit linear", kUrl,
                            [] { return Result<int>(Unavailable("'list' is not an array")); }),
              StatusIs(StatusCode::kUnavailable,
                       HasSubstr(std::string("Bybit linear answered ") + kUrl +
                                 " with an unexpected body: 'list' is not an array")));
  EXPECT_THAT(ParseJsonBody("Bybit linear", kUrl, [] { return Corruption("bad checksum"); }),
              StatusIs(StatusCode::kCorruption, HasSubstr(kUrl)));
}

TEST(ParseJsonBodyTest, OtherExceptionsPassThrough) {
  EXPECT_THROW(ParseJsonBody("Binance spot", kUrl,
                             []() -> Status { throw std::runtime_error("not about JSON"); }),
               std::runtime_error);
}

// Regression: a judge hook that read an error body's message with get<std::string>() threw
// nlohmann::json::exception out of GetJson when the message was a number.
TEST(ApiClientTest, AHookThrowingOnTheBodyFailsTheRequestOnceNamingTheUrl) {
  auto fake = testing::FakeExchange::Start();
  ASSERT_THAT(fake.status(), IsOk());
  auto http = HttpClient::Make();
  ASSERT_THAT(http.status(), IsOk());
  ApiClient::Hooks hooks;
  hooks.judge = [](const std::string&, const HttpResponse&, const nlohmann::json* json) {
    Verdict v;
    v.error = Unavailable((*json).at("nonexistent").get<std::string>());
    return v;
  };
  hooks.used_cost = [](const HttpResponse&) -> int64_t { return -1; };
  ApiClient api("Binance USD-M", std::move(http).value(), std::move(hooks));
  api.SetBackoffBase(1);
  const std::string url = (*fake)->base_url() + "/fapi/v1/exchangeInfo";
  EXPECT_THAT(api.GetJson(url, 1).status(),
              StatusIs(StatusCode::kUnavailable,
                       HasSubstr("Binance USD-M answered " + url + " with an unexpected body: ")));
  EXPECT_EQ(api.stats().requests, 1);  // not retried
  EXPECT_EQ((*fake)->Stats().requests, 1);
}

}  // namespace
}  // namespace dlake::net
