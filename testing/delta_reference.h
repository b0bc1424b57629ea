#pragma once
// chDB, the reference Delta reader of the Delta tests: embedded ClickHouse, whose Delta reader
// is delta-kernel-rs. scripts/setup.sh installs the npm package (chdb 3.4.0) into
// ${DLAKE_CACHE:-$HOME/.cache/dlake}/chdb-3.4.0; the tests run it in a `node` child process with
// TZ=UTC, one process per call however many statements it carries (a call costs about 0.25 s on
// an idle machine, mostly node and library start-up; batch statements with ChdbQueries).
//
// A missing chDB is an error (FailedPrecondition, "run scripts/setup.sh"), never a skip: tests
// assert on these results, so CI fails loudly when the reference reader is absent.
//
// Values come back in ClickHouse's CSV rendering, which is not DuckDB's: Float32/Float64 print
// integral values without ".0" (`1`, DuckDB `1.0`), DateTime64 prints all six fraction digits and
// no offset (`2021-09-08 11:11:11.000000`), structs are split into one column per leaf field
// (`s.a`, `s.b.c`), arrays print `[1,2]`, maps `{0:1}`, and NULL arrays or maps print as empty.
// Compare chDB with golden or DuckDB-rendered rows directly only for integer, string, boolean,
// date and decimal columns (decimals keep their trailing zeros here), or render other columns
// in the SQL. Thread-compatible; each call starts its own process.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dlake/common/status.h"
#include "testing/delta_golden.h"

namespace dlake::testing {

// Where chDB is installed: $DLAKE_CHDB_DIR when set, else the folder the build was configured
// with (CMake cache variable DLAKE_CHDB_DIR, default ~/.cache/dlake/chdb-3.4.0).
std::string ChdbDir();

// OK when ChdbDir() holds a chDB that scripts/setup.sh installed and verified; otherwise
// FailedPrecondition naming the folder and saying to run scripts/setup.sh.
Status CheckChdb();

// Runs `sql` in chDB and returns its result with column names (ClickHouse's CSVWithNames;
// `\N` is NULL). Errors: FailedPrecondition when chDB or node is missing, Internal with chDB's
// message when the statement fails.
Result<RowSet> ChdbQuery(const std::string& sql);

// Runs each statement in order in one node process (cheaper than one ChdbQuery each). Fails as a
// whole, naming the statement, when any statement fails.
Result<std::vector<RowSet>> ChdbQueries(const std::vector<std::string>& sqls);

// The statement ReadDeltaWithChdb runs: every row of the Delta table in `table_dir` (made
// absolute) at `version` (nullopt: the latest), decimals rendered with their scale's zeros.
std::string ChdbDeltaReadSql(const std::string& table_dir,
                             std::optional<int64_t> version = std::nullopt);
// The statement ChdbRowCount runs. It counts with sum(1) over a subquery: chDB answers a plain
// count() from the file statistics, which ignores deletion vectors.
std::string ChdbDeltaRowCountSql(const std::string& table_dir,
                                 std::optional<int64_t> version = std::nullopt);

// Every row of the Delta table in `table_dir` at `version` (nullopt: the latest), as chDB reads it.
// `table_dir` must not contain a backslash: delta-kernel-rs reads it as a path separator.
Result<RowSet> ReadDeltaWithChdb(const std::string& table_dir,
                                 std::optional<int64_t> version = std::nullopt);
// The table's row count at `version` (nullopt: the latest), as chDB reads it.
Result<int64_t> ChdbRowCount(const std::string& table_dir,
                             std::optional<int64_t> version = std::nullopt);

}  // namespace dlake::testing
