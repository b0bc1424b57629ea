// The transform metadata files: the exact line text (Python json.dump style, fields in order),
// and reading back the line the next run compares with.

#include "lakehouse/transform_metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "testing/test_util.h"

namespace dlake::lakehouse {
namespace {

using ::dlake::testing::ReadFile;
using ::dlake::testing::TempDir;
using ::dlake::testing::WriteFile;

TEST(TransformLineTest, SuccessLineHasTheOriginalsFieldsInOrder) {
  TransformLine line = SuccessLine(
      "fact_crypto_market", "crypto",
      "/lake/data/bronze/crypto_listings_latest_data/crypto_listings_batch1-2025-05-25_11-52-16."
      "parquet",
      5000, "2025-05-25T12:46:01.777000+00:00", "2025-05-25T12:46:02.102000+00:00", 0.325);
  EXPECT_EQ(
      FormatTransformLine(line),
      R"({"table": "fact_crypto_market", "domain": "crypto", "last_status": "raw", )"
      R"("source_snapshot": "/lake/data/bronze/crypto_listings_latest_data/)"
      R"(crypto_listings_batch1-2025-05-25_11-52-16.parquet", "current_status": )"
      R"("transformed", "status": "success", "record_count": 5000, "started_at": )"
      R"("2025-05-25T12:46:01.777000+00:00", "ended_at": "2025-05-25T12:46:02.102000+00:00", )"
      R"("duration_seconds": 0.325, "notes": "ready to load step"})");
}

// The original's skipped line for dim_exchange_map (cryptolakehouse Appendix A), field for
// field.
TEST(TransformLineTest, SkippedLineMatchesTheOriginal) {
  TransformLine line =
      SkippedLine("dim_exchange_map", "exchange", std::string("from broadcasted_exchange_info_df"),
                  "2025-05-12T22:56:00.759000+00:00");
  EXPECT_EQ(FormatTransformLine(line),
            R"({"table": "dim_exchange_map", "domain": "exchange", "last_status": "raw", )"
            R"("source_snapshot": "from broadcasted_exchange_info_df", "current_status": "raw", )"
            R"("status": "skipped", "record_count": "-", "started_at": )"
            R"("2025-05-12T22:56:00.759000+00:00", "ended_at": "-", "duration_seconds": "-", )"
            R"("notes": "No DataFrame returned."})");
  // No source at all: null. Non-ASCII text is escaped as json.dump does.
  TransformLine none = SkippedLine("t\xc3\xa9", "d", std::nullopt, "x");
  EXPECT_THAT(FormatTransformLine(none),
              ::testing::StartsWith(R"({"table": "t\u00e9", "domain": "d", "last_status": "raw", )"
                                    R"("source_snapshot": null, )"));
}

TEST(TransformLineTest, IsoUtcMicrosIsPythonsIsoformat) {
  EXPECT_EQ(IsoUtcMicros(0), "1970-01-01T00:00:00.000000+00:00");
  EXPECT_EQ(IsoUtcMicros(1748177161777), "2025-05-25T12:46:01.777000+00:00");
}

class TransformMetadataTest : public ::testing::Test {
 protected:
  TransformLine Success(const std::string& ended) {
    return SuccessLine("dim_crypto_id", "crypto", "/x.parquet", 7,
                       "2025-05-05T08:30:00.000000+00:00", ended, 1.5);
  }
  TempDir dir_;
  TransformMetadata metadata_{dir_.path(), Env::Default()};
};

TEST_F(TransformMetadataTest, AppendsOneLinePerCallUnderTheDomainFolder) {
  EXPECT_EQ(metadata_.PathFor("crypto", "dim_crypto_id"),
            dir_.Join("metadata/transform/crypto/dim_crypto_id.jsonl"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto none, metadata_.LastLine("crypto", "dim_crypto_id"));
  EXPECT_FALSE(none.has_value());
  DLAKE_ASSERT_OK(metadata_.Append(Success("2025-05-05T08:30:01.000000+00:00")));
  DLAKE_ASSERT_OK(
      metadata_.Append(SkippedLine("dim_crypto_id", "crypto", std::nullopt, "2025-05-05T09:00")));
  const std::string text = ReadFile(metadata_.PathFor("crypto", "dim_crypto_id"));
  EXPECT_EQ(text, FormatTransformLine(Success("2025-05-05T08:30:01.000000+00:00")) + "\n" +
                      FormatTransformLine(SkippedLine("dim_crypto_id", "crypto", std::nullopt,
                                                      "2025-05-05T09:00")) +
                      "\n");
}

// A skipped line's ended_at is "-": the next run compares with the last real transform.
TEST_F(TransformMetadataTest, TheLastTransformIsTheLastLineWithARealEndedAt) {
  DLAKE_ASSERT_OK(metadata_.Append(Success("2025-05-05T08:30:01.250000+00:00")));
  DLAKE_ASSERT_OK(
      metadata_.Append(SkippedLine("dim_crypto_id", "crypto", std::nullopt, "2025-05-06T08:30")));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto last, metadata_.LastLine("crypto", "dim_crypto_id"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->status, "skipped");
  EXPECT_EQ(last->ended_at, "-");
  EXPECT_FALSE(last->record_count.has_value());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto transform, metadata_.LastTransform("crypto", "dim_crypto_id"));
  ASSERT_TRUE(transform.has_value());
  EXPECT_EQ(transform->status, "success");
  EXPECT_EQ(transform->record_count, 7);
  EXPECT_EQ(transform->ended_at_ms, 1746433801250);  // 2025-05-05T08:30:01.250Z
}

// A crash mid-append leaves a torn line: it is ignored, and the next line starts on its own.
TEST_F(TransformMetadataTest, ATornLastLineIsIgnoredAndNotContinued) {
  DLAKE_ASSERT_OK(metadata_.Append(Success("2025-05-05T08:30:01.000000+00:00")));
  const std::string path = metadata_.PathFor("crypto", "dim_crypto_id");
  WriteFile(path, ReadFile(path) + R"({"table": "dim_crypto_id", "ended_at": "2030-01-)");
  DLAKE_ASSERT_OK_AND_ASSIGN(auto last, metadata_.LastTransform("crypto", "dim_crypto_id"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->ended_at, "2025-05-05T08:30:01.000000+00:00");
  DLAKE_ASSERT_OK(metadata_.Append(Success("2025-05-07T08:30:01.000000+00:00")));
  DLAKE_ASSERT_OK_AND_ASSIGN(last, metadata_.LastTransform("crypto", "dim_crypto_id"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->ended_at, "2025-05-07T08:30:01.000000+00:00");
  EXPECT_THAT(
      ReadFile(path),
      ::testing::EndsWith("\"2030-01-\n" +
                          FormatTransformLine(Success("2025-05-07T08:30:01.000000+00:00")) + "\n"));
}

// The file grows by a line per run for ever; the reader looks back as far as it must.
TEST_F(TransformMetadataTest, FindsTheLastTransformBehindManySkippedLines) {
  DLAKE_ASSERT_OK(metadata_.Append(Success("2025-05-05T08:30:01.000000+00:00")));
  const std::string path = metadata_.PathFor("crypto", "dim_crypto_id");
  std::string skipped =
      FormatTransformLine(SkippedLine("dim_crypto_id", "crypto", std::nullopt, "s")) + "\n";
  std::string many;
  for (int i = 0; i < 3000; ++i) many += skipped;  // ~700 KB: several read windows
  WriteFile(path, ReadFile(path) + many);
  DLAKE_ASSERT_OK_AND_ASSIGN(auto last, metadata_.LastTransform("crypto", "dim_crypto_id"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->ended_at, "2025-05-05T08:30:01.000000+00:00");
}

}  // namespace
}  // namespace dlake::lakehouse
