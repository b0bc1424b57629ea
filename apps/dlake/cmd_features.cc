// `dlake upload-feature` and `dlake features list | show | diff` (doc/features.md). Reading
// a feature set and the point-in-time join are options of `dlake read` (cmd_read.cc), deleting
// a version one of `dlake delete` (cmd_list.cc).

#include <iomanip>
#include <iostream>
#include <limits>

#include "cli.h"
#include "dlake/common/time.h"

namespace dlake::cli {
namespace {

std::string Range(const FeatureVersion& v) {
  return TimeText(v.time_from) + " .. " + TimeText(v.time_to);
}

std::string ColumnNames(const FeatureVersion& v) {
  std::string names;
  for (const auto& c : v.columns) {
    if (c.name != "ts") names += (names.empty() ? "" : ", ") + c.name;
  }
  return names;
}

FeatureRef ParseRef(const std::string& text) { return CheckUsage(FeatureRef::Parse(text)); }

void PrintVersion(const FeatureVersion& v) {
  std::cout << v.feature_set << "@" << v.version << "  " << v.exchange << "/" << v.symbol
            << (v.market.empty() ? "" : " (" + v.market + ")") << "\n";
  if (!v.description.empty()) std::cout << "  description: " << v.description << "\n";
  std::cout << "  rows:        " << v.rows << " in " << v.files << " files, " << Range(v) << "\n";
  std::cout << "  columns:     ";
  for (size_t i = 0; i < v.columns.size(); ++i) {
    std::cout << (i ? ", " : "") << v.columns[i].name << " " << v.columns[i].type;
  }
  std::cout << "\n  created:     " << TimeText(v.created_at) << " on " << v.host << "\n";
  std::cout << "  code_ref:    " << (v.code_ref.empty() ? "-" : v.code_ref) << "\n";
  std::cout << "  input:       " << v.input_path << " (sha256 " << v.input_sha256.substr(0, 16)
            << ", " << HumanBytes(v.input_bytes) << ")\n";
  std::cout << "  files:       digest " << v.files_digest.substr(0, 16) << "\n";
  if (v.sources.empty()) std::cout << "  sources:     -\n";
  for (const auto& s : v.sources) {
    std::cout << "  source:      " << s.dataset << ": " << s.rows << " rows in " << s.files
              << " files, " << TimeText(s.time_from) << " .. " << TimeText(s.time_to) << ", digest "
              << s.digest.substr(0, 16) << "\n";
  }
}

void AddUpload(CLI::App& app, GlobalOptions& global) {
  static FeatureUploadRequest request;
  auto* cmd = app.add_subcommand("upload-feature",
                                 "Upload a Parquet or CSV file of feature rows (a ts column) as an "
                                 "immutable version of a feature set");
  cmd->add_option("--path", request.path, "The file: .parquet or .csv with a header")->required();
  cmd->add_option("--exchange", request.exchange, "Exchange, e.g. BINANCE")->required();
  cmd->add_option("--symbol", request.symbol, "Symbol: BTCUSDT or BTC/USDT:USDT")->required();
  cmd->add_option("--market", request.market, "Market, recorded in the lineage");
  cmd->add_option("--feature-set", request.feature_set, "Feature set name, e.g. alpha_v1")
      ->required();
  cmd->add_option("--version", request.version, "Semantic version: 1.0.0, 1.1.0-rc.1")->required();
  cmd->add_option("--description", request.description, "What the version holds");
  cmd->add_option("--source", request.sources,
                  "A dataset it was computed from, as 'dlake list' names it "
                  "(BINANCE/FUTURES/BTCUSDT/raw/1m) or features/SET/VERSION/EXCHANGE/SYMBOL; "
                  "repeatable")
      ->expected(1, -1);
  cmd->add_option("--code-ref", request.code_ref, "The code that computed it: a commit, a tag");
  cmd->add_flag("--dry-run", request.dry_run, "Check and compare; write nothing");
  cmd->callback([&global] {
    // A bad set name, version or symbol is bad usage (exit 2), as in `features show` and `read`.
    CheckUsage(
        DatasetId::Feature(request.feature_set, request.version, request.exchange, request.symbol));
    auto lake = OpenLake(global);
    FeatureUploadReport report = Check(lake->UploadFeature(request));
    if (global.json) {
      PrintJson(ToJson(report));
      return;
    }
    const FeatureVersion& v = report.version;
    const std::string name =
        v.feature_set + "@" + v.version + " for " + v.exchange + "/" + v.symbol;
    if (report.outcome == "unchanged") {
      std::cout << name << " already holds exactly this content; nothing written.\n";
      return;
    }
    std::cout << (report.dry_run ? "Would upload " : "Uploaded ") << name << ": " << v.rows
              << " rows, " << Range(v) << ", "
              << report.write.Count(DayAction::kCreated) + report.write.Count(DayAction::kReplaced)
              << " files\n";
  });
}

void AddList(CLI::App& features, GlobalOptions& global) {
  static FeatureListRequest request;
  auto* cmd = features.add_subcommand("list", "Feature sets and their versions, highest first");
  cmd->add_option("--feature-set", request.feature_set, "Only this set");
  cmd->add_option("--exchange", request.exchange, "Only this exchange");
  cmd->add_option("--symbol", request.symbol, "Only this symbol");
  cmd->callback([&global] {
    auto lake = OpenLake(global);
    auto versions = Check(lake->ListFeatures(request));
    if (global.json) {
      PrintJson(ToJson(versions));
      return;
    }
    if (versions.empty()) {
      std::cout << "No feature sets.\n";
      return;
    }
    std::cout << std::left << std::setw(20) << "FEATURE SET" << std::setw(14) << "VERSION"
              << std::setw(22) << "SYMBOL" << std::right << std::setw(10) << "ROWS"
              << "  " << std::left << std::setw(54) << "RANGE"
              << "COLUMNS\n";
    for (const auto& v : versions) {
      std::cout << std::left << std::setw(20) << v.feature_set << std::setw(14) << v.version
                << std::setw(22) << v.exchange + "/" + v.symbol << std::right << std::setw(10)
                << v.rows << "  " << std::left << std::setw(54) << Range(v) << ColumnNames(v)
                << "\n";
    }
  });
}

void AddShow(CLI::App& features, GlobalOptions& global) {
  static std::string ref;
  auto* cmd = features.add_subcommand(
      "show", "One version of a feature set (default: the highest) with its lineage");
  cmd->add_option("SET[@VERSION]", ref, "e.g. alpha_v1 or alpha_v1@1.0.1")->required();
  cmd->callback([&global] {
    FeatureRef parsed = ParseRef(ref);
    auto lake = OpenLake(global);
    auto versions = Check(lake->ShowFeature(parsed));
    if (global.json) {
      PrintJson(ToJson(versions));
      return;
    }
    for (const auto& v : versions) PrintVersion(v);
  });
}

void PrintCoverageSide(const std::optional<FeatureVersion>& v) {
  if (!v) {
    std::cout << "-";
    return;
  }
  std::cout << v->rows << " rows, " << Range(*v);
}

void AddDiff(CLI::App& features, GlobalOptions& global) {
  static std::string a, b;
  auto* cmd = features.add_subcommand("diff", "How two versions differ: schema and coverage");
  cmd->add_option("A", a, "SET@VERSION (or SET: its highest)")->required();
  cmd->add_option("B", b, "SET@VERSION (or SET: its highest)")->required();
  cmd->callback([&global] {
    FeatureRef ref_a = ParseRef(a), ref_b = ParseRef(b);
    auto lake = OpenLake(global);
    FeatureDiff diff = Check(lake->DiffFeatures(ref_a, ref_b));
    if (global.json) {
      PrintJson(ToJson(diff));
      return;
    }
    std::cout << diff.a.ToString() << " -> " << diff.b.ToString() << "\n";
    if (diff.SameSchema()) std::cout << "schema: the same columns and types\n";
    for (const auto& c : diff.columns) {
      if (c.type_a.empty()) {
        std::cout << "  + " << c.name << " " << c.type_b << "\n";
      } else if (c.type_b.empty()) {
        std::cout << "  - " << c.name << " " << c.type_a << "\n";
      } else {
        std::cout << "  ~ " << c.name << " " << c.type_a << " -> " << c.type_b << "\n";
      }
    }
    std::cout << "coverage:\n";
    for (const auto& c : diff.coverage) {
      std::cout << "  " << c.exchange << "/" << c.symbol << ": ";
      PrintCoverageSide(c.a);
      std::cout << "  ->  ";
      PrintCoverageSide(c.b);
      std::cout << "\n";
    }
  });
}

}  // namespace

void FeatureReadFlags::Add(CLI::App& cmd) {
  cmd.add_option("--feature-set", feature_set,
                 "Read a feature set's rows instead of candles: SET or SET@VERSION (default: the "
                 "highest version)");
  cmd.add_option("--with-features", with_features,
                 "Join feature sets onto the candles point in time: SET[@VERSION],... (each "
                 "candle gets the newest feature row at or before its ts)");
  cmd.add_option("--tolerance", tolerance,
                 "With --with-features: a feature row older than this (5m, 2h, 1d) is not used");
  cmd.add_option("--as-of", as_of,
                 "Only feature versions created before this time (reproducible backtests)");
}

ReadSource FeatureReadSource(Lake& lake, const FeatureReadFlags& flags, const ReadQuery& query) {
  if (!flags.feature_set.empty() && !flags.with_features.empty()) {
    throw UsageError(
        "--feature-set reads a feature set, --with-features joins them onto "
        "candles: use one");
  }
  if (!flags.tolerance.empty() && flags.with_features.empty()) {
    throw UsageError("--tolerance applies to --with-features");
  }
  const int64_t as_of = flags.as_of.empty() ? std::numeric_limits<int64_t>::max()
                                            : CheckUsage(ParseRangeStart(flags.as_of));
  if (!flags.feature_set.empty()) {
    if (!query.timeframe.empty()) {
      throw UsageError("--timeframe resamples candles, not the rows of a feature set");
    }
    FeatureLookup lookup{ParseRef(flags.feature_set), query.dataset.exchange, query.dataset.symbol,
                         as_of};
    FeatureVersion version = Check(lake.ResolveFeature(lookup));
    ReadRequest request;
    request.dataset = version.dataset;
    const TimeRange range = CheckUsage(ParseTimeRange(query.start, query.end));
    request.start = range.start;
    request.end = range.end;
    request.columns = query.columns;
    request.limit = query.limit;
    return ReadSource{
        [&lake, request](ExportFormat format, const std::string& path) {
          return lake.Export(request, format, path);
        },
        [&lake, request](size_t rows, const std::function<Status(const RecordBatch&)>& sink) {
          return lake.Scan(request, rows, sink);
        }};
  }
  PointInTimeRequest request;
  request.features = CheckUsage(FeatureRef::ParseList(flags.with_features));
  if (!flags.tolerance.empty()) {
    auto tolerance = ParseDuration(flags.tolerance);
    if (!tolerance.ok()) throw UsageError("--tolerance: " + tolerance.status().message());
    request.tolerance_ms = *tolerance;
  }
  request.as_of = as_of;
  request.candles = Check(MakeReadRequest(lake, query));
  return ReadSource{
      [&lake, request](ExportFormat format, const std::string& path) {
        return lake.ExportWithFeatures(request, format, path);
      },
      [&lake, request](size_t rows, const std::function<Status(const RecordBatch&)>& sink) {
        return lake.ScanWithFeatures(request, rows, sink);
      }};
}

void AddFeatureCommands(CLI::App& app, GlobalOptions& global) {
  AddUpload(app, global);
  auto* features = app.add_subcommand("features", "The feature store: list, show, diff");
  features->require_subcommand(1);
  AddList(*features, global);
  AddShow(*features, global);
  AddDiff(*features, global);
}

}  // namespace dlake::cli
