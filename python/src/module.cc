// dlake._dlake: the compiled half of the Python package. dlake/__init__.py wraps it in
// DataLakeClient; nothing here is meant to be called directly.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "client.h"
#include "errors.h"

namespace py = pybind11;
using py::arg;

namespace dlake::python {
namespace {

DatasetNames Names(std::string exchange, std::string market, std::string symbol, std::string type,
                   std::string period) {
  return DatasetNames{std::move(exchange), std::move(market), std::move(symbol), std::move(type),
                      std::move(period)};
}

void DefineClient(py::module_& m) {
  py::class_<Client>(m, "Client")
      .def(py::init<const std::string&, const std::map<std::string, std::string>&, bool>(),
           arg("lake"), arg("settings"), arg("create"))
      .def_property_readonly("root", &Client::root)
      .def(
          "read",
          [](Client& self, std::string exchange, std::string market, std::string symbol,
             std::string type, std::string period, std::string timeframe, std::string start,
             std::string end, std::vector<std::string> columns, int64_t limit) {
            ReadQuery query;
            query.dataset = Names(std::move(exchange), std::move(market), std::move(symbol),
                                  std::move(type), std::move(period));
            query.timeframe = std::move(timeframe);
            query.start = std::move(start);
            query.end = std::move(end);
            query.columns = std::move(columns);
            query.limit = limit;
            return self.Read(query);
          },
          arg("exchange"), arg("market"), arg("symbol"), arg("type"), arg("period"),
          arg("timeframe"), arg("start"), arg("end"), arg("columns"), arg("limit"))
      .def(
          "list",
          [](Client& self, std::string exchange, std::string market, std::string symbol,
             std::string type, std::string period) {
            return self.List(Names(std::move(exchange), std::move(market), std::move(symbol),
                                   std::move(type), std::move(period)));
          },
          arg("exchange"), arg("market"), arg("symbol"), arg("type"), arg("period"))
      .def(
          "ingest",
          [](Client& self, std::vector<std::string> sources, std::string exchange,
             std::string market, std::string symbol, std::string type, std::string period,
             std::string on_bad_rows, std::string compression, bool dry_run,
             std::optional<std::vector<std::string>> aggregate, py::object progress) {
            IngestArgs args;
            args.sources = std::move(sources);
            args.dataset = Names(std::move(exchange), std::move(market), std::move(symbol),
                                 std::move(type), std::move(period));
            args.on_bad_rows = std::move(on_bad_rows);
            args.compression = std::move(compression);
            args.dry_run = dry_run;
            args.aggregate = std::move(aggregate);
            args.progress = std::move(progress);
            return self.Ingest(args);
          },
          arg("sources"), arg("exchange"), arg("market"), arg("symbol"), arg("type"), arg("period"),
          arg("on_bad_rows"), arg("compression"), arg("dry_run"), arg("aggregate").none(true),
          arg("progress").none(true) = py::none())
      .def("download_symbols", &Client::DownloadSymbols, arg("exchange"), arg("market"))
      .def(
          "download_history",
          [](Client& self, std::string exchange, std::string market,
             std::vector<std::string> symbols, std::string timeframe, std::string start,
             std::string end, int days, bool funding,
             std::optional<std::vector<std::string>> aggregate, py::object progress) {
            DownloadArgs args;
            args.exchange = std::move(exchange);
            args.market = std::move(market);
            args.symbols = std::move(symbols);
            args.timeframe = std::move(timeframe);
            args.start = std::move(start);
            args.end = std::move(end);
            args.days = days;
            args.funding = funding;
            args.aggregate = std::move(aggregate);
            args.progress = std::move(progress);
            return self.DownloadHistory(args);
          },
          arg("exchange"), arg("market"), arg("symbols"), arg("timeframe"), arg("start"),
          arg("end"), arg("days"), arg("funding"), arg("aggregate").none(true),
          arg("progress").none(true))
      .def(
          "verify",
          [](Client& self, std::string exchange, std::string market, std::string symbol,
             std::string type, std::string period, bool repair, bool check_data) {
            return self.Verify(Names(std::move(exchange), std::move(market), std::move(symbol),
                                     std::move(type), std::move(period)),
                               repair, check_data);
          },
          arg("exchange"), arg("market"), arg("symbol"), arg("type"), arg("period"), arg("repair"),
          arg("check_data"))
      .def(
          "delta_read",
          [](Client& self, std::string path, std::optional<int64_t> version,
             std::vector<std::string> columns, std::string where, std::optional<int64_t> limit) {
            DeltaReadArgs args;
            args.path = std::move(path);
            args.version = version;
            args.columns = std::move(columns);
            args.where = std::move(where);
            args.limit = limit;
            return self.DeltaRead(args);
          },
          arg("path"), arg("version").none(true), arg("columns"), arg("where"),
          arg("limit").none(true))
      .def(
          "time_read",
          [](Client& self, std::string exchange, std::string market, std::string symbol,
             std::string start, std::string end) {
            ReadQuery query;
            query.dataset =
                Names(std::move(exchange), std::move(market), std::move(symbol), "", "");
            query.start = std::move(start);
            query.end = std::move(end);
            return self.TimeRead(query);
          },
          arg("exchange"), arg("market"), arg("symbol"), arg("start"), arg("end"))
      .def(
          "read_features",
          [](Client& self, std::string ref, std::string exchange, std::string symbol,
             std::string start, std::string end, std::vector<std::string> columns, int64_t limit,
             std::string as_of) {
            return self.ReadFeatures(ref, exchange, symbol, start, end, columns, limit, as_of);
          },
          arg("ref"), arg("exchange"), arg("symbol"), arg("start"), arg("end"), arg("columns"),
          arg("limit"), arg("as_of"))
      .def(
          "read_with_features",
          [](Client& self, std::string exchange, std::string market, std::string symbol,
             std::string period, std::string timeframe, std::string start, std::string end,
             std::vector<std::string> columns, int64_t limit, std::string features,
             std::string tolerance, std::string as_of) {
            ReadQuery query;
            query.dataset = Names(std::move(exchange), std::move(market), std::move(symbol), "",
                                  std::move(period));
            query.timeframe = std::move(timeframe);
            query.start = std::move(start);
            query.end = std::move(end);
            query.columns = std::move(columns);
            query.limit = limit;
            return self.ReadWithFeatures(query, features, tolerance, as_of);
          },
          arg("exchange"), arg("market"), arg("symbol"), arg("period"), arg("timeframe"),
          arg("start"), arg("end"), arg("columns"), arg("limit"), arg("features"), arg("tolerance"),
          arg("as_of"))
      .def(
          "upload_feature",
          [](Client& self, std::string path, py::list columns, std::string exchange,
             std::string symbol, std::string market, std::string feature_set, std::string version,
             std::string description, std::string code_ref, std::vector<std::string> sources,
             bool dry_run) {
            FeatureUploadArgs args{std::move(path),
                                   std::move(columns),
                                   std::move(exchange),
                                   std::move(symbol),
                                   std::move(market),
                                   std::move(feature_set),
                                   std::move(version),
                                   std::move(description),
                                   std::move(code_ref),
                                   std::move(sources),
                                   dry_run};
            return self.UploadFeature(args);
          },
          arg("path"), arg("columns"), arg("exchange"), arg("symbol"), arg("market"),
          arg("feature_set"), arg("version"), arg("description"), arg("code_ref"), arg("sources"),
          arg("dry_run"))
      .def(
          "list_features",
          [](Client& self, std::string feature_set, std::string exchange, std::string symbol) {
            return self.ListFeatures(FeatureListRequest{feature_set, exchange, symbol});
          },
          arg("feature_set"), arg("exchange"), arg("symbol"))
      .def("show_feature", &Client::ShowFeature, arg("ref"))
      .def("diff_features", &Client::DiffFeatures, arg("a"), arg("b"))
      .def(
          "delete_feature",
          [](Client& self, std::string feature_set, std::string version, std::string exchange,
             std::string symbol, bool dry_run) {
            return self.DeleteFeatures(
                FeatureDeleteRequest{feature_set, version, exchange, symbol, dry_run});
          },
          arg("feature_set"), arg("version"), arg("exchange"), arg("symbol"), arg("dry_run"))
      .def("close", &Client::Close);
}

}  // namespace
}  // namespace dlake::python

PYBIND11_MODULE(_dlake, m) {
  m.doc() = "dlake's compiled core; use dlake.DataLakeClient";
  m.attr("__version__") = DLAKE_VERSION;
  dlake::python::RegisterErrors(m);
  dlake::python::DefineClient(m);
  m.def("record_template", &dlake::python::RecordTemplate, arg("kind"));
}
