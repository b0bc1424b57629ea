#include "storage/stage_table.h"

#include <atomic>

#include "duck/duck.h"

namespace dlake::storage {

StageTable::StageTable(duck::Connection& conn, std::string_view what) : conn_(conn) {
  static std::atomic<int64_t> counter{0};
  name_ = "dlake_stage_" + std::string(what) + "_" + std::to_string(counter.fetch_add(1));
}

StageTable::~StageTable() { (void)conn_.Execute("DROP TABLE IF EXISTS " + Quoted(), ""); }

std::string StageTable::Quoted() const { return duck::QuoteIdentifier(name_); }

}  // namespace dlake::storage
