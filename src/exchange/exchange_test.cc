// The Binance and Bybit clients against the fake exchange on 127.0.0.1: every endpoint's answer
// of well-formed JSON with fields of the wrong type is an error naming the request's URL, after
// one request, never an exception.

#include "exchange/exchange.h"

#include <ostream>
#include <string>
#include <vector>

#include "dlake/common/time.h"
#include "exchange/exchange_impl.h"
#include "testing/fake_exchange.h"
#include "testing/test_util.h"

namespace dlake::exchange {
namespace {

using ::dlake::testing::FakeExchange;
using ::dlake::testing::FaultKind;
using ::dlake::testing::FaultSpec;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::WrongType;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1717245296789;  // 2024-06-01T12:34:56.789Z
constexpr int64_t kHour = kMsPerHour;

enum class Call { kSymbols, kCandles, kFunding };

struct Endpoint {
  const char* exchange;  // "binance" | "bybit"
  const char* market;    // "futures" | "spot" | "linear"
  Call call;
  const char* url;  // the request's path and the start of its query
};

const Endpoint kEndpoints[] = {
    {"binance", "futures", Call::kSymbols, "/fapi/v1/exchangeInfo"},
    {"binance", "futures", Call::kCandles, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m"},
    {"binance", "futures", Call::kFunding, "/fapi/v1/fundingRate?symbol=BTCUSDT"},
    {"binance", "spot", Call::kSymbols, "/api/v3/exchangeInfo"},
    {"binance", "spot", Call::kCandles, "/api/v3/klines?symbol=BTCUSDT&interval=1m"},
    {"bybit", "linear", Call::kSymbols, "/v5/market/instruments-info?category=linear"},
    {"bybit", "linear", Call::kCandles, "/v5/market/kline?category=linear&symbol=BTCUSDT"},
    {"bybit", "linear", Call::kFunding,
     "/v5/market/funding/history?category=linear&symbol=BTCUSDT"},
};

std::string Path(const char* url) {
  const std::string text = url;
  return text.substr(0, text.find('?'));
}

const char* WrongTypeName(WrongType kind) {
  switch (kind) {
    case WrongType::kContainer:
      return "Container";
    case WrongType::kRow:
      return "Row";
    case WrongType::kField:
      return "Field";
    case WrongType::kErrorMessage:
      return "ErrorMessage";
  }
  return "?";
}

// One endpoint answering with one kind of wrong types.
struct WrongBody {
  Endpoint endpoint;
  WrongType kind;
};

std::vector<WrongBody> EveryWrongBody() {
  std::vector<WrongBody> out;
  for (const Endpoint& e : kEndpoints) {
    for (WrongType kind :
         {WrongType::kContainer, WrongType::kRow, WrongType::kField, WrongType::kErrorMessage}) {
      out.push_back({e, kind});
    }
  }
  return out;
}

// "binance_futures_Symbols_Container": the test's name suffix.
std::string CaseName(const WrongBody& body) {
  const Endpoint& e = body.endpoint;
  const char* call = e.call == Call::kSymbols   ? "Symbols"
                     : e.call == Call::kCandles ? "Candles"
                                                : "Funding";
  return std::string(e.exchange) + "_" + e.market + "_" + call + "_" + WrongTypeName(body.kind);
}

// What GoogleTest (and so ctest's test list) shows for a parameter, instead of its bytes.
void PrintTo(const WrongBody& body, std::ostream* out) { *out << CaseName(body); }

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fake = FakeExchange::Start({.now_ms = kNow});
    ASSERT_THAT(fake.status(), IsOk());
    fake_ = std::move(fake).value();
  }

  Result<std::unique_ptr<Exchange>> Client(const Endpoint& e) {
    const ClientSettings settings{.retry_base_ms = 1, .base_url = fake_->base_url()};
    if (std::string(e.exchange) == "bybit") return MakeBybit(e.market, settings);
    return MakeBinance(std::string(e.market) == "futures", settings);
  }

  // What the client's call returns; a thrown exception fails the test.
  static Status Run(Exchange& ex, Call call) {
    switch (call) {
      case Call::kSymbols:
        return ex.Symbols().status();
      case Call::kCandles:  // an hour of 1m candles: one page with rows
        return ex.CandlePage("BTCUSDT", "1m", kNow / kHour * kHour - kHour, kNow / kHour * kHour)
            .status();
      case Call::kFunding:  // ten days: a page with rows
        return ex.Funding("BTCUSDT", kNow - 240 * kHour, kNow).status();
    }
    return Internal("unknown call");
  }

  std::unique_ptr<FakeExchange> fake_;
};

class WrongTypesTest : public ClientTest, public ::testing::WithParamInterface<WrongBody> {};

TEST_P(WrongTypesTest, IsAnErrorNamingTheUrlAfterOneRequest) {
  const auto& [endpoint, kind] = GetParam();
  auto client = Client(endpoint);
  ASSERT_THAT(client.status(), IsOk());
  // The answer the client parses; others (Binance's exchangeInfo before klines) stay normal.
  fake_->InjectFault(FaultSpec{.kind = FaultKind::kWrongTypes,
                               .count = -1,
                               .path_prefix = Path(endpoint.url),
                               .wrong_type = kind});
  Status status;
  EXPECT_NO_THROW(status = Run(**client, endpoint.call));
  const std::string url = fake_->base_url() + endpoint.url;
  if (kind == WrongType::kErrorMessage) {
    // An error reply is judged by its status (HTTP 400, retCode 10001: rejected); its message
    // is shown whatever its type.
    EXPECT_THAT(status, StatusIs(StatusCode::kInvalidArgument, HasSubstr(url)));
    EXPECT_THAT(status.message(), HasSubstr(": 5 ("));
  } else {
    EXPECT_THAT(status, StatusIs(StatusCode::kUnavailable, HasSubstr(" answered " + url)));
    EXPECT_THAT(status.message(), HasSubstr(" with an unexpected body: "));
  }
  // Not retried: the same request gets the same body.
  EXPECT_EQ(fake_->Stats().requests_by_path[Path(endpoint.url)], 1);
}

INSTANTIATE_TEST_SUITE_P(AllEndpoints, WrongTypesTest, ::testing::ValuesIn(EveryWrongBody()),
                         [](const ::testing::TestParamInfo<WrongBody>& info) {
                           return CaseName(info.param);
                         });

// The same bodies unbroken: the cases above fail because of the fault, not the request.
TEST_F(ClientTest, EveryEndpointAnswersNormallyWithoutAFault) {
  for (const Endpoint& e : kEndpoints) {
    auto client = Client(e);
    ASSERT_THAT(client.status(), IsOk());
    EXPECT_THAT(Run(**client, e.call), IsOk()) << e.url;
  }
}

}  // namespace
}  // namespace dlake::exchange
