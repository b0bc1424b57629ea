#include "client.h"

#include <chrono>
#include <exception>
#include <utility>

#include "batch_arrays.h"
#include "dlake/delta/table.h"
#include "dlake/json.h"
#include "errors.h"

namespace py = pybind11;

namespace dlake::python {
namespace {

// One line of JSON: Python parses it, nobody reads it.
constexpr int kCompact = -1;

// The lake's index column: epoch ms in the library, a UTC DatetimeIndex in Python.
constexpr const char* kTimestampColumn = "ts";

Result<std::unique_ptr<Lake>> OpenLake(const std::string& dir,
                                       const std::map<std::string, std::string>& settings,
                                       bool create) {
  std::string root = dir;
  if (!create) {
    DLAKE_ASSIGN_OR_RETURN(root, Lake::Locate(dir));
  }
  RuntimeOptions runtime_options;
  runtime_options.lake = root;
  runtime_options.flags = settings;
  DLAKE_ASSIGN_OR_RETURN(auto runtime, Runtime::Make(runtime_options));
  LakeOptions options;
  options.runtime = std::move(runtime);
  return create ? Lake::Init(root, options) : Lake::Open(root, options);
}

Result<BadRowPolicy> ParseBadRowPolicy(const std::string& text) {
  if (text == "fail") return BadRowPolicy::kFail;
  if (text == "skip") return BadRowPolicy::kSkip;
  return InvalidArgument("on_bad_rows must be 'fail' or 'skip', not '", text, "'");
}

Result<Compression> ParseCompression(const std::string& text) {
  if (text == "snappy") return Compression::kSnappy;
  if (text == "zstd") return Compression::kZstd;
  return InvalidArgument("compression must be 'snappy' or 'zstd', not '", text, "'");
}

py::dict ProgressDict(const IngestProgress& p) {
  py::dict out;
  out["phase"] = p.phase;
  out["file"] = p.file;
  out["files_done"] = p.files_done;
  out["files_total"] = p.files_total;
  out["rows_read"] = p.rows_read;
  return out;
}

py::dict ProgressDict(const DownloadProgress& p) {
  py::dict out;
  out["dataset"] = p.dataset;
  out["range_from"] = p.range_from;
  out["range_to"] = p.range_to;
  out["position"] = p.position;
  out["rows"] = p.rows;
  out["requests"] = p.requests;
  out["retries"] = p.retries;
  return out;
}

// A library progress callback that calls `callable` (None: nobody) with the progress as a dict,
// holding the GIL. What it raises, or a Ctrl-C that arrived, is kept in `raised` and stops the
// library's work at that point; the caller re-raises it once the library has returned.
template <typename Progress>
std::function<Status(const Progress&)> PythonProgress(const py::object& callable,
                                                      std::exception_ptr& raised,
                                                      const char* work) {
  return [&callable, &raised, work](const Progress& p) -> Status {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!callable.is_none()) callable(ProgressDict(p));
    } catch (...) {
      raised = std::current_exception();
      return Aborted("the ", work, " was stopped by its progress callback");
    }
    return Status::Ok();
  };
}

}  // namespace

Client::Client(const std::string& lake, const std::map<std::string, std::string>& settings,
               bool create) {
  lake_ = Check(WithoutGil([&] { return OpenLake(lake, settings, create); }));
}

std::shared_ptr<Lake> Client::lake() {
  std::lock_guard lock(mu_);
  if (!lake_) Check(FailedPrecondition("the DataLakeClient is closed"));
  return lake_;
}

void Client::Close() {
  std::shared_ptr<Lake> closing;
  {
    std::lock_guard lock(mu_);
    closing = std::move(lake_);
  }
  // The last owner shuts the lake down (DuckDB included) without holding up other threads.
  py::gil_scoped_release release;
  closing.reset();
}

std::string Client::root() { return lake()->root(); }

py::list Client::Read(const ReadQuery& query) {
  std::shared_ptr<Lake> lake = this->lake();
  Result<RecordBatch> read = WithoutGil([&]() -> Result<RecordBatch> {
    DLAKE_ASSIGN_OR_RETURN(ReadRequest request, MakeReadRequest(*lake, query));
    return lake->Read(request);
  });
  return RowsToPython(std::move(read), kTimestampColumn);
}

std::pair<double, int64_t> Client::TimeRead(const ReadQuery& query) {
  std::shared_ptr<Lake> lake = this->lake();
  return Check(WithoutGil([&]() -> Result<std::pair<double, int64_t>> {
    const auto start = std::chrono::steady_clock::now();
    DLAKE_ASSIGN_OR_RETURN(ReadRequest request, MakeReadRequest(*lake, query));
    DLAKE_ASSIGN_OR_RETURN(RecordBatch batch, lake->Read(request));
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    return std::make_pair(took.count(), static_cast<int64_t>(batch.num_rows));
  }));
}

std::string Client::List(const DatasetNames& filter) {
  std::shared_ptr<Lake> lake = this->lake();
  return Check(WithoutGil([&]() -> Result<std::string> {
    DLAKE_ASSIGN_OR_RETURN(DatasetFilter parsed, ParseDatasetFilter(filter));
    DLAKE_ASSIGN_OR_RETURN(auto datasets, lake->List(parsed));
    return ToJson(datasets, kCompact);
  }));
}

std::string Client::Ingest(const IngestArgs& args) {
  std::shared_ptr<Lake> lake = this->lake();
  // An ingest stopped by its callback writes nothing.
  std::exception_ptr raised;
  Result<std::string> report = WithoutGil([&]() -> Result<std::string> {
    IngestRequest request;
    request.progress = PythonProgress<IngestProgress>(args.progress, raised, "ingest");
    request.sources = args.sources;
    DLAKE_ASSIGN_OR_RETURN(request.dataset, ParseDatasetId(args.dataset));
    DLAKE_ASSIGN_OR_RETURN(request.on_bad_rows, ParseBadRowPolicy(args.on_bad_rows));
    DLAKE_ASSIGN_OR_RETURN(request.compression, ParseCompression(args.compression));
    request.dry_run = args.dry_run;
    request.aggregate = args.aggregate;
    DLAKE_ASSIGN_OR_RETURN(IngestReport report, lake->Ingest(request));
    return ToJson(report, request.dataset, kCompact);
  });
  if (raised) std::rethrow_exception(raised);
  return Check(std::move(report));
}

std::string Client::DownloadSymbols(const std::string& exchange, const std::string& market) {
  std::shared_ptr<Lake> lake = this->lake();
  return Check(WithoutGil([&]() -> Result<std::string> {
    DLAKE_ASSIGN_OR_RETURN(auto symbols, lake->DownloadSymbols(exchange, market));
    return ToJson(symbols, kCompact);
  }));
}

std::string Client::DownloadHistory(const DownloadArgs& args) {
  std::shared_ptr<Lake> lake = this->lake();
  DownloadRequest request;
  request.exchange = args.exchange;
  request.market = args.market;
  request.symbols = args.symbols;
  request.period = args.timeframe;
  request.days = args.days;
  request.funding = args.funding;
  request.aggregate = args.aggregate;
  TimeRange range = Check(ParseTimeRange(args.start, args.end));
  request.start = range.start;
  request.end = range.end;
  // The download stops at the page it was on.
  std::exception_ptr raised;
  request.progress = PythonProgress<DownloadProgress>(args.progress, raised, "download");
  Result<DownloadReport> report = WithoutGil([&] { return lake->DownloadHistory(request); });
  if (raised) std::rethrow_exception(raised);
  return ToJson(Check(std::move(report)), kCompact);
}

std::string Client::Verify(const DatasetNames& filter, bool repair, bool check_data) {
  std::shared_ptr<Lake> lake = this->lake();
  return Check(WithoutGil([&]() -> Result<std::string> {
    VerifyRequest request;
    DLAKE_ASSIGN_OR_RETURN(request.filter, ParseDatasetFilter(filter));
    request.repair = repair;
    request.check_data = check_data;
    DLAKE_ASSIGN_OR_RETURN(VerifyReport report, lake->Verify(request));
    return ToJson(report, kCompact);
  }));
}

py::list Client::DeltaRead(const DeltaReadArgs& args) {
  std::shared_ptr<Lake> lake = this->lake();
  Result<RecordBatch> read = WithoutGil([&]() -> Result<RecordBatch> {
    delta::TableOptions options;
    options.runtime = lake->runtime();
    DLAKE_ASSIGN_OR_RETURN(auto table, delta::Table::Open(args.path, options));
    delta::ScanOptions scan;
    scan.at.version = args.version;
    scan.columns = args.columns;
    scan.where = args.where;
    scan.limit = args.limit;
    return table->Read(scan);
  });
  // Delta rows keep their own columns; none is the lake's ms index.
  return RowsToPython(std::move(read), "");
}

std::string RecordTemplate(const std::string& kind) {
  if (kind == "datasets") return ToJson(std::vector<DatasetSummary>(1), kCompact);
  if (kind == "symbols") return ToJson(std::vector<SymbolInfo>(1), kCompact);
  Check(InvalidArgument("no record template '", kind, "'"));
  return "";
}

}  // namespace dlake::python
