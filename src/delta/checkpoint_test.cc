#include "delta/checkpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "delta/log_files.h"
#include "duck/duck.h"
#include "testing/delta_reference.h"
#include "testing/fault_injection_env.h"
#include "testing/test_util.h"

namespace dlake::delta {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::FaultInjectionEnv;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using nlohmann::json;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::string Golden(const std::string& table) {
  return ::dlake::testing::SharedPath("delta-golden/" + table);
}

json Manifest(const std::string& table) {
  return json::parse(::dlake::testing::ReadFile(
      ::dlake::testing::SharedPath("delta-golden/_expected/" + table + "/manifest.json")));
}

CheckpointFiles Classic(const std::string& root, int64_t version) {
  return {version, CheckpointFiles::Kind::kClassic, {ClassicCheckpointPath(root, version)}};
}

// The reconciled state, computed the slow and obvious way: apply every action in order.
struct Replay {
  std::optional<Protocol> protocol;
  std::optional<Metadata> metadata;
  std::map<std::string, AddFile> adds;  // by FileActionKey
  std::map<std::string, RemoveFile> removes;
  std::map<std::string, Txn> txns;

  void Apply(const Action& action) {
    if (auto* p = std::get_if<Protocol>(&action)) protocol = *p;
    if (auto* m = std::get_if<Metadata>(&action)) metadata = *m;
    if (auto* t = std::get_if<Txn>(&action)) txns[t->app_id] = *t;
    if (auto* a = std::get_if<AddFile>(&action)) {
      std::string key = FileActionKey(a->path, a->deletion_vector);
      removes.erase(key);
      adds[key] = *a;
    }
    if (auto* r = std::get_if<RemoveFile>(&action)) {
      std::string key = FileActionKey(r->path, r->deletion_vector);
      adds.erase(key);
      removes[key] = *r;
    }
  }
  void Apply(const std::vector<Action>& actions) {
    for (const auto& action : actions) Apply(action);
  }
  // Applies the JSON commits first..last of the table.
  void ApplyCommits(const std::string& root, int64_t first, int64_t last) {
    for (int64_t v = first; v <= last; ++v) {
      std::string path = CommitPath(root, v);
      auto text = ReadTextFile(path);
      ASSERT_TRUE(text.ok()) << text.status().ToString();
      auto actions = ParseCommit(*text, path);
      ASSERT_TRUE(actions.ok()) << actions.status().ToString();
      Apply(*actions);
    }
  }
  std::vector<std::string> AddKeys() const {
    std::vector<std::string> keys;
    for (const auto& [key, add] : adds) keys.push_back(key);
    return keys;
  }
  std::vector<std::string> RemoveKeys() const {
    std::vector<std::string> keys;
    for (const auto& [key, remove] : removes) keys.push_back(key);
    return keys;
  }
};

template <typename T>
std::vector<T> Only(const std::vector<Action>& actions) {
  std::vector<T> out;
  for (const auto& action : actions) {
    if (auto* a = std::get_if<T>(&action)) out.push_back(*a);
  }
  return out;
}

// Each action's JSON form, sorted: a checkpoint's row order carries no meaning.
std::vector<std::string> SortedJson(const std::vector<Action>& actions) {
  std::vector<std::string> out;
  for (const auto& action : actions) out.push_back(ActionToJson(action).dump());
  std::sort(out.begin(), out.end());
  return out;
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = duck::Database::Open("", duck::DatabaseOptions{});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto conn = duck::Connection::Open(*db_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(conn).value();
  }

  Result<std::vector<Action>> ReadGolden(const std::string& table, int64_t version) {
    return ReadCheckpoint(*conn_, Classic(Golden(table), version));
  }

  // The protocol and metaData of a checkpoint equal the manifest's (the table's latest ones).
  void ExpectManifestMetadata(const std::vector<Action>& actions, const json& manifest) {
    auto protocols = Only<Protocol>(actions);
    auto metadatas = Only<Metadata>(actions);
    ASSERT_EQ(protocols.size(), 1u);
    ASSERT_EQ(metadatas.size(), 1u);
    const json& p = manifest["protocol"];
    EXPECT_EQ(protocols[0].min_reader_version, p["minReaderVersion"].get<int>());
    EXPECT_EQ(protocols[0].min_writer_version, p["minWriterVersion"].get<int>());
    auto features = [](const json& j) -> std::optional<std::vector<std::string>> {
      if (j.is_null()) return std::nullopt;
      return j.get<std::vector<std::string>>();
    };
    EXPECT_EQ(protocols[0].reader_features, features(p.value("readerFeatures", json())));
    EXPECT_EQ(protocols[0].writer_features, features(p.value("writerFeatures", json())));
    EXPECT_EQ(metadatas[0].schema_string, manifest["schemaString"].get<std::string>());
    EXPECT_EQ(metadatas[0].partition_columns,
              manifest["partitionColumns"].get<std::vector<std::string>>());
    EXPECT_EQ(metadatas[0].configuration,
              (manifest["configuration"].get<std::map<std::string, std::string>>()));
  }

  // DESCRIBE of a query: column name -> DuckDB type.
  std::map<std::string, std::string> Describe(const std::string& select) {
    std::map<std::string, std::string> out;
    auto result = conn_->Query("DESCRIBE " + select, "describe");
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return out;
    for (size_t row = 0; row < result->RowCount(); ++row) {
      out[result->GetString(0, row)] = result->GetString(1, row);
    }
    return out;
  }

  std::string QueryString(const std::string& sql) {
    auto result = conn_->Query(sql, "test query");
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok() || result->RowCount() == 0) return "<none>";
    return result->IsNull(0, 0) ? "<null>" : result->GetString(0, 0);
  }

  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> conn_;
};

// ---- Reading checkpoints written by Spark and delta-rs ----

TEST_F(CheckpointTest, ReadsSparkCheckpointWithRemoves) {
  const std::string table = "delta-basic-with-inserts-deletes-checkpoint";
  DLAKE_ASSERT_OK_AND_ASSIGN(auto actions, ReadGolden(table, 10));
  json manifest = Manifest(table);
  ExpectManifestMetadata(actions, manifest);

  Replay replay;
  replay.ApplyCommits(Golden(table), 0, 10);
  Replay from_checkpoint;
  from_checkpoint.Apply(actions);
  EXPECT_EQ(Only<AddFile>(actions).size(),
            manifest["per_version"]["10"]["active_files"].get<size_t>());
  EXPECT_THAT(from_checkpoint.AddKeys(), ElementsAreArray(replay.AddKeys()));
  // Spark keeps unexpired tombstones; these are seconds old, so all of them.
  EXPECT_FALSE(replay.RemoveKeys().empty());
  EXPECT_THAT(from_checkpoint.RemoveKeys(), ElementsAreArray(replay.RemoveKeys()));
  EXPECT_EQ(Only<AddFile>(actions).size() + Only<RemoveFile>(actions).size() + 2, 13u)
      << "_last_checkpoint says size 13";
  // Every field of every add matches its JSON commit (size, stats, mtime, partition values)
  // except dataChange, which Spark sets to false in checkpoints.
  for (const auto& [key, add] : from_checkpoint.adds) {
    EXPECT_FALSE(add.data_change) << key;
    AddFile committed = replay.adds[key];
    committed.data_change = false;
    EXPECT_EQ(ActionToJson(add), ActionToJson(committed)) << key;
  }
  for (const auto& [key, remove] : from_checkpoint.removes) {
    EXPECT_EQ(remove.deletion_timestamp, replay.removes[key].deletion_timestamp) << key;
  }

  // And on to the latest version through the later commits.
  from_checkpoint.ApplyCommits(Golden(table), 11, manifest["latest_version"].get<int64_t>());
  std::vector<std::string> expected;
  for (const auto& f : manifest["latest_active_files"]) expected.push_back(f["path"]);
  std::sort(expected.begin(), expected.end());
  EXPECT_THAT(from_checkpoint.AddKeys(), ElementsAreArray(expected));
}

TEST_F(CheckpointTest, ReadsDeltaRsCheckpointAtLatestVersion) {
  const std::string table = "delta-rs-simple_table_with_checkpoint";
  DLAKE_ASSERT_OK_AND_ASSIGN(auto actions, ReadGolden(table, 10));
  json manifest = Manifest(table);
  ASSERT_EQ(manifest["latest_version"].get<int64_t>(), 10);
  ExpectManifestMetadata(actions, manifest);

  std::vector<std::string> expected;
  for (const auto& f : manifest["latest_active_files"]) expected.push_back(f["path"]);
  std::sort(expected.begin(), expected.end());
  Replay from_checkpoint;
  from_checkpoint.Apply(actions);
  EXPECT_EQ(Only<AddFile>(actions).size(), expected.size());
  EXPECT_THAT(from_checkpoint.AddKeys(), ElementsAreArray(expected));
  EXPECT_EQ(actions.size(), 13u) << "_last_checkpoint says size 13";

  Replay replay;
  replay.ApplyCommits(Golden(table), 0, 10);
  EXPECT_THAT(from_checkpoint.AddKeys(), ElementsAreArray(replay.AddKeys()));
  for (const auto& [key, add] : from_checkpoint.adds) {
    EXPECT_EQ(add.size, replay.adds[key].size) << key;
    EXPECT_EQ(add.modification_time, replay.adds[key].modification_time) << key;
  }
}

TEST_F(CheckpointTest, ReadsCheckpointsOfVacuumedLog) {
  // Commits before 5 are gone: the v5 checkpoint plus commits 6..10 must give the v10
  // checkpoint, and the v10 checkpoint plus 11..12 the manifest's latest files.
  const std::string table = "delta-rs-checkpoints_vacuumed";
  json manifest = Manifest(table);
  DLAKE_ASSERT_OK_AND_ASSIGN(auto at5, ReadGolden(table, 5));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto at10, ReadGolden(table, 10));
  ExpectManifestMetadata(at10, manifest);
  EXPECT_EQ(Only<AddFile>(at5).size(), manifest["per_version"]["5"]["active_files"].get<size_t>());
  EXPECT_EQ(Only<AddFile>(at10).size(),
            manifest["per_version"]["10"]["active_files"].get<size_t>());

  Replay replay;
  replay.Apply(at5);
  replay.ApplyCommits(Golden(table), 6, 10);
  Replay checkpoint10;
  checkpoint10.Apply(at10);
  EXPECT_THAT(checkpoint10.AddKeys(), ElementsAreArray(replay.AddKeys()));
  for (const auto& [key, add] : checkpoint10.adds) {
    EXPECT_EQ(add.partition_values, replay.adds[key].partition_values) << key;
    EXPECT_EQ(add.stats, replay.adds[key].stats) << key;
  }

  checkpoint10.ApplyCommits(Golden(table), 11, 12);
  std::vector<std::string> expected;
  for (const auto& f : manifest["latest_active_files"]) expected.push_back(f["path"]);
  std::sort(expected.begin(), expected.end());
  EXPECT_THAT(checkpoint10.AddKeys(), ElementsAreArray(expected));
}

TEST_F(CheckpointTest, ReadsDeletionVectorsFromSparkCheckpoint) {
  const std::string table = "delta-dv-partitioned-with-checkpoint";
  json manifest = Manifest(table);
  DLAKE_ASSERT_OK_AND_ASSIGN(auto actions, ReadGolden(table, 10));
  ExpectManifestMetadata(actions, manifest);
  EXPECT_EQ(Only<AddFile>(actions).size(),
            manifest["per_version"]["10"]["active_files"].get<size_t>());

  int with_dv = 0;
  for (const auto& add : Only<AddFile>(actions)) {
    if (!add.deletion_vector) continue;
    ++with_dv;
    EXPECT_EQ(add.deletion_vector->storage_type, "u") << add.path;
    EXPECT_GT(add.deletion_vector->cardinality, 0) << add.path;
    EXPECT_GT(add.deletion_vector->size_in_bytes, 0) << add.path;
    EXPECT_TRUE(add.deletion_vector->offset.has_value()) << add.path;
  }
  EXPECT_GT(with_dv, 0);

  Replay replay;
  replay.ApplyCommits(Golden(table), 0, 10);
  Replay from_checkpoint;
  from_checkpoint.Apply(actions);
  EXPECT_THAT(from_checkpoint.AddKeys(), ElementsAreArray(replay.AddKeys()));
  for (const auto& [key, add] : from_checkpoint.adds) {
    EXPECT_EQ(ActionToJson(add)["add"]["deletionVector"],
              ActionToJson(replay.adds[key])["add"]["deletionVector"])
        << key;
  }

  from_checkpoint.ApplyCommits(Golden(table), 11, manifest["latest_version"].get<int64_t>());
  std::map<std::string, int64_t> expected, actual;
  for (const auto& f : manifest["latest_active_files"]) expected[f["path"]] = f["dv_cardinality"];
  for (const auto& [key, add] : from_checkpoint.adds) {
    actual[add.path] = add.deletion_vector ? add.deletion_vector->cardinality : 0;
  }
  EXPECT_EQ(actual, expected);
}

TEST_F(CheckpointTest, ReadsMultiPartCheckpoint) {
  // Split Spark's checkpoint into two parts, as a multi-part writer would.
  TempDir dir;
  const std::string golden =
      ClassicCheckpointPath(Golden("delta-basic-with-inserts-deletes-checkpoint"), 10);
  fs::create_directories(LogDir(dir.path()));
  CheckpointFiles files{10, CheckpointFiles::Kind::kMultiPart, {}};
  for (int part = 1; part <= 2; ++part) {
    std::string path = dir.Join("_delta_log/00000000000000000010.checkpoint.000000000" +
                                std::to_string(part) + ".0000000002.parquet");
    std::string predicate = part == 1 ? "file_row_number < 7" : "file_row_number >= 7";
    DLAKE_ASSERT_OK(conn_->Execute("COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet(" +
                                       duck::QuoteLiteral(golden) +
                                       ", file_row_number = true) WHERE " + predicate + ") TO " +
                                       duck::QuoteLiteral(path) + " (FORMAT parquet)",
                                   "split checkpoint"));
    files.paths.push_back(path);
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(auto listing, ListLog(dir.path()));
  ASSERT_EQ(listing.checkpoints.count(10), 1u);
  EXPECT_EQ(listing.checkpoints[10].paths, files.paths);

  DLAKE_ASSERT_OK_AND_ASSIGN(auto single,
                             ReadGolden("delta-basic-with-inserts-deletes-checkpoint", 10));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto parts, ReadCheckpoint(*conn_, files));
  EXPECT_EQ(SortedJson(parts), SortedJson(single));
  // Each part alone is not the whole state.
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto first_part,
      ReadCheckpoint(*conn_, {10, CheckpointFiles::Kind::kMultiPart, {files.paths[0]}}));
  EXPECT_LT(first_part.size(), single.size());
}

// ---- Refusals and errors ----

TEST_F(CheckpointTest, RefusesV2CheckpointWithSidecars) {
  const std::string root = Golden("delta-v2-checkpoint-parquet");
  const std::string path =
      LogDir(root) +
      "/00000000000000000002.checkpoint.e8fa2696-9728-4e9c-b285-634743fdd4fb.parquet";
  EXPECT_THAT(ReadCheckpoint(*conn_, {2, CheckpointFiles::Kind::kClassic, {path}}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(path)));
  EXPECT_THAT(ReadCheckpoint(*conn_, {2, CheckpointFiles::Kind::kV2, {path}}),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("V2")));
}

TEST_F(CheckpointTest, ErrorsNameTheCheckpointFile) {
  TempDir dir;
  fs::create_directories(LogDir(dir.path()));
  const std::string garbage = ClassicCheckpointPath(dir.path(), 3);
  ::dlake::testing::WriteFile(garbage, "not parquet at all");
  auto read = ReadCheckpoint(*conn_, Classic(dir.path(), 3));
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.status().message(), HasSubstr(garbage));

  // A row that does not parse names the file and the row.
  const std::string bad = ClassicCheckpointPath(dir.path(), 4);
  DLAKE_ASSERT_OK(
      conn_->Execute("COPY (SELECT {'minReaderVersion': 1, 'minWriterVersion': 2} AS protocol, "
                     "NULL::STRUCT(path VARCHAR, size BIGINT) AS \"add\" UNION ALL "
                     "SELECT NULL, {'path': 'bad%zzescape', 'size': 1}) TO " +
                         duck::QuoteLiteral(bad) + " (FORMAT parquet)",
                     "write bad checkpoint"));
  EXPECT_THAT(ReadCheckpoint(*conn_, Classic(dir.path(), 4)),
              StatusIs(StatusCode::kCorruption, HasSubstr(bad + " row 1")));

  // No metaData: not a usable checkpoint.
  const std::string partial = ClassicCheckpointPath(dir.path(), 5);
  DLAKE_ASSERT_OK(conn_->Execute(
      "COPY (SELECT {'minReaderVersion': 1, 'minWriterVersion': 2} AS protocol) TO " +
          duck::QuoteLiteral(partial) + " (FORMAT parquet)",
      "write checkpoint without metaData"));
  EXPECT_THAT(ReadCheckpoint(*conn_, Classic(dir.path(), 5)),
              StatusIs(StatusCode::kCorruption, HasSubstr(partial)));
}

// ---- Writing ----

std::vector<Action> SampleState() {
  Metadata metadata;
  metadata.id = "5fba94ed-9794-4965-ba6e-6ee3c0d22af9";
  metadata.name = "trades";
  metadata.schema_string =
      R"({"type":"struct","fields":[{"name":"day","type":"string","nullable":true,"metadata":{}},)"
      R"({"name":"venue","type":"string","nullable":true,"metadata":{}},)"
      R"({"name":"price","type":"double","nullable":true,"metadata":{}}]})";
  metadata.partition_columns = {"day", "venue"};
  metadata.configuration = {{"delta.appendOnly", "false"}, {"delta.checkpointInterval", "10"}};
  metadata.created_time = 1700000000000;

  AddFile plain;
  plain.path = "day=2024-01-01/venue=binance/part-00000.parquet";
  plain.partition_values = {{"day", "2024-01-01"}, {"venue", "binance"}};
  plain.size = 123456;
  plain.modification_time = 1700000001000;
  plain.stats = R"({"numRecords":3,"minValues":{"price":1.5},"maxValues":{"price":9.25},)"
                R"("nullCount":{"price":0}})";
  plain.tags = {{"INSERTION_TIME", "1700000001000000"}, {"note", "a \"quoted\" tag"}};

  AddFile encoded;  // needs %-encoding in the log, and back
  encoded.path = "day=2024-01-02/venue=a b%2Fc/part 1 ü.parquet";
  encoded.partition_values = {{"day", "2024-01-02"}, {"venue", "a b/c"}};
  encoded.size = 7;
  encoded.modification_time = 1700000002000;
  encoded.data_change = false;

  AddFile nulls;
  nulls.path = "day=__HIVE_DEFAULT_PARTITION__/venue=__HIVE_DEFAULT_PARTITION__/part-2.parquet";
  nulls.partition_values = {{"day", std::nullopt}, {"venue", ""}};
  nulls.size = 8;
  nulls.modification_time = 1700000003000;
  nulls.stats = R"({"numRecords":0})";

  RemoveFile extended;
  extended.path = "day=2023-12-31/venue=binance/old.parquet";
  extended.deletion_timestamp = 1700000004000;
  extended.extended_file_metadata = true;
  extended.partition_values = {{"day", "2023-12-31"}, {"venue", "binance"}};
  extended.size = 99;

  RemoveFile minimal;
  minimal.path = "stray file.parquet";
  minimal.deletion_timestamp = 1700000005000;
  minimal.data_change = false;

  return {Protocol{},
          metadata,
          plain,
          encoded,
          nulls,
          extended,
          minimal,
          Txn{"app-1", 7, 1700000000123},
          Txn{"app-2", 0, std::nullopt}};
}

TEST_F(CheckpointTest, WriteThenReadReturnsTheSameActions) {
  TempDir dir;
  const auto state = SampleState();
  DLAKE_ASSERT_OK_AND_ASSIGN(auto written,
                             WriteCheckpoint(*conn_, *Env::Default(), dir.path(), 4, state));
  EXPECT_EQ(written.path, ClassicCheckpointPath(dir.path(), 4));
  EXPECT_EQ(written.actions, 9);
  EXPECT_EQ(written.add_files, 3);
  EXPECT_EQ(written.size_in_bytes, static_cast<int64_t>(fs::file_size(written.path)));

  DLAKE_ASSERT_OK_AND_ASSIGN(auto read, ReadCheckpoint(*conn_, Classic(dir.path(), 4)));
  EXPECT_EQ(SortedJson(read), SortedJson(state));
  // The decoded paths and the null partition value come back as they went in.
  auto adds = Only<AddFile>(read);
  ASSERT_EQ(adds.size(), 3u);
  std::map<std::string, AddFile> by_path;
  for (const auto& add : adds) by_path[add.path] = add;
  ASSERT_EQ(by_path.count("day=2024-01-02/venue=a b%2Fc/part 1 ü.parquet"), 1u);
  ASSERT_EQ(by_path.count(std::get<AddFile>(state[4]).path), 1u);
  EXPECT_EQ(by_path[std::get<AddFile>(state[4]).path].partition_values.at("day"), std::nullopt);
  EXPECT_EQ(by_path[std::get<AddFile>(state[2]).path].tags.at("note"), "a \"quoted\" tag");

  // In the file itself, paths are URI-encoded exactly as in a JSON commit, and a null
  // partition value is a NULL map value.
  const std::string from = " FROM read_parquet(" + duck::QuoteLiteral(written.path) + ")";
  EXPECT_EQ(QueryString("SELECT \"add\".path" + from + " WHERE \"add\".size = 7"),
            "day=2024-01-02/venue=a%20b%252Fc/part%201%20%C3%BC.parquet");
  EXPECT_EQ(
      QueryString("SELECT to_json(\"add\".partitionValues)" + from + " WHERE \"add\".size = 8"),
      R"({"day":null,"venue":""})");
  EXPECT_EQ(QueryString("SELECT count(*)" + from), "9");
  // No temporary files are left behind.
  EXPECT_TRUE(::dlake::testing::ListFilesRecursive(LogDir(dir.path()) + "/.tmp").empty());
}

TEST_F(CheckpointTest, WritesTheProtocolCheckpointSchema) {
  TempDir dir;
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto written, WriteCheckpoint(*conn_, *Env::Default(), dir.path(), 0, SampleState()));
  auto types = Describe("SELECT * FROM read_parquet(" + duck::QuoteLiteral(written.path) + ")");
  std::map<std::string, std::string> expected = {
      {"txn", "STRUCT(appId VARCHAR, \"version\" BIGINT, lastUpdated BIGINT)"},
      {"add",
       "STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, "
       "modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR))"},
      {"remove",
       "STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, "
       "extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT)"},
      {"metaData",
       "STRUCT(id VARCHAR, \"name\" VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, "
       "\"options\" MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], "
       "\"configuration\" MAP(VARCHAR, VARCHAR), createdTime BIGINT)"},
      {"protocol", "STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)"},
  };
  EXPECT_EQ(types, expected);

  // Every field we write has the type Spark gives it in its own checkpoint.
  const std::string spark = "read_parquet(" +
                            duck::QuoteLiteral(ClassicCheckpointPath(
                                Golden("delta-basic-with-inserts-deletes-checkpoint"), 10)) +
                            ")";
  const std::string ours = "read_parquet(" + duck::QuoteLiteral(written.path) + ")";
  for (const char* column : {"txn", "add", "remove", "metaData", "protocol"}) {
    std::string q = duck::QuoteIdentifier(column);
    auto our_fields = Describe("SELECT " + q + ".* FROM " + ours);
    auto spark_fields = Describe("SELECT " + q + ".* FROM " + spark);
    ASSERT_FALSE(our_fields.empty()) << column;
    for (const auto& [field, type] : our_fields) {
      EXPECT_EQ(type, spark_fields[field]) << column << "." << field;
    }
  }

  // And the Parquet physical types: INT32 for the protocol versions, INT64 for longs.
  EXPECT_EQ(QueryString("SELECT string_agg(type, ',' ORDER BY name) FROM parquet_schema(" +
                        duck::QuoteLiteral(written.path) + ") WHERE name LIKE 'min%Version'"),
            "INT32,INT32");
  EXPECT_EQ(QueryString("SELECT string_agg(DISTINCT type, ',') FROM parquet_schema(" +
                        duck::QuoteLiteral(written.path) +
                        ") WHERE name IN ('size', 'modificationTime', 'deletionTimestamp', "
                        "'createdTime', 'version', 'lastUpdated')"),
            "INT64");
}

TEST_F(CheckpointTest, LastCheckpointNeverMovesBack) {
  TempDir dir;
  Env& env = *Env::Default();
  DLAKE_ASSERT_OK_AND_ASSIGN(auto at5, WriteCheckpoint(*conn_, env, dir.path(), 5, SampleState()));
  json last = json::parse(::dlake::testing::ReadFile(LogDir(dir.path()) + "/_last_checkpoint"));
  EXPECT_EQ(
      last,
      (json{
          {"version", 5}, {"size", 9}, {"sizeInBytes", at5.size_in_bytes}, {"numOfAddFiles", 3}}));

  std::vector<Action> smaller = SampleState();
  smaller.erase(smaller.begin() + 2);  // one add fewer
  DLAKE_ASSERT_OK_AND_ASSIGN(auto at3, WriteCheckpoint(*conn_, env, dir.path(), 3, smaller));
  EXPECT_TRUE(fs::exists(at3.path));
  EXPECT_EQ(ReadLastCheckpoint(dir.path())->version, 5);
  EXPECT_EQ(json::parse(::dlake::testing::ReadFile(LogDir(dir.path()) + "/_last_checkpoint")),
            last);

  DLAKE_ASSERT_OK_AND_ASSIGN(auto at7, WriteCheckpoint(*conn_, env, dir.path(), 7, smaller));
  auto moved = ReadLastCheckpoint(dir.path());
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->version, 7);
  EXPECT_EQ(moved->size, 8);
  EXPECT_EQ(moved->raw["numOfAddFiles"], 2);

  DLAKE_ASSERT_OK_AND_ASSIGN(auto listing, ListLog(dir.path()));
  std::vector<int64_t> versions;
  for (const auto& [version, files] : listing.checkpoints) versions.push_back(version);
  EXPECT_EQ(versions, (std::vector<int64_t>{3, 5, 7}));
}

TEST_F(CheckpointTest, ManyAddsRoundTrip) {
  // More rows than one DuckDB chunk (2048) and one Parquet row group's worth of strings.
  TempDir dir;
  std::vector<Action> state = {Protocol{}, std::get<Metadata>(SampleState()[1])};
  for (int i = 0; i < 5000; ++i) {
    AddFile add;
    add.path = "day=2024-01-01/venue=v" + std::to_string(i % 7) + "/part-" + std::to_string(i) +
               ".parquet";
    add.partition_values = {{"day", "2024-01-01"}, {"venue", "v" + std::to_string(i % 7)}};
    add.size = 1000 + i;
    add.modification_time = 1700000000000 + i;
    add.stats = R"({"numRecords":)" + std::to_string(i) + "}";
    state.push_back(add);
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(auto written,
                             WriteCheckpoint(*conn_, *Env::Default(), dir.path(), 12, state));
  EXPECT_EQ(written.add_files, 5000);
  DLAKE_ASSERT_OK_AND_ASSIGN(auto read, ReadCheckpoint(*conn_, Classic(dir.path(), 12)));
  EXPECT_EQ(SortedJson(read), SortedJson(state));
}

TEST_F(CheckpointTest, RefusesActionsACheckpointCannotHold) {
  TempDir dir;
  auto refused = [&](std::vector<Action> state, const std::string& why) {
    EXPECT_THAT(WriteCheckpoint(*conn_, *Env::Default(), dir.path(), 1, state),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(why)));
    EXPECT_FALSE(fs::exists(ClassicCheckpointPath(dir.path(), 1))) << why;
  };
  auto with = [](Action extra) {
    auto state = SampleState();
    state.push_back(std::move(extra));
    return state;
  };
  refused(with(CommitInfo{}), "commitInfo");
  refused(with(OtherAction{"domainMetadata", json::object()}), "commitInfo or other");
  AddFile dv = std::get<AddFile>(SampleState()[2]);
  dv.path = "with-dv.parquet";
  dv.deletion_vector = DeletionVectorDescriptor{"u", "ab^-aqEH.-t@S}K{vb[*k^", 1, 36, 2};
  refused(with(dv), "deletion vector");
  Protocol featured{3, 7, std::vector<std::string>{"deletionVectors"},
                    std::vector<std::string>{"deletionVectors"}};
  auto state = SampleState();
  state[0] = featured;
  refused(state, "table features");
  refused(with(Protocol{}), "2 protocol");
  refused({Protocol{}}, "0 metaData");
}

TEST_F(CheckpointTest, FailedWriteLeavesNoTemporaryFiles) {
  // Fail each mutating file operation of a checkpoint write in turn. Whatever fails, the
  // temporary file is gone, and a checkpoint under its final name is complete.
  TempDir probe_dir;
  FaultInjectionEnv probe;
  DLAKE_ASSERT_OK(WriteCheckpoint(*conn_, probe, probe_dir.path(), 2, SampleState()).status());
  const int calls = probe.calls();
  ASSERT_GE(calls, 5);  // mkdir, fsync, rename, fsync dir, _last_checkpoint
  for (int failing = 0; failing < calls; ++failing) {
    SCOPED_TRACE("failing operation " + std::to_string(failing));
    TempDir dir;
    FaultInjectionEnv env;
    env.FailOnly(failing, EIO);
    EXPECT_FALSE(WriteCheckpoint(*conn_, env, dir.path(), 2, SampleState()).ok());
    EXPECT_TRUE(::dlake::testing::ListFilesRecursive(LogDir(dir.path()) + "/.tmp").empty());
    if (fs::exists(ClassicCheckpointPath(dir.path(), 2))) {
      DLAKE_ASSERT_OK_AND_ASSIGN(auto read, ReadCheckpoint(*conn_, Classic(dir.path(), 2)));
      EXPECT_EQ(SortedJson(read), SortedJson(SampleState()));
    } else {
      EXPECT_FALSE(ReadLastCheckpoint(dir.path()).has_value());
    }
  }
}

TEST_F(CheckpointTest, DeltaKernelReadsTableFromOurCheckpointAlone) {
  // A table whose log is nothing but our checkpoint and _last_checkpoint: chDB (delta-kernel-rs)
  // can only find the data through it. One file needs %-encoding, one partition is null, and a
  // removed file still on disk must not be read.
  TempDir dir;
  struct File {
    std::string path;
    std::optional<std::string> day;
    std::string rows;  // SQL VALUES
    int64_t count;
    bool removed;
  };
  const std::vector<File> files = {
      {"day=2024-01-01/part-00000.parquet", "2024-01-01", "(1, 1.5), (2, 2.5)", 2, false},
      {"day=__HIVE_DEFAULT_PARTITION__/part 1%.parquet", std::nullopt, "(3, 3.5)", 1, false},
      {"day=2023-12-31/removed.parquet", "2023-12-31", "(99, 99.5)", 1, true},
  };
  Metadata metadata;
  metadata.id = "0d7dc9a3-3a0c-4a7e-a1c2-7b1f4a0e5c11";
  metadata.schema_string =
      R"({"type":"struct","fields":[{"name":"n","type":"long","nullable":true,"metadata":{}},)"
      R"({"name":"price","type":"double","nullable":true,"metadata":{}},)"
      R"({"name":"day","type":"string","nullable":true,"metadata":{}}]})";
  metadata.partition_columns = {"day"};
  metadata.created_time = 1700000000000;
  std::vector<Action> state = {Protocol{}, metadata, Txn{"loader", 3, 1700000000000}};
  for (const auto& file : files) {
    std::string path = dir.Join(file.path);
    fs::create_directories(fs::path(path).parent_path());
    DLAKE_ASSERT_OK(conn_->Execute("COPY (SELECT * FROM (VALUES " + file.rows +
                                       ") t(n, price)) TO " + duck::QuoteLiteral(path) +
                                       " (FORMAT parquet)",
                                   "write data file"));
    PartitionValues partition = {{"day", file.day}};
    if (file.removed) {
      RemoveFile remove;
      remove.path = file.path;
      remove.deletion_timestamp = 1700000002000;
      remove.extended_file_metadata = true;
      remove.partition_values = partition;
      remove.size = static_cast<int64_t>(fs::file_size(path));
      state.push_back(remove);
      continue;
    }
    AddFile add;
    add.path = file.path;
    add.partition_values = partition;
    add.size = static_cast<int64_t>(fs::file_size(path));
    add.modification_time = 1700000001000;
    add.stats = R"({"numRecords":)" + std::to_string(file.count) + "}";
    state.push_back(add);
  }
  DLAKE_ASSERT_OK(WriteCheckpoint(*conn_, *Env::Default(), dir.path(), 3, state).status());

  // One chDB process for all three: the rows, a count over them, and count(), which chDB
  // answers from the numRecords stats in the checkpoint.
  const std::string table = "deltaLakeLocal(" + duck::QuoteLiteral(dir.path()) + ")";
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto results,
      ::dlake::testing::ChdbQueries({"SELECT n, price, day FROM " + table + " ORDER BY n",
                                     ::dlake::testing::ChdbDeltaRowCountSql(dir.path()),
                                     "SELECT count() AS c FROM " + table}));
  ASSERT_EQ(results.size(), 3u);
  ::dlake::testing::RowSet expected{
      {"n", "price", "day"},
      {{"1", "1.5", "2024-01-01"}, {"2", "2.5", "2024-01-01"}, {"3", "3.5", std::nullopt}}};
  EXPECT_TRUE(::dlake::testing::CompareRowSets(expected, results[0]));
  for (size_t i : {1, 2}) {
    ASSERT_EQ(results[i].rows.size(), 1u) << i;
    EXPECT_EQ(results[i].rows[0][0], "3") << i;
  }
}

}  // namespace
}  // namespace dlake::delta
