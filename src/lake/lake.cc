#include "dlake/lake.h"

#include <cstdlib>
#include <filesystem>

#include "dlake/common/time.h"
#include "dlake/exchange/markets.h"
#include "exchange/downloader.h"
#include "ingest/csv_ingest.h"
#include "lake/lake_impl.h"
#include "runtime/runtime_impl.h"
#include "storage/dataset_writer.h"
#include "storage/partition.h"

namespace dlake {
namespace fs = std::filesystem;

namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

bool IsLake(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / storage::kManifestFile, ec);
}

Result<std::unique_ptr<Lake::Impl>> OpenImpl(const std::string& dir, const LakeOptions& options,
                                             bool create) {
  auto impl = std::make_unique<Lake::Impl>();
  std::error_code ec;
  fs::path root = fs::absolute(dir, ec).lexically_normal();
  if (ec) return IoError("cannot resolve lake path '", dir, "': ", ec.message());
  std::string root_str = root.string();
  if (root_str.size() > 1 && root_str.back() == '/') root_str.pop_back();
  if (!create && !IsLake(root)) {
    return NotFound("'", root_str, "' is not a lake (no ", storage::kManifestFile,
                    "); create one with 'dlake init ", dir, "'");
  }
  impl->runtime = options.runtime;
  if (!impl->runtime) {
    RuntimeOptions runtime_options;
    runtime_options.lake = root_str;
    DLAKE_ASSIGN_OR_RETURN(impl->runtime, Runtime::Make(runtime_options));
  }
  impl->ctx.root = root_str;
  impl->ctx.env = impl->runtime->env();
  impl->ctx.settings = &impl->runtime->settings();
  if (create) {
    DLAKE_RETURN_IF_ERROR(impl->ctx.env->CreateDirs(impl->ctx.Abs(storage::kDataDir)));
    DLAKE_RETURN_IF_ERROR(impl->ctx.env->CreateDirs(impl->ctx.Abs(storage::kMetadataDir)));
  }
  Manifest::OpenOptions manifest_options;
  manifest_options.create = create;
  manifest_options.backups_keep =
      static_cast<int>(impl->ctx.settings->Integer(setting::kManifestBackupsKeep));
  DLAKE_ASSIGN_OR_RETURN(impl->manifest,
                         Manifest::Open(impl->ctx.Abs(storage::kManifestFile), manifest_options));
  impl->ctx.manifest = impl->manifest.get();
  impl->ctx.duck = &RuntimeDuck(*impl->runtime);
  return impl;
}

}  // namespace

void PruneDatasetDirs(const StorageContext& ctx, const DatasetId& dataset) {
  fs::path dir = ctx.Abs(storage::DatasetDir(dataset));
  const fs::path data = ctx.Abs(storage::kDataDir);
  std::error_code ec;
  // Year and month folders first (the writer prunes day folders), then P, T, S, M, E.
  for (const auto& year : fs::directory_iterator(dir, ec)) {
    for (const auto& month : fs::directory_iterator(year.path(), ec)) {
      (void)ctx.env->RemoveEmptyDir(month.path().string());
    }
    (void)ctx.env->RemoveEmptyDir(year.path().string());
  }
  for (; dir != data && dir.has_parent_path(); dir = dir.parent_path()) {
    (void)ctx.env->RemoveEmptyDir(dir.string());
  }
}

Lake::Lake(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Lake::~Lake() = default;

Result<std::unique_ptr<Lake>> Lake::Init(const std::string& dir, const LakeOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto impl, OpenImpl(dir, options, /*create=*/true));
  return std::unique_ptr<Lake>(new Lake(std::move(impl)));
}

Result<std::unique_ptr<Lake>> Lake::Open(const std::string& dir, const LakeOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto impl, OpenImpl(dir, options, /*create=*/false));
  return std::unique_ptr<Lake>(new Lake(std::move(impl)));
}

Result<std::string> Lake::Locate(const std::string& explicit_dir) {
  if (!explicit_dir.empty()) {
    if (!IsLake(explicit_dir)) {
      return NotFound("'", explicit_dir,
                      "' is not a lake (no manifest.db); create one with "
                      "'dlake init ",
                      explicit_dir, "'");
    }
    return explicit_dir;
  }
  const std::string from_env = EnvOr("DLAKE_LAKE", "");
  if (!from_env.empty()) {
    if (!IsLake(from_env)) {
      return NotFound("DLAKE_LAKE='", from_env, "' is not a lake (no manifest.db)");
    }
    return from_env;
  }
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  for (fs::path dir = cwd; !dir.empty(); dir = dir.parent_path()) {
    if (IsLake(dir)) return dir.string();
    if (dir == dir.root_path()) break;
  }
  return NotFound("not inside a lake: no manifest.db in '", cwd.string(),
                  "' or any folder above it; pass --lake DIR, set DLAKE_LAKE, or create one "
                  "with 'dlake init DIR'");
}

const std::string& Lake::root() const { return impl_->ctx.root; }
const std::shared_ptr<Runtime>& Lake::runtime() const { return impl_->runtime; }
Result<int> Lake::SchemaVersion() { return impl_->manifest->SchemaVersion(); }

Result<std::vector<KnownGap>> Lake::KnownGaps(const DatasetId& dataset) {
  return impl_->manifest->KnownGaps(dataset);
}

Result<std::vector<SymbolInfo>> Lake::Symbols(const std::string& exchange,
                                              const std::string& market) {
  DLAKE_ASSIGN_OR_RETURN(std::string exchange_name, NormalizeExchange(exchange));
  DLAKE_ASSIGN_OR_RETURN(std::string market_name, NormalizeMarket(exchange_name, market));
  return impl_->manifest->Symbols(exchange_name, market_name);
}

Result<IngestReport> Lake::Ingest(const IngestRequest& request) {
  ingest::CsvIngester ingester(impl_->ctx);
  DLAKE_ASSIGN_OR_RETURN(IngestReport report, ingester.Run(request));
  if (request.dry_run) return report;
  auto aggregated =
      UpdateAggregatesAfterWrite(*impl_, request.dataset, report.write, request.aggregate);
  if (!aggregated.ok()) {
    return aggregated.status().WithContext("the ingest is committed; bringing the aggregates of " +
                                           request.dataset.Path() + " up to date failed");
  }
  report.aggregated = std::move(*aggregated);
  return report;
}

Result<DatasetId> Lake::ResolveDataset(const DatasetFilter& filter) {
  DLAKE_ASSIGN_OR_RETURN(auto datasets, impl_->manifest->Datasets(filter));
  auto describe = [&] {
    auto part = [](const std::string& s) { return s.empty() ? std::string("*") : s; };
    return part(filter.exchange) + "/" + part(filter.market) + "/" + part(filter.symbol) + "/" +
           part(filter.type) + "/" + part(filter.period);
  };
  if (datasets.empty()) {
    return NotFound("no dataset ", describe(), " in the lake (see 'dlake list')");
  }
  if (datasets.size() > 1) {
    std::string names;
    for (const auto& d : datasets) names += (names.empty() ? "" : ", ") + d.id.Path();
    return InvalidArgument("several datasets match ", describe(), ": ", names,
                           "; narrow it with --market, --type or --period");
  }
  return datasets.front().id;
}

Result<std::vector<DatasetSummary>> Lake::List(const DatasetFilter& filter) {
  return impl_->manifest->Datasets(filter);
}

Result<std::vector<FileEntry>> Lake::ListFiles(const DatasetFilter& filter) {
  return impl_->manifest->Files(filter);
}

Result<std::vector<SymbolInfo>> Lake::DownloadSymbols(const std::string& exchange,
                                                      const std::string& market) {
  return exchange::DownloadSymbols(impl_->ctx, exchange, market);
}

Result<DownloadReport> Lake::DownloadHistory(const DownloadRequest& request) {
  DLAKE_ASSIGN_OR_RETURN(DownloadReport report, exchange::DownloadHistory(impl_->ctx, request));
  for (const auto& d : report.datasets) {
    // New rows or new known gaps (which can complete buckets) change the aggregates' inputs.
    if (d.rows_written == 0 && d.gaps.empty()) continue;
    // Incremental: only the aggregated days whose inputs changed are rebuilt.
    auto aggregated =
        UpdateAggregatesAfterWrite(*impl_, d.dataset, INT64_MIN, INT64_MAX, request.aggregate);
    if (!aggregated.ok()) {
      return aggregated.status().WithContext("the download of " + d.dataset.Path() +
                                             " is stored; bringing its aggregates up to date "
                                             "failed");
    }
    for (auto& t : aggregated->targets) report.aggregated.targets.push_back(std::move(t));
  }
  return report;
}

Result<DeleteReport> Lake::Delete(const DeleteRequest& request) {
  DeleteReport report;
  report.dry_run = request.dry_run;
  DLAKE_ASSIGN_OR_RETURN(auto datasets, impl_->manifest->Datasets(request.filter));
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*impl_->ctx.duck));
  storage::DatasetWriter writer(impl_->ctx, *conn);
  storage::WriteOptions options;
  options.dry_run = request.dry_run;
  options.source = "delete";
  for (const auto& summary : datasets) {
    // Feature versions go only through DeleteFeatures, which also forgets their lineage.
    if (summary.id.IsFeature()) continue;
    if (!request.dry_run && summary.id.type == kTypeAgg) {
      // Forget what the days to delete were built from, first: a crash in between costs a
      // rebuild, never an aggregate recorded as up to date with its rows gone.
      DLAKE_RETURN_IF_ERROR(impl_->manifest->ClearAggregateInputs(
          summary.id, request.start == INT64_MIN ? INT64_MIN : DayOf(request.start),
          request.end == INT64_MAX ? INT64_MAX : DayOf(request.end - 1)));
    }
    DLAKE_ASSIGN_OR_RETURN(WriteReport write,
                           writer.DeleteRange(summary.id, request.start, request.end, options));
    if (write.days.empty()) continue;
    if (!request.dry_run) PruneDatasetDirs(impl_->ctx, summary.id);
    report.datasets.push_back(DatasetDeletion{summary.id, std::move(write)});
  }
  if (request.dry_run) return report;
  // Every matching dataset is deleted before any aggregate is brought up to date.
  for (const auto& d : report.datasets) {
    DLAKE_RETURN_IF_ERROR(UpdateAggregatesAfterWrite(*impl_, d.dataset, d.write, std::nullopt)
                              .status()
                              .WithContext("the delete is done; bringing the aggregates of " +
                                           d.dataset.Path() + " up to date failed"));
  }
  return report;
}

int64_t DeleteReport::RowsRemoved() const {
  int64_t n = 0;
  for (const auto& d : datasets) n += d.write.RowsBefore() - d.write.RowsAfter();
  return n;
}

int64_t DeleteReport::BytesFreed() const {
  int64_t n = 0;
  for (const auto& d : datasets) n += d.write.BytesBefore() - d.write.BytesAfter();
  return n;
}

Result<VerifyReport> Lake::Verify(const VerifyRequest& request) {
  return VerifyLake(*impl_, request);
}

}  // namespace dlake
