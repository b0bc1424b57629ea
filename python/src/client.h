#pragma once
// dlake::python::Client: the object behind dlake.DataLakeClient. It holds one opened Lake (and
// its Runtime) and calls the library's methods with the GIL released; results come back as the
// library's JSON text (reports, listings) or as numpy column tuples (rows, batch_arrays.h).
// Arguments arrive as plain words and numbers; dlake/__init__.py turns Python values (dates,
// paths, lists) into them.
//
// Thread-safe: Python threads may call one Client concurrently (Lake is thread-safe). close()
// lets calls in flight finish on the lake they started with. Errors raise dlake's exceptions
// (errors.h). Every method needs the GIL on entry.

#include <pybind11/pybind11.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dlake/lake.h"
#include "dlake/request_parsing.h"

namespace dlake::python {

// Runs `work` (library calls only, no Python) with the GIL released.
template <typename Work>
auto WithoutGil(Work&& work) {
  pybind11::gil_scoped_release release;
  return work();
}

struct IngestArgs {
  std::vector<std::string> sources;
  DatasetNames dataset;
  std::string on_bad_rows = "fail";    // fail | skip
  std::string compression = "snappy";  // snappy | zstd
  bool dry_run = false;
  std::optional<std::vector<std::string>> aggregate;
  pybind11::object progress;  // a callable taking a dict, or None
};

struct DownloadArgs {
  std::string exchange, market;
  std::vector<std::string> symbols;
  std::string timeframe = "1m";
  std::string start, end;  // as ParseTimeRange reads them
  int days = 0;
  bool funding = false;
  std::optional<std::vector<std::string>> aggregate;
  pybind11::object progress;  // a callable taking a dict, or None
};

struct DeltaReadArgs {
  std::string path;
  std::optional<int64_t> version;
  std::vector<std::string> columns;
  std::string where;
  std::optional<int64_t> limit;
};

struct FeatureUploadArgs {
  std::string path;  // a file; or "" with `columns`
  // (name, kind, values, mask) tuples as dlake/__init__.py builds them from a DataFrame:
  // kind "int64" (values int64, mask bool True = NULL), "float64" (NaN = NULL), "bool" (mask),
  // "string" (object: str or None).
  pybind11::list columns;
  std::string exchange, symbol, market, feature_set, version, description, code_ref;
  std::vector<std::string> sources;
  bool dry_run = false;
};

class Client {
 public:
  // Opens the lake at `lake`, or ("") the one Lake::Locate finds ($DLAKE_LAKE, then the folders
  // from the working directory up); with `create`, Lake::Init makes it first. `settings` are
  // setting names and values of the highest precedence, as the CLI's flags.
  Client(const std::string& lake, const std::map<std::string, std::string>& settings, bool create);

  std::string root();
  // Lake::Read of MakeReadRequest(query); the ts column becomes the "timestamp" column.
  pybind11::list Read(const ReadQuery& query);
  // JSON text of Lake::List.
  std::string List(const DatasetNames& filter);
  // JSON text of the IngestReport.
  std::string Ingest(const IngestArgs& args);
  // JSON text of the symbols stored.
  std::string DownloadSymbols(const std::string& exchange, const std::string& market);
  // JSON text of the DownloadReport. `progress` runs with the GIL after every page; an
  // exception it raises (or a KeyboardInterrupt) stops the download and is re-raised here.
  std::string DownloadHistory(const DownloadArgs& args);
  // JSON text of the VerifyReport.
  std::string Verify(const DatasetNames& filter, bool repair, bool check_data);
  // delta::Table::Read on this lake's runtime.
  pybind11::list DeltaRead(const DeltaReadArgs& args);
  // Seconds Lake::Read of MakeReadRequest(query) takes in C++ and the rows it returned, the
  // batch dropped: the baseline bench/sdk_read_bench.py measures read() against.
  std::pair<double, int64_t> TimeRead(const ReadQuery& query);

  // ---- The feature store (doc/features.md) ----
  // The rows of a version (Lake::ResolveFeature, then Lake::Read); `as_of` as --as-of ("" = none).
  pybind11::list ReadFeatures(const std::string& ref, const std::string& exchange,
                              const std::string& symbol, const std::string& start,
                              const std::string& end, const std::vector<std::string>& columns,
                              int64_t limit, const std::string& as_of);
  // Lake::ReadWithFeatures of the candles `query` names; `features` "SET[@V],...", `tolerance`
  // a duration ("" = none).
  pybind11::list ReadWithFeatures(const ReadQuery& query, const std::string& features,
                                  const std::string& tolerance, const std::string& as_of);
  // JSON text of the FeatureUploadReport.
  std::string UploadFeature(const FeatureUploadArgs& args);
  // JSON text of Lake::ListFeatures, Lake::ShowFeature, Lake::DiffFeatures, Lake::DeleteFeatures.
  std::string ListFeatures(const FeatureListRequest& request);
  std::string ShowFeature(const std::string& ref);
  std::string DiffFeatures(const std::string& a, const std::string& b);
  std::string DeleteFeatures(const FeatureDeleteRequest& request);

  // Releases the lake (its DuckDB memory); later calls raise FailedPreconditionError.
  void Close();

 private:
  std::shared_ptr<Lake> lake();

  std::mutex mu_;
  std::shared_ptr<Lake> lake_;  // guarded by mu_; null once closed
};

// A JSON list holding one default-valued record of `kind` ("datasets" or "symbols"): its keys
// and value types are those of every record of that kind, for empty listings.
std::string RecordTemplate(const std::string& kind);

}  // namespace dlake::python
