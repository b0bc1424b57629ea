// Actions, schema and log-folder basics: what every other Delta test builds on.

#include "delta/actions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "delta/log_files.h"
#include "delta/schema.h"
#include "testing/test_util.h"

namespace dlake::delta {
namespace {

using ::testing::HasSubstr;

TEST(DeltaActions, AddRoundTripsThroughJsonWithEncodedPath) {
  AddFile add;
  add.path = "x=A%2FA/part 1.parquet";
  add.partition_values = {{"x", "A/A"}, {"y", std::nullopt}};
  add.size = 42;
  add.modification_time = 7;
  add.stats = R"({"numRecords":3})";
  std::string text = SerializeCommit({add});
  // '%' and ' ' are escaped once more in the log (PROTOCOL.md's x=A%252FA example).
  EXPECT_THAT(text, HasSubstr(R"("path":"x=A%252FA/part%201.parquet")"));
  EXPECT_THAT(text, HasSubstr(R"("y":null)"));
  auto parsed = ParseCommit(text, "test");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 1u);
  const auto& back = std::get<AddFile>((*parsed)[0]);
  EXPECT_EQ(back.path, add.path);
  EXPECT_EQ(back.partition_values, add.partition_values);
  EXPECT_EQ(back.stats, add.stats);
  EXPECT_EQ(back.size, 42);
}

TEST(DeltaActions, UnknownActionsAndFieldsAreIgnored) {
  auto parsed = ParseCommit(R"({"futureAction":{"a":1}})"
                            "\n"
                            R"({"txn":{"appId":"app","version":3,"newField":true}})"
                            "\n\n",
                            "test");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ(std::get<Txn>((*parsed)[0]).version, 3);
}

TEST(DeltaActions, MalformedLinesNameTheLineAndField) {
  auto bad_json = ParseCommit("{\"txn\":{}}\n{not json", "_delta_log/x.json");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_THAT(bad_json.status().message(), HasSubstr("_delta_log/x.json:1"));
  auto bad_field = ParseCommit(R"({"add":{"path":"a","size":"big"}})", "c.json");
  ASSERT_FALSE(bad_field.ok());
  EXPECT_EQ(bad_field.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(bad_field.status().message(), HasSubstr("add.size"));
  auto bad_escape = ParseCommit(R"({"add":{"path":"a%zz","size":1}})", "c.json");
  ASSERT_FALSE(bad_escape.ok());
  EXPECT_THAT(bad_escape.status().message(), HasSubstr("%-escape"));
}

TEST(DeltaActions, RemoveWritesExtendedMetadataOnlyWhenSet) {
  RemoveFile remove;
  remove.path = "a.parquet";
  remove.deletion_timestamp = 5;
  EXPECT_THAT(SerializeCommit({remove}), ::testing::Not(HasSubstr("partitionValues")));
  remove.extended_file_metadata = true;
  remove.size = 9;
  EXPECT_THAT(SerializeCommit({remove}), HasSubstr(R"("extendedFileMetadata":true)"));
}

TEST(DeltaSchema, ParsesNestedSparkSchemaAndMapsToDuckTypes) {
  auto schema = ParseSchema(
      R"j({"type":"struct","fields":[)j"
      R"j({"name":"id","type":"long","nullable":false,"metadata":{}},)j"
      R"j({"name":"price","type":"decimal(10,2)","nullable":true,"metadata":{}},)j"
      R"j({"name":"ts","type":"timestamp","nullable":true,"metadata":{}},)j"
      R"j({"name":"tags","type":{"type":"map","keyType":"string","valueType":"integer","valueContainsNull":true},"nullable":true,"metadata":{}},)j"
      R"j({"name":"legs","type":{"type":"array","elementType":{"type":"struct","fields":[{"name":"q","type":"double","nullable":true,"metadata":{}}]},"containsNull":true},"nullable":true,"metadata":{}}]})j");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ(schema->fields.size(), 5u);
  EXPECT_FALSE(schema->fields[0].nullable);
  EXPECT_EQ(DuckType(*schema->fields[0].type), "BIGINT");
  EXPECT_EQ(DuckType(*schema->fields[1].type), "DECIMAL(10,2)");
  EXPECT_EQ(DuckType(*schema->fields[2].type), "TIMESTAMPTZ");
  EXPECT_EQ(DuckType(*schema->fields[3].type), "MAP(VARCHAR, INTEGER)");
  EXPECT_EQ(DuckType(*schema->fields[4].type), "STRUCT(\"q\" DOUBLE)[]");
  EXPECT_NE(schema->Find("PRICE"), nullptr) << "names are case-insensitive";
  auto again = ParseSchema(SerializeSchema(*schema));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(SerializeSchema(*again), SerializeSchema(*schema));
}

TEST(DeltaSchema, RejectsDuplicateColumnsAndUnknownTypes) {
  auto duplicate = ParseSchema(
      R"({"type":"struct","fields":[{"name":"a","type":"long"},{"name":"A","type":"long"}]})");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(duplicate.status().message(), HasSubstr("appears twice"));
  auto unknown = ParseSchema(R"({"type":"struct","fields":[{"name":"a","type":"uuid"}]})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("root.a"));
}

TEST(DeltaSchema, FromDuckTypeCoversNestedTypesAndRefusesUnsigned) {
  auto nested = FromDuckType("STRUCT(a BIGINT, \"b c\" VARCHAR[])", "col");
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_EQ(DuckType(**nested), "STRUCT(\"a\" BIGINT, \"b c\" VARCHAR[])");
  auto map = FromDuckType("MAP(VARCHAR, DECIMAL(18,3))", "m");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(DuckType(**map), "MAP(VARCHAR, DECIMAL(18,3))");
  auto unsigned_type = FromDuckType("UBIGINT", "qty");
  ASSERT_FALSE(unsigned_type.ok());
  EXPECT_THAT(unsigned_type.status().message(), HasSubstr("qty"));
}

TEST(DeltaSchema, MergeAddsNullableColumnsAndRefusesTypeChanges) {
  auto current = ParseSchema(R"({"type":"struct","fields":[{"name":"a","type":"long"}]})");
  auto wider = ParseSchema(R"({"type":"struct","fields":[{"name":"a","type":"long"},)"
                           R"({"name":"b","type":"string","nullable":false}]})");
  auto changed = ParseSchema(R"({"type":"struct","fields":[{"name":"a","type":"string"}]})");
  ASSERT_TRUE(current.ok() && wider.ok() && changed.ok());
  auto merged = MergeSchemas(*current, *wider);
  ASSERT_TRUE(merged.ok());
  ASSERT_EQ(merged->fields.size(), 2u);
  EXPECT_TRUE(merged->fields[1].nullable) << "added columns are nullable: old files lack them";
  auto refused = MergeSchemas(*current, *changed);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("'a'"));
}

TEST(DeltaLog, ListingIgnoresTmpCrcAndStrayFiles) {
  testing::TempDir dir;
  std::string log = dir.Join("_delta_log");
  std::filesystem::create_directories(log + "/.tmp");
  for (const char* name :
       {"00000000000000000000.json", "00000000000000000001.json", ".00000000000000000001.json.crc",
        "00000000000000000001.crc", ".tmp/00000000000000000002.json", "notes.txt",
        "00000000000000000001.checkpoint.0000000001.0000000002.parquet"}) {
    testing::WriteFile(log + "/" + name, "{}");
  }
  auto listing = ListLog(dir.path());
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->commits.size(), 2u);
  EXPECT_TRUE(listing->checkpoints.empty()) << "a multi-part checkpoint missing a part is unusable";
}

TEST(DeltaLog, PutIfAbsentNeverOverwritesAVersion) {
  testing::TempDir dir;
  Env& env = *Env::Default();
  ASSERT_TRUE(PutCommitIfAbsent(env, dir.path(), 0, "first\n", 1000).ok());
  Status second = PutCommitIfAbsent(env, dir.path(), 0, "second\n", 2000);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), StatusCode::kAborted);
  auto text = ReadTextFile(CommitPath(dir.path(), 0));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "first\n");
  auto mtime = FileMtimeMs(CommitPath(dir.path(), 0));
  ASSERT_TRUE(mtime.ok());
  EXPECT_EQ(*mtime, 1000);
}

TEST(DeltaLog, NoLogFolderIsNotFoundNamingThePath) {
  testing::TempDir dir;
  auto listing = ListLog(dir.path());
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(listing.status().message(), HasSubstr(dir.path()));
}

}  // namespace
}  // namespace dlake::delta
