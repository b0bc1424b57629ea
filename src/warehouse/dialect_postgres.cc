// PostgreSQL's side of dialect.h.

#include "warehouse/dialect.h"

namespace dlake::warehouse {
namespace {

class Postgres final : public Dialect {
 public:
  std::string_view name() const override { return "postgresql"; }
  StageFormat stage_format() const override { return StageFormat::kCsv; }
  bool has_procedures() const override { return true; }
  bool has_roles() const override { return true; }

  std::string BoundedText(std::string_view /*column*/, int length) const override {
    return "VARCHAR(" + std::to_string(length) + ")";
  }
  std::string NotMatching(std::string_view expr, std::string_view pattern) const override {
    return std::string(expr) + " !~ " + SqlLiteral(pattern);
  }
  std::string SecondaryIndex(std::string_view index, std::string_view table,
                             std::string_view column) const override {
    return "CREATE INDEX IF NOT EXISTS " + std::string(index) + " ON " + std::string(table) + " (" +
           std::string(column) + ");\n";
  }
  std::string CreateStage(std::string_view stage, std::string_view table) const override {
    // pg_temp: never a permanent table of the same name.
    return "DROP TABLE IF EXISTS pg_temp." + std::string(stage) + "; CREATE TEMP TABLE " +
           std::string(stage) + " (LIKE " + std::string(table) + ")";
  }
  std::string LockForLoad(std::string_view table) const override {
    return "LOCK TABLE " + std::string(table) + " IN SHARE ROW EXCLUSIVE MODE";
  }
  std::string ReplaceView(std::string_view name, std::string_view select) const override {
    return "DROP VIEW IF EXISTS " + std::string(name) + "; CREATE VIEW " + std::string(name) +
           " AS\n" + std::string(select);
  }
  std::string RowFromJson(std::string_view json, std::string_view table,
                          std::string_view /*structure*/) const override {
    return "(json_populate_record(NULL::" + std::string(table) + ", (" + std::string(json) +
           ")::json)).*";
  }
  std::string RowJson(std::string_view alias) const override {
    return "row_to_json(" + std::string(alias) + ")::text";
  }
};

}  // namespace

const Dialect& PostgresDialect() {
  static const Postgres dialect;
  return dialect;
}

std::string SqlLiteral(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  return quoted + "'";
}

}  // namespace dlake::warehouse
