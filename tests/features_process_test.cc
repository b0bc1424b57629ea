// The feature store through the real dlake binary (`upload-feature`, `features list | show |
// diff`, `read --feature-set | --with-features`, `delete --feature-set`): the JSON reports and
// exit codes, refused uploads that leave the lake as it was, the point-in-time join checked row
// by row against a join computed here, --as-of, the semver fallback after a delete, and uploads
// killed at random moments that leave a version either absent or complete.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "dlake/common/time.h"
#include "duck/duck.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kCandles = 240;  // 1m candles from kDay0: four hours
constexpr const char* kRawDataset = "BINANCE/FUTURES/BTCUSDT/raw/1m";

// ---- Feature files and the join computed here ----

// A feature file's rows: ts -> the values of `columns` (after ts). A column whose name starts
// with "score" or "extra" is written with a fraction, so DuckDB reads it as DOUBLE; the others
// are BIGINT.
struct FeatureTable {
  std::vector<std::string> columns;
  std::map<int64_t, std::vector<double>> rows;
};

bool IsDoubleColumn(const std::string& name) {
  return name.starts_with("score") || name.starts_with("extra");
}

std::string CsvText(const FeatureTable& table) {
  std::ostringstream out;
  out << "ts";
  for (const auto& c : table.columns) out << "," << c;
  out << "\n";
  for (const auto& [ts, values] : table.rows) {
    out << ts;
    for (size_t i = 0; i < values.size(); ++i) {
      out << ",";
      if (IsDoubleColumn(table.columns[i])) {
        out << std::fixed << std::setprecision(2) << values[i];
      } else {
        out << static_cast<int64_t>(values[i]);
      }
    }
    out << "\n";
  }
  return out.str();
}

std::string WriteTable(const std::string& path, const FeatureTable& table) {
  WriteFile(path, CsvText(table));
  return path;
}

// Irregular rows around the candles: one every ~8 minutes (some exactly on a candle's ts, some
// between two), none for 70 minutes (beyond any tolerance), one exactly at kDay0 + 61m and one
// 1 ms after kDay0 + 100m, and one 10 minutes before the first candle. `version` shifts the
// values so that each version's rows are recognisable in a join.
FeatureTable AlphaRows(int version, bool extra_column = false) {
  std::set<int64_t> times = {kDay0 - 10 * kMinute, kDay0 + 61 * kMinute, kDay0 + 100 * kMinute + 1};
  for (int64_t i = 1; i < 33; ++i) {
    if (i < 17 || i >= 25) times.insert(kDay0 + i * 8 * kMinute - (i % 4) * 20'000);
  }
  FeatureTable t;
  t.columns = {"sig", "score"};
  if (extra_column) t.columns.push_back("extra");
  double i = 0;
  for (int64_t ts : times) {
    t.rows[ts] = {1000.0 * version + i, i + 0.25};
    if (extra_column) t.rows[ts].push_back(-i - 0.5);
    ++i;
  }
  return t;
}

// A row every 30 minutes from kDay0 + 15m; written as Parquet with ts a TIMESTAMP.
FeatureTable BetaRows() {
  FeatureTable t;
  t.columns = {"val"};
  for (int64_t i = 0; i < 8; ++i) t.rows[kDay0 + 15 * kMinute + i * 30 * kMinute] = {7.0 * i};
  return t;
}

// The table as Parquet, written by DuckDB through the library's wrapper, ts a TIMESTAMP.
std::string WriteParquet(const std::string& path, const std::string& csv) {
  auto db = duck::Database::Open("", {});
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return path;
  auto conn = duck::Connection::Open(**db);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  if (!conn.ok()) return path;
  const Status s = (*conn)->Execute(
      "COPY (SELECT make_timestamp(ts * 1000) AS ts, * EXCLUDE (ts) "
      "FROM read_csv(" +
          duck::QuoteLiteral(csv) + ", header = true)) TO " + duck::QuoteLiteral(path) +
          " (FORMAT parquet)",
      "writing the test's Parquet file");
  EXPECT_TRUE(s.ok()) << s.ToString();
  return path;
}

// The newest row of `table` at or before `ts`, and no older than `tolerance` (< 0: any age).
const std::pair<const int64_t, std::vector<double>>* AsOf(const FeatureTable& table, int64_t ts,
                                                          int64_t tolerance) {
  auto it = table.rows.upper_bound(ts);
  if (it == table.rows.begin()) return nullptr;
  --it;
  if (tolerance >= 0 && ts - it->first > tolerance) return nullptr;
  return &*it;
}

// A CSV without quoting (numbers only), as rows of cells; the header first.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    size_t begin = 0;
    for (size_t comma; (comma = line.find(',', begin)) != std::string::npos; begin = comma + 1) {
      cells.push_back(line.substr(begin, comma - begin));
    }
    cells.push_back(line.substr(begin));
    rows.push_back(std::move(cells));
  }
  return rows;
}

size_t ColumnIndex(const std::vector<std::string>& header, const std::string& name) {
  auto it = std::find(header.begin(), header.end(), name);
  EXPECT_NE(it, header.end()) << "no column '" << name << "'";
  return static_cast<size_t>(it - header.begin());
}

struct JoinedSet {
  std::string prefix;  // "alpha" or "alpha@1.0.0"
  const FeatureTable* table;
};

// Checks `read --with-features` CSV row by row: one row per ts of `candle_ts` in order, and for
// each set the columns of AsOf(its rows, candle ts, tolerance), empty cells when there is none.
// Returns the rows for further checks.
std::vector<std::vector<std::string>> ExpectJoined(const std::string& csv,
                                                   const std::vector<int64_t>& candle_ts,
                                                   const std::vector<JoinedSet>& sets,
                                                   int64_t tolerance) {
  auto rows = ParseCsv(csv);
  EXPECT_EQ(rows.size(), candle_ts.size() + 1) << csv.substr(0, 2000);
  if (rows.size() != candle_ts.size() + 1) return rows;
  const auto& header = rows[0];
  const size_t ts_col = ColumnIndex(header, "ts");
  for (size_t r = 0; r < candle_ts.size(); ++r) {
    const auto& row = rows[r + 1];
    EXPECT_EQ(row.size(), header.size()) << "row " << r;
    if (row.size() != header.size()) continue;
    EXPECT_EQ(row[ts_col], std::to_string(candle_ts[r])) << "row " << r;
    for (const auto& set : sets) {
      const auto* want = AsOf(*set.table, candle_ts[r], tolerance);
      const std::string where = "candle " + FormatTimestamp(candle_ts[r]) + ", " + set.prefix;
      const std::string got_ts = row[ColumnIndex(header, set.prefix + ".ts")];
      EXPECT_EQ(got_ts, want ? std::to_string(want->first) : "") << where;
      for (size_t c = 0; c < set.table->columns.size(); ++c) {
        const std::string& cell =
            row[ColumnIndex(header, set.prefix + "." + set.table->columns[c])];
        if (!want) {
          EXPECT_EQ(cell, "") << where << "." << set.table->columns[c];
        } else {
          EXPECT_EQ(std::strtod(cell.c_str(), nullptr), want->second[c])
              << where << "." << set.table->columns[c] << " = '" << cell << "'";
        }
      }
    }
  }
  return rows;
}

// ---- Running dlake ----

Json ParseJson(const ProcessResult& r) {
  Json json = Json::parse(r.out, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << Describe(r);
  return json;
}

// `dlake --lake LAKE args... --json`, asserting exit 0; its stdout parsed.
Json DlakeJson(const std::string& lake, std::vector<std::string> args) {
  args.push_back("--json");
  ProcessResult r = Dlake(lake, args);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  return ParseJson(r);
}

std::vector<std::string> UploadArgs(const std::string& path, const std::string& set,
                                    const std::string& version,
                                    const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {
      "upload-feature", "--path",        path, "--exchange", kExchange, "--symbol",
      kSymbol,          "--feature-set", set,  "--version",  version,   "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> ReadArgs(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"read", "--exchange", kExchange, "--symbol", kSymbol};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// `dlake read ... --format csv` to stdout, asserting exit 0.
std::string ReadCsv(const std::string& lake, const std::vector<std::string>& extra) {
  std::vector<std::string> args = ReadArgs(extra);
  args.insert(args.end(), {"--format", "csv"});
  ProcessResult r = Dlake(lake, args);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  return r.out;
}

// What a refused command must leave exactly as it was: the manifest's files, the feature
// versions and every file under data/.
struct LakeState {
  Json files;
  Json versions;
  std::map<std::string, std::string> data;
  bool operator==(const LakeState&) const = default;
};

LakeState StateOf(const std::string& lake) {
  return LakeState{DlakeJson(lake, {"list", "--files"}), DlakeJson(lake, {"features", "list"}),
                   Checksums(lake + "/data")};
}

// Runs a command that must be refused with `exit_code` and a message holding each of `words`,
// and checks that the lake is as it was and verifies clean.
void ExpectRefused(const std::string& lake, const std::vector<std::string>& args, int exit_code,
                   const std::vector<std::string>& words) {
  const LakeState before = StateOf(lake);
  ProcessResult r = Dlake(lake, args);
  EXPECT_EQ(r.exit_code, exit_code) << Describe(r);
  for (const auto& w : words) EXPECT_THAT(r.err, HasSubstr(w)) << Describe(r);
  EXPECT_TRUE(StateOf(lake) == before) << "the lake changed: " << Describe(r);
  EXPECT_TRUE(VerifyJson(lake).value("ok", false));
}

// The ts of the candles [kDay0, end) `step` apart.
std::vector<int64_t> CandleTimes(int64_t step, int64_t end = kDay0 + kCandles * kMinute) {
  std::vector<int64_t> out;
  for (int64_t ts = kDay0; ts < end; ts += step) out.push_back(ts);
  return out;
}

// One FeatureTable row per CSV row of `read --feature-set` output (ts and `columns`).
FeatureTable TableOfRead(const std::string& csv, const std::vector<std::string>& columns) {
  FeatureTable t;
  t.columns = columns;
  auto rows = ParseCsv(csv);
  if (rows.empty()) return t;
  std::vector<size_t> index;
  for (const auto& c : columns) index.push_back(ColumnIndex(rows[0], c));
  const size_t ts = ColumnIndex(rows[0], "ts");
  for (size_t r = 1; r < rows.size(); ++r) {
    std::vector<double> values;
    for (size_t i : index) values.push_back(std::strtod(rows[r][i].c_str(), nullptr));
    t.rows[std::stoll(rows[r][ts])] = values;
  }
  return t;
}

// ---- The CLI story ----

TEST(FeaturesProcessTest, UploadListJoinAsOfAndDeleteThroughTheCli) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  KlineOptions candles;
  candles.start_ms = kDay0;
  candles.count = kCandles;
  IngestCsv(lake, WriteKlines(tmp.Join("candles.csv"), candles));

  // ---- A CSV upload with its lineage.
  const FeatureTable alpha1 = AlphaRows(1);
  const std::string alpha1_csv = WriteTable(tmp.Join("alpha1.csv"), alpha1);
  ProcessResult created =
      Dlake(lake, UploadArgs(alpha1_csv, "alpha", "1.0.0",
                             {"--market", "futures", "--description", "momentum signal", "--source",
                              kRawDataset, "--code-ref", "git:abc123"}));
  ASSERT_EQ(created.exit_code, 0) << Describe(created);
  const Json v1 = ParseJson(created);
  EXPECT_EQ(v1["outcome"], "created");
  EXPECT_EQ(v1["dry_run"], false);
  EXPECT_EQ(v1["dataset"], "features/alpha/1.0.0/BINANCE/BTCUSDT");
  EXPECT_EQ(v1["feature_set"], "alpha");
  EXPECT_EQ(v1["version"], "1.0.0");
  EXPECT_EQ(v1["exchange"], "BINANCE");
  EXPECT_EQ(v1["symbol"], "BTCUSDT");
  EXPECT_EQ(v1["market"], "FUTURES");
  EXPECT_EQ(v1["description"], "momentum signal");
  EXPECT_EQ(v1["code_ref"], "git:abc123");
  EXPECT_EQ(v1["rows"], alpha1.rows.size());
  EXPECT_EQ(v1["time_from"], alpha1.rows.begin()->first);
  EXPECT_EQ(v1["time_to"], alpha1.rows.rbegin()->first);
  EXPECT_EQ(v1["columns"], Json::parse(R"([{"name":"ts","type":"BIGINT"},
      {"name":"sig","type":"BIGINT"},{"name":"score","type":"DOUBLE"}])"));
  EXPECT_EQ(v1["files"], 2);  // December 2023 and January 2024, closed months: a file each
  EXPECT_EQ(v1["files_written"], 2);
  EXPECT_EQ(v1["files_digest"].get<std::string>().size(), 64u);
  EXPECT_EQ(v1["input"]["path"], alpha1_csv);
  EXPECT_EQ(v1["input"]["bytes"], fs::file_size(alpha1_csv));
  EXPECT_EQ(v1["input"]["sha256"].get<std::string>().size(), 64u);
  ASSERT_EQ(v1["sources"].size(), 1u) << v1.dump(2);
  const Json& source = v1["sources"][0];
  EXPECT_EQ(source["dataset"], kRawDataset);
  EXPECT_EQ(source["rows"], kCandles);
  EXPECT_EQ(source["files"], 1);
  EXPECT_EQ(source["time_from"], kDay0);
  EXPECT_EQ(source["time_to"], kDay0 + (kCandles - 1) * kMinute);
  EXPECT_EQ(source["digest"].get<std::string>().size(), 64u);
  const int64_t created_1_0_0 = v1["created_at"].get<int64_t>();

  // ---- The same content again: unchanged, nothing written, the stored record reported.
  {
    const LakeState before = StateOf(lake);
    ProcessResult again = Dlake(lake, UploadArgs(alpha1_csv, "alpha", "1.0.0"));
    ASSERT_EQ(again.exit_code, 0) << Describe(again);
    const Json same = ParseJson(again);
    EXPECT_EQ(same["outcome"], "unchanged");
    EXPECT_EQ(same["files_written"], 0);
    EXPECT_EQ(same["created_at"], created_1_0_0);
    EXPECT_EQ(same["code_ref"], "git:abc123");
    EXPECT_TRUE(StateOf(lake) == before);
  }

  // ---- A Parquet upload whose ts is a TIMESTAMP: stored as epoch ms like any other.
  const FeatureTable beta = BetaRows();
  const std::string beta_parquet =
      WriteParquet(tmp.Join("beta.parquet"), WriteTable(tmp.Join("beta.csv"), beta));
  const Json b1 = DlakeJson(lake, UploadArgs(beta_parquet, "beta", "1.0.0"));
  EXPECT_EQ(b1["outcome"], "created");
  EXPECT_EQ(b1["rows"], beta.rows.size());
  EXPECT_EQ(b1["time_from"], beta.rows.begin()->first);
  EXPECT_EQ(b1["time_to"], beta.rows.rbegin()->first);
  EXPECT_EQ(b1["columns"], Json::parse(R"([{"name":"ts","type":"BIGINT"},
      {"name":"val","type":"BIGINT"}])"));
  EXPECT_EQ(b1["sources"], Json::array());

  // ---- A dry run of 1.9.0 writes nothing; then 1.9.0 (one more column) and 1.10.0.
  const FeatureTable alpha9 = AlphaRows(9, /*extra_column=*/true);
  const std::string alpha9_csv = WriteTable(tmp.Join("alpha9.csv"), alpha9);
  {
    const LakeState before = StateOf(lake);
    const Json dry = DlakeJson(lake, UploadArgs(alpha9_csv, "alpha", "1.9.0", {"--dry-run"}));
    EXPECT_EQ(dry["outcome"], "would create");
    EXPECT_EQ(dry["dry_run"], true);
    EXPECT_EQ(dry["rows"], alpha9.rows.size());
    EXPECT_TRUE(StateOf(lake) == before);
  }
  const Json v9 = DlakeJson(lake, UploadArgs(alpha9_csv, "alpha", "1.9.0"));
  EXPECT_EQ(v9["outcome"], "created");
  const FeatureTable alpha10 = AlphaRows(10);
  const Json v10 =
      DlakeJson(lake, UploadArgs(WriteTable(tmp.Join("alpha10.csv"), alpha10), "alpha", "1.10.0"));
  EXPECT_EQ(v10["outcome"], "created");
  const int64_t created_1_9_0 = v9["created_at"].get<int64_t>();
  ASSERT_LT(created_1_0_0, created_1_9_0);
  ASSERT_LT(created_1_9_0, v10["created_at"].get<int64_t>());

  // ---- Refused uploads: a clear message, and the lake exactly as it was.
  // Other content under an existing version: the next patch after the highest (semver) version.
  // Same columns, other values: the message counts the rows that differ.
  ExpectRefused(lake, UploadArgs(tmp.Join("alpha10.csv"), "alpha", "1.0.0"), 1,
                {"already holds other content", "version 1.0.0", "of the file's rows are not in it",
                 "such as 1.10.1"});
  // Other columns: the message shows both.
  ExpectRefused(lake, UploadArgs(alpha9_csv, "alpha", "1.0.0"), 1,
                {"already holds other content", "extra DOUBLE"});
  // Not a semantic version, not a set name: bad usage.
  ExpectRefused(lake, UploadArgs(alpha1_csv, "alpha", "1.0"), 2, {"'1.0'"});
  ExpectRefused(lake, UploadArgs(alpha1_csv, "al/pha", "1.0.0"), 2, {"'al/pha'"});
  // No ts column: the message names the file and the columns it has.
  const std::string no_ts = tmp.Join("no_ts.csv");
  WriteFile(no_ts, "time,sig\n1704067200000,1\n");
  ExpectRefused(lake, UploadArgs(no_ts, "alpha", "2.0.0"), 1, {no_ts, "no 'ts' column", "time"});
  // A source the lake does not hold.
  ExpectRefused(
      lake,
      UploadArgs(alpha1_csv, "alpha", "2.0.0", {"--source", "BINANCE/FUTURES/ETHUSDT/raw/1m"}), 1,
      {"BINANCE/FUTURES/ETHUSDT/raw/1m"});

  // ---- features list | show | diff.
  const Json listed = DlakeJson(lake, {"features", "list"});
  std::vector<std::string> names;
  for (const auto& v : listed) {
    names.push_back(v["feature_set"].get<std::string>() + "@" + v["version"].get<std::string>());
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"alpha@1.10.0", "alpha@1.9.0", "alpha@1.0.0", "beta@1.0.0"}));
  const Json shown = DlakeJson(lake, {"features", "show", "alpha"});
  ASSERT_EQ(shown.size(), 1u) << shown.dump(2);
  EXPECT_EQ(shown[0]["version"], "1.10.0");
  EXPECT_EQ(shown[0]["rows"], alpha10.rows.size());
  EXPECT_EQ(DlakeJson(lake, {"features", "show", "alpha@1.0.0"})[0]["sources"][0]["dataset"],
            kRawDataset);
  const Json diff = DlakeJson(lake, {"features", "diff", "alpha@1.0.0", "alpha@1.9.0"});
  EXPECT_EQ(diff["same_schema"], false);
  EXPECT_EQ(diff["columns"], Json::parse(R"([{"name":"extra","change":"added","type_a":null,
      "type_b":"DOUBLE"}])"));

  // ---- The point-in-time join against the one computed here.
  const std::vector<int64_t> minutes = CandleTimes(kMinute);
  {
    const auto rows = ExpectJoined(ReadCsv(lake, {"--with-features", "alpha@1.0.0,beta"}), minutes,
                                   {{"alpha", &alpha1}, {"beta", &beta}}, /*tolerance=*/-1);
    ASSERT_EQ(rows.size(), minutes.size() + 1);
    const size_t alpha_ts = ColumnIndex(rows[0], "alpha.ts");
    // A feature row exactly at a candle's ts is that candle's; one 1 ms after is not.
    EXPECT_EQ(rows[1 + 61][alpha_ts], std::to_string(kDay0 + 61 * kMinute));
    EXPECT_NE(rows[1 + 100][alpha_ts], std::to_string(kDay0 + 100 * kMinute + 1));
    EXPECT_EQ(rows[1 + 101][alpha_ts], std::to_string(kDay0 + 100 * kMinute + 1));
    // The row 10 minutes before the first candle is the first candle's.
    EXPECT_EQ(rows[1][alpha_ts], std::to_string(kDay0 - 10 * kMinute));
  }
  {
    const auto rows =
        ExpectJoined(ReadCsv(lake, {"--with-features", "alpha@1.0.0,beta", "--tolerance", "5m"}),
                     minutes, {{"alpha", &alpha1}, {"beta", &beta}}, 5 * kMinute);
    ASSERT_EQ(rows.size(), minutes.size() + 1);
    EXPECT_EQ(rows[1][ColumnIndex(rows[0], "alpha.ts")], "");         // 10 minutes old
    EXPECT_EQ(rows[1 + 150][ColumnIndex(rows[0], "alpha.sig")], "");  // in the 70-minute hole
  }
  // A range whose first candle's feature row is in the previous month's file: found with no
  // tolerance and with one that reaches it, not with one that does not.
  const std::vector<std::string> range = {"--start", "2024-01-01", "--end", "2024-01-01T02:00"};
  for (int64_t tolerance : {int64_t{-1}, 15 * kMinute, 5 * kMinute}) {
    SCOPED_TRACE("tolerance " + std::to_string(tolerance));
    std::vector<std::string> args = {"--with-features", "alpha@1.0.0"};
    args.insert(args.end(), range.begin(), range.end());
    if (tolerance >= 0) {
      args.insert(args.end(), {"--tolerance", std::to_string(tolerance / kMinute) + "m"});
    }
    const auto rows = ExpectJoined(ReadCsv(lake, args), CandleTimes(kMinute, kDay0 + 120 * kMinute),
                                   {{"alpha", &alpha1}}, tolerance);
    ASSERT_GT(rows.size(), 1u);
    EXPECT_EQ(rows[1][ColumnIndex(rows[0], "alpha.ts")],
              tolerance == 5 * kMinute ? "" : std::to_string(kDay0 - 10 * kMinute));
  }
  // Two versions of one set side by side, resampled to 1h.
  ExpectJoined(ReadCsv(lake, {"--with-features", "alpha@1.0.0,alpha", "--timeframe", "1h"}),
               CandleTimes(60 * kMinute), {{"alpha@1.0.0", &alpha1}, {"alpha@1.10.0", &alpha10}},
               -1);
  // As of 1.9.0's creation: the highest version created before is 1.0.0; 1.9.0 named is refused.
  const std::string as_of = std::to_string(created_1_9_0);
  ExpectJoined(ReadCsv(lake, {"--with-features", "alpha", "--as-of", as_of}), minutes,
               {{"alpha", &alpha1}}, -1);
  ProcessResult too_new =
      Dlake(lake, ReadArgs({"--with-features", "alpha@1.9.0", "--as-of", as_of}));
  EXPECT_EQ(too_new.exit_code, 1) << Describe(too_new);
  EXPECT_THAT(too_new.err, HasSubstr("version 1.9.0")) << Describe(too_new);
  EXPECT_THAT(too_new.err, HasSubstr("--as-of")) << Describe(too_new);
  // Exported as Parquet: the same join.
  {
    const std::string out = tmp.Join("joined.parquet");
    ProcessResult exported = Dlake(lake, ReadArgs({"--with-features", "alpha@1.0.0", "--tolerance",
                                                   "5m", "--format", "parquet", "--output", out}));
    ASSERT_EQ(exported.exit_code, 0) << Describe(exported);
    int64_t matched = 0;
    for (int64_t ts : minutes) matched += AsOf(alpha1, ts, 5 * kMinute) ? 1 : 0;
    auto db = duck::Database::Open("", {});
    ASSERT_TRUE(db.ok());
    auto conn = duck::Connection::Open(**db);
    ASSERT_TRUE(conn.ok());
    auto counts = (*conn)->Query(
        "SELECT count(*), count(\"alpha.sig\") FROM read_parquet(" + duck::QuoteLiteral(out) + ")",
        "counting the joined rows");
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    EXPECT_EQ(counts->GetInt64(0, 0), kCandles);
    EXPECT_EQ(counts->GetInt64(1, 0), matched);
  }

  // ---- read --feature-set: the highest version by semver (1.10.0 > 1.9.0) until it is deleted.
  EXPECT_EQ(TableOfRead(ReadCsv(lake, {"--feature-set", "alpha"}), alpha10.columns).rows,
            alpha10.rows);
  const Json deleted = DlakeJson(lake, {"delete", "--feature-set", "alpha", "--version", "1.10.0"});
  ASSERT_EQ(deleted["versions"].size(), 1u) << deleted.dump(2);
  EXPECT_EQ(deleted["versions"][0]["dataset"], "features/alpha/1.10.0/BINANCE/BTCUSDT");
  EXPECT_EQ(deleted["versions"][0]["rows"], alpha10.rows.size());
  EXPECT_EQ(deleted["files"], 2);
  EXPECT_FALSE(fs::exists(lake + "/data/features/alpha/1.10.0"));
  EXPECT_TRUE(fs::exists(lake + "/data/features/alpha/1.9.0"));
  EXPECT_EQ(TableOfRead(ReadCsv(lake, {"--feature-set", "alpha"}), alpha9.columns).rows,
            alpha9.rows);
  ProcessResult gone = Dlake(lake, ReadArgs({"--feature-set", "alpha@1.10.0"}));
  EXPECT_EQ(gone.exit_code, 1) << Describe(gone);
  EXPECT_THAT(gone.err, HasSubstr("has no version 1.10.0")) << Describe(gone);

  std::set<std::string> remaining;
  for (const auto& d : DlakeJson(lake, {"list", "--data-type", "feature"})) {
    EXPECT_EQ(d["type"], "feature") << d.dump();
    if (d["files"] != 0) remaining.insert(d["dataset"].get<std::string>());
  }
  EXPECT_EQ(remaining, (std::set<std::string>{"features/alpha/1.0.0/BINANCE/BTCUSDT",
                                              "features/alpha/1.9.0/BINANCE/BTCUSDT",
                                              "features/beta/1.0.0/BINANCE/BTCUSDT"}));
  EXPECT_EQ(DlakeJson(lake, {"features", "list", "--feature-set", "alpha"}).size(), 2u);
  EXPECT_TRUE(VerifyJson(lake).value("ok", false));
}

// ---- Crash safety ----

// Rows of the killed uploads' file, checked in this process with DuckDB.
class RowChecker {
 public:
  RowChecker() {
    auto db = duck::Database::Open("", {});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return;
    db_ = std::move(*db);
    auto conn = duck::Connection::Open(*db_);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (conn.ok()) conn_ = std::move(*conn);
  }

  // "" when the Parquet file holds exactly the CSV file's rows (ts, a, b), else what differs.
  std::string Difference(const std::string& parquet, const std::string& csv) {
    if (!conn_) return "no DuckDB";
    const std::string got =
        "SELECT ts, a, b FROM read_parquet(" + duck::QuoteLiteral(parquet) + ")";
    const std::string want =
        "SELECT ts, a, b FROM read_csv(" + duck::QuoteLiteral(csv) + ", header = true)";
    auto r = conn_->Query("SELECT (SELECT count(*) FROM (" + got + ")), (SELECT count(*) FROM (" +
                              got + " EXCEPT ALL " + want + ")), (SELECT count(*) FROM (" + want +
                              " EXCEPT ALL " + got + "))",
                          "comparing the read rows with the file");
    if (!r.ok()) return r.status().ToString();
    if (r->GetInt64(1, 0) == 0 && r->GetInt64(2, 0) == 0) return "";
    return std::to_string(r->GetInt64(0, 0)) + " rows read, " + std::to_string(r->GetInt64(1, 0)) +
           " not in the file, " + std::to_string(r->GetInt64(2, 0)) + " of the file's missing";
  }

 private:
  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> conn_;
};

constexpr int64_t kBigRows = 300'000;

// ts, a (BIGINT), b (DOUBLE): kBigRows rows over 400 days from kDay0, so that an upload writes
// one file per closed month.
std::string WriteBigFeatureFile(const std::string& path) {
  const int64_t step = 400 * kMsPerDay / kBigRows;
  std::ofstream out(path);
  out << "ts,a,b\n";
  for (int64_t i = 0; i < kBigRows; ++i) out << kDay0 + i * step << "," << i << "," << i << ".5\n";
  return path;
}

// What a killed upload left of the version.
enum class AfterKill {
  kNothing,             // no file, no record
  kFilesWithoutRecord,  // the files committed, the version not recorded: invisible
  kComplete,            // the version recorded, every row there
};

// The lake right after a killed upload: no damage; the version either absent (listed nowhere,
// not readable, its files if any all committed together) or complete (all rows listed and read
// back).
// `strays` counts the checks that found orphans or temporary files (left for repair).
AfterKill ExpectAbsentOrComplete(const std::string& lake, const std::string& csv, RowChecker& rows,
                                 const std::string& out, int& strays) {
  const Json verify = VerifyJson(lake);
  ExpectNoDamage(verify);
  if (!verify.value("ok", false)) {
    const bool found = !verify.value("orphans", Json::array()).empty() ||
                       !verify.value("leftovers", Json::array()).empty();
    EXPECT_TRUE(found) << "verify failed for something other than strays: " << verify.dump(2);
    strays += found ? 1 : 0;
  }
  int64_t stored_rows = 0;
  for (const auto& d : verify.value("datasets", Json::array())) {
    if (d["dataset"] == "features/big/1.0.0/BINANCE/BTCUSDT") stored_rows = d["rows"];
  }
  // One manifest transaction commits every month file of the upload.
  EXPECT_TRUE(stored_rows == 0 || stored_rows == kBigRows) << verify.dump(2);

  const Json listed = DlakeJson(lake, {"features", "list", "--feature-set", "big"});
  EXPECT_LE(listed.size(), 1u) << listed.dump(2);
  fs::remove(out);
  ProcessResult read =
      Dlake(lake, ReadArgs({"--feature-set", "big", "--format", "parquet", "--output", out}));
  if (listed.empty()) {
    EXPECT_EQ(read.exit_code, 1) << Describe(read);
    EXPECT_THAT(read.err, HasSubstr("has no version")) << Describe(read);
    return stored_rows == 0 ? AfterKill::kNothing : AfterKill::kFilesWithoutRecord;
  }
  EXPECT_EQ(listed[0]["rows"], kBigRows) << listed.dump(2);
  EXPECT_EQ(stored_rows, kBigRows);
  EXPECT_EQ(read.exit_code, 0) << Describe(read);
  EXPECT_EQ(rows.Difference(out, csv), "");
  return AfterKill::kComplete;
}

TEST(FeaturesProcessTest, UploadKilledAtRandomMomentsLeavesTheVersionAbsentOrComplete) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  const std::string csv = WriteBigFeatureFile(tmp.Join("big.csv"));
  const std::string out = tmp.Join("read.parquet");
  const std::vector<std::string> upload = UploadArgs(csv, "big", "1.0.0");
  std::vector<std::string> args = {"--lake", lake};
  args.insert(args.end(), upload.begin(), upload.end());
  RowChecker rows;

  // One random moment in each of five equal slices of 20 .. 900 ms (a full upload takes 0.7 s,
  // its month files written from 0.5 s, on a 2-core machine): reading and checking the file,
  // writing the month files, the manifest commit and the version record, or after the end.
  // Each round starts from what the last one left.
  std::mt19937 rng(20241208);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  constexpr int kRounds = 5;
  std::map<AfterKill, int> outcomes;
  int strays = 0;
  for (int i = 0; i < kRounds; ++i) {
    const auto delay =
        std::chrono::milliseconds(20 + static_cast<int64_t>(880.0 * (i + unit(rng)) / kRounds));
    SCOPED_TRACE("round " + std::to_string(i) + ", kill after " + std::to_string(delay.count()) +
                 " ms");
    auto child = DlakeChild::Start(args);
    std::this_thread::sleep_for(delay);
    child->Kill(SIGKILL);
    ProcessResult r = child->Wait();
    EXPECT_TRUE(r.signal == SIGKILL || r.exit_code == 0) << Describe(r);
    const AfterKill after = ExpectAbsentOrComplete(lake, csv, rows, out, strays);
    ++outcomes[after];
    if (after == AfterKill::kComplete) {
      // The next round uploads the version again from nothing.
      ProcessResult deleted = Dlake(lake, {"delete", "--feature-set", "big", "--version", "1.0.0"});
      EXPECT_EQ(deleted.exit_code, 0) << Describe(deleted);
    }
    if (HasFailure()) break;
  }
  std::cout << "upload-feature killed " << kRounds << " times: " << outcomes[AfterKill::kNothing]
            << " left nothing, " << outcomes[AfterKill::kFilesWithoutRecord]
            << " files without a version, " << outcomes[AfterKill::kComplete]
            << " completed first; " << strays << " checks found strays for repair\n";

  // An upload that runs to the end replaces what the killed ones left.
  ProcessResult finished = Dlake(lake, upload);
  ASSERT_EQ(finished.exit_code, 0) << Describe(finished);
  const Json report = ParseJson(finished);
  EXPECT_EQ(report["outcome"], "created");
  EXPECT_EQ(report["rows"], kBigRows);
  EXPECT_EQ(report["files"], 14) << report.dump(2);  // January 2024 .. February 2025

  ProcessResult repaired = Dlake(lake, {"verify", "--repair"});
  EXPECT_EQ(repaired.exit_code, 0) << Describe(repaired);
  const Json verify = VerifyJson(lake);
  EXPECT_TRUE(verify.value("ok", false)) << verify.dump(2);
  EXPECT_EQ(TempFilesUnder(lake), std::vector<std::string>{});
  const Json shown = DlakeJson(lake, {"features", "show", "big"});
  ASSERT_EQ(shown.size(), 1u) << shown.dump(2);
  EXPECT_EQ(shown[0]["rows"], kBigRows);
  EXPECT_EQ(shown[0]["files"], report["files"]);
  EXPECT_EQ(ExpectAbsentOrComplete(lake, csv, rows, out, strays), AfterKill::kComplete);
}

}  // namespace
}  // namespace dlake::testing
