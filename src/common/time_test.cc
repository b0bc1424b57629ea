#include "dlake/common/time.h"

#include "testing/test_util.h"

namespace dlake {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TimeTest, DayOfFloorsNegativeTimes) {
  EXPECT_EQ(DayOf(0), 0);
  EXPECT_EQ(DayOf(kMsPerDay - 1), 0);
  EXPECT_EQ(DayOf(kMsPerDay), 1);
  EXPECT_EQ(DayOf(-1), -1);
}

TEST(TimeTest, CivilRoundTrip) {
  for (int64_t day : {-719468LL, -1LL, 0LL, 11016LL, 19723LL, 20000LL, 2932896LL}) {
    CivilDate c = CivilFromDay(day);
    EXPECT_EQ(DayFromCivil(c.year, c.month, c.day), day);
  }
  EXPECT_EQ(FormatDay(19723), "2024-01-01");
  EXPECT_EQ(FormatDay(DayFromCivil(2024, 2, 29)), "2024-02-29");
}

TEST(TimeTest, FormatsTimestampInUtc) {
  EXPECT_EQ(FormatTimestamp(1704067199999), "2023-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatTimestamp(1704067200000), "2024-01-01T00:00:00.000Z");
}

struct ParseCase {
  const char* text;
  int64_t ms;
  bool date_only;
};

class ParseTimePointTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseTimePointTest, Parses) {
  auto r = ParseTimePoint(GetParam().text);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->ms, GetParam().ms) << GetParam().text;
  EXPECT_EQ(r->date_only, GetParam().date_only);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ParseTimePointTest,
    ::testing::Values(ParseCase{"2024-01-01", 1704067200000, true},
                      ParseCase{"2024-01-01T00:00", 1704067200000, false},
                      ParseCase{"2024-01-01 12:30:15", 1704112215000, false},
                      ParseCase{"2024-01-01T12:30:15.5Z", 1704112215500, false},
                      ParseCase{"2024-01-01T12:30:15.123456Z", 1704112215123, false},
                      ParseCase{"2024-01-01T02:00:00+02:00", 1704067200000, false},
                      ParseCase{"2023-12-31T19:00-05:00", 1704067200000, false},
                      ParseCase{"1704067200000", 1704067200000, false}));

TEST(TimeTest, RejectsBadTimesWithTheText) {
  EXPECT_THAT(ParseTimePoint("2024-02-30"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'2024-02-30'")));
  EXPECT_THAT(ParseTimePoint("2024-01-01T25:00"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("out of range")));
  EXPECT_THAT(ParseTimePoint("yesterday"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("yesterday")));
  EXPECT_THAT(ParseTimePoint(""), StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(TimeTest, DateOnlyEndIncludesTheWholeDay) {
  auto end = ParseRangeEnd("2024-01-01");
  ASSERT_THAT(end.status(), IsOk());
  EXPECT_EQ(*end, 1704067200000 + kMsPerDay);
  auto end_dt = ParseRangeEnd("2024-01-01T00:00:00");
  ASSERT_THAT(end_dt.status(), IsOk());
  EXPECT_EQ(*end_dt, 1704067200000);
}

TEST(TimeTest, DurationsHaveANumberAndAUnit) {
  EXPECT_EQ(*ParseDuration("500ms"), 500);
  EXPECT_EQ(*ParseDuration("90s"), 90 * kMsPerSecond);
  EXPECT_EQ(*ParseDuration("5m"), 5 * kMsPerMinute);
  EXPECT_EQ(*ParseDuration("2h"), 2 * kMsPerHour);
  EXPECT_EQ(*ParseDuration("7d"), 7 * kMsPerDay);
  EXPECT_EQ(*ParseDuration("1w"), 7 * kMsPerDay);
  EXPECT_EQ(*ParseDuration("0s"), 0);
  for (const char* bad : {"", "5", "m", "5M", "-5m", "1.5h", "5 m", "5min", "9999999999999s"}) {
    EXPECT_THAT(ParseDuration(bad),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("'" + std::string(bad) + "'")))
        << bad;
  }
}

}  // namespace
}  // namespace dlake
