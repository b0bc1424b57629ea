// dlake::python::Client: the feature store's bindings (doc/features.md, doc/python.md).

#include <pybind11/numpy.h>

#include <cmath>
#include <limits>

#include "batch_arrays.h"
#include "client.h"
#include "dlake/common/time.h"
#include "dlake/json.h"
#include "errors.h"

namespace py = pybind11;

namespace dlake::python {
namespace {

constexpr int kCompact = -1;

Result<int64_t> AsOf(const std::string& text) {
  if (text.empty()) return std::numeric_limits<int64_t>::max();
  return ParseRangeStart(text);
}

// One (name, kind, values, mask) tuple as a library column. Needs the GIL.
Column ColumnFromPython(const py::tuple& item) {
  Column c;
  c.name = item[0].cast<std::string>();
  const auto kind = item[1].cast<std::string>();
  const py::object values = item[2];
  const py::object mask = item[3];
  auto null_at = [&](size_t n) {
    std::vector<uint8_t> valid(n, 1);
    if (mask.is_none()) return valid;
    auto m = mask.cast<py::array_t<bool, py::array::c_style | py::array::forcecast>>();
    for (size_t i = 0; i < n; ++i) valid[i] = m.data()[i] ? 0 : 1;
    return valid;
  };
  if (kind == "int64") {
    auto a = values.cast<py::array_t<int64_t, py::array::c_style | py::array::forcecast>>();
    c.type = ColumnType::kInt64;
    c.ints.assign(a.data(), a.data() + a.size());
    c.valid = null_at(c.ints.size());
  } else if (kind == "float64") {
    auto a = values.cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
    c.type = ColumnType::kDouble;
    c.doubles.assign(a.data(), a.data() + a.size());
    c.valid.resize(c.doubles.size());
    for (size_t i = 0; i < c.doubles.size(); ++i) c.valid[i] = std::isnan(c.doubles[i]) ? 0 : 1;
  } else if (kind == "bool") {
    auto a = values.cast<py::array_t<bool, py::array::c_style | py::array::forcecast>>();
    c.type = ColumnType::kBool;
    c.bools.assign(a.data(), a.data() + a.size());
    c.valid = null_at(c.bools.size());
  } else if (kind == "string") {
    c.type = ColumnType::kString;
    for (const auto& v : values) {
      c.valid.push_back(v.is_none() ? 0 : 1);
      c.strings.push_back(v.is_none() ? std::string() : py::str(v).cast<std::string>());
    }
  } else {
    Check(InvalidArgument("column '", c.name, "': unsupported kind '", kind, "'"));
  }
  return c;
}

}  // namespace

py::list Client::ReadFeatures(const std::string& ref, const std::string& exchange,
                              const std::string& symbol, const std::string& start,
                              const std::string& end, const std::vector<std::string>& columns,
                              int64_t limit, const std::string& as_of) {
  std::shared_ptr<Lake> lake = this->lake();
  Result<RecordBatch> read = WithoutGil([&]() -> Result<RecordBatch> {
    FeatureLookup lookup;
    DLAKE_ASSIGN_OR_RETURN(lookup.ref, FeatureRef::Parse(ref));
    lookup.exchange = exchange;
    lookup.symbol = symbol;
    DLAKE_ASSIGN_OR_RETURN(lookup.as_of, AsOf(as_of));
    DLAKE_ASSIGN_OR_RETURN(FeatureVersion version, lake->ResolveFeature(lookup));
    DLAKE_ASSIGN_OR_RETURN(TimeRange range, ParseTimeRange(start, end));
    ReadRequest request;
    request.dataset = version.dataset;
    request.start = range.start;
    request.end = range.end;
    request.columns = columns;
    request.limit = limit;
    return lake->Read(request);
  });
  return RowsToPython(std::move(read), "ts");
}

py::list Client::ReadWithFeatures(const ReadQuery& query, const std::string& features,
                                  const std::string& tolerance, const std::string& as_of) {
  std::shared_ptr<Lake> lake = this->lake();
  Result<RecordBatch> read = WithoutGil([&]() -> Result<RecordBatch> {
    PointInTimeRequest request;
    DLAKE_ASSIGN_OR_RETURN(request.features, FeatureRef::ParseList(features));
    if (!tolerance.empty()) {
      DLAKE_ASSIGN_OR_RETURN(request.tolerance_ms, ParseDuration(tolerance));
    }
    DLAKE_ASSIGN_OR_RETURN(request.as_of, AsOf(as_of));
    DLAKE_ASSIGN_OR_RETURN(request.candles, MakeReadRequest(*lake, query));
    return lake->ReadWithFeatures(request);
  });
  return RowsToPython(std::move(read), "ts");
}

std::string Client::UploadFeature(const FeatureUploadArgs& args) {
  std::shared_ptr<Lake> lake = this->lake();
  FeatureUploadRequest request;
  request.path = args.path;
  request.exchange = args.exchange;
  request.symbol = args.symbol;
  request.market = args.market;
  request.feature_set = args.feature_set;
  request.version = args.version;
  request.description = args.description;
  request.code_ref = args.code_ref;
  request.sources = args.sources;
  request.dry_run = args.dry_run;
  RecordBatch rows;
  if (args.path.empty()) {
    for (const auto& item : args.columns) {
      rows.columns.push_back(ColumnFromPython(item.cast<py::tuple>()));
    }
    rows.num_rows = rows.columns.empty() ? 0 : rows.columns.front().size();
    request.path = "<DataFrame>";
    request.rows = &rows;
  }
  return Check(WithoutGil([&]() -> Result<std::string> {
    DLAKE_ASSIGN_OR_RETURN(FeatureUploadReport report, lake->UploadFeature(request));
    return ToJson(report, kCompact);
  }));
}

std::string Client::ListFeatures(const FeatureListRequest& request) {
  std::shared_ptr<Lake> lake = this->lake();
  return Check(WithoutGil([&]() -> Result<std::string> {
    DLAKE_ASSIGN_OR_RETURN(auto versions, lake->ListFeatures(request));
    return ToJson(versions, kCompact);
  }));
}

std::string Client::ShowFeature(const std::string& ref) {
  std::shared_ptr<Lake> lake = this->lake();
  return Check(WithoutGil([&]() -> Result<std::string> {
    DLAKE_ASSIGN_OR_RETURN(FeatureRef parsed, FeatureRef::Parse(ref));
    DLAKE_ASSIGN_OR_RETURN(auto versions, lake->ShowFeature(parsed));
    return ToJson(versions, kCompact);
  }));
}

std::string Client::DiffFeatures(const std::string& a, const std::string& b) {
  std::shared_ptr<Lake> lake = this->lake();
  return Check(WithoutGil([&]() -> Result<std::string> {
    DLAKE_ASSIGN_OR_RETURN(FeatureRef ref_a, FeatureRef::Parse(a));
    DLAKE_ASSIGN_OR_RETURN(FeatureRef ref_b, FeatureRef::Parse(b));
    DLAKE_ASSIGN_OR_RETURN(FeatureDiff diff, lake->DiffFeatures(ref_a, ref_b));
    return ToJson(diff, kCompact);
  }));
}

std::string Client::DeleteFeatures(const FeatureDeleteRequest& request) {
  std::shared_ptr<Lake> lake = this->lake();
  return Check(WithoutGil([&]() -> Result<std::string> {
    DLAKE_ASSIGN_OR_RETURN(FeatureDeleteReport report, lake->DeleteFeatures(request));
    return ToJson(report, kCompact);
  }));
}

}  // namespace dlake::python
