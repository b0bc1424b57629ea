// DuckDB's side of dialect.h.

#include "warehouse/dialect.h"

namespace dlake::warehouse {
namespace {

class DuckDb final : public Dialect {
 public:
  std::string_view name() const override { return "duckdb"; }
  StageFormat stage_format() const override { return StageFormat::kParquet; }
  bool has_procedures() const override { return false; }
  bool has_roles() const override { return false; }

  std::string BoundedText(std::string_view column, int length) const override {
    return "VARCHAR CHECK (length(" + std::string(column) + ") <= " + std::to_string(length) + ")";
  }
  std::string NotMatching(std::string_view expr, std::string_view pattern) const override {
    // DuckDB's ~ matches the whole string; regexp_matches searches, as PostgreSQL's ~ does.
    return "NOT regexp_matches(" + std::string(expr) + ", " + SqlLiteral(pattern) + ")";
  }
  std::string SecondaryIndex(std::string_view /*index*/, std::string_view /*table*/,
                             std::string_view /*column*/) const override {
    return "";  // DuckDB scans these small dimensions fast without one (see dialect.h)
  }
  std::string CreateStage(std::string_view stage, std::string_view table) const override {
    return "CREATE OR REPLACE TEMP TABLE " + std::string(stage) + " AS SELECT * FROM " +
           std::string(table) + " LIMIT 0";
  }
  std::string LockForLoad(std::string_view /*table*/) const override { return "SELECT 1"; }
  std::string ReplaceView(std::string_view name, std::string_view select) const override {
    return "CREATE OR REPLACE VIEW " + std::string(name) + " AS\n" + std::string(select);
  }
  std::string RowFromJson(std::string_view json, std::string_view /*table*/,
                          std::string_view structure) const override {
    return "unnest(json_transform(" + std::string(json) + ", " + SqlLiteral(structure) + "))";
  }
  std::string RowJson(std::string_view alias) const override {
    return "CAST(to_json(" + std::string(alias) + ") AS VARCHAR)";
  }
};

}  // namespace

const Dialect& DuckDbDialect() {
  static const DuckDb dialect;
  return dialect;
}

}  // namespace dlake::warehouse
