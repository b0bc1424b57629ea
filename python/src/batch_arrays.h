#pragma once
// The library's columnar RecordBatch handed to Python as numpy arrays, column by column: the
// vectors' buffers move into the arrays (each array owns its vector through a capsule), so
// numbers are never copied and no Python code loops over rows. dlake/_frames.py builds the
// pandas DataFrame from them.
//
// Each column becomes a tuple (name, kind, values, mask):
//   kind "int64"      values int64;               mask bool (True = NULL)
//   kind "float64"    values float64, NULL = NaN; mask None
//   kind "bool"       values bool;                mask bool (True = NULL)
//   kind "string"     values object (str, NULL = None); mask None
//   kind "timestamp"  values datetime64[ns] (UTC), NULL = NaT; mask None: the index column, an
//                     int64 of epoch milliseconds converted in place

#include <pybind11/pybind11.h>

#include <string>

#include "dlake/common/record_batch.h"
#include "dlake/common/status.h"

namespace dlake::python {

// Rewrites the batch's buffers into the forms above: NaN for NULL doubles, the validity flags
// inverted into NULL masks, `timestamp_column` (if present, "" = none) from ms to ns with NULL as
// NaT. InvalidArgument for a timestamp pandas cannot hold (outside 1677-2262). Plain C++: call
// it without the GIL.
Status PrepareForNumpy(RecordBatch& batch, const std::string& timestamp_column);

// The prepared batch as a list of column tuples; the vectors are moved out of `batch`. Needs
// the GIL.
pybind11::list ColumnsToPython(RecordBatch&& batch, const std::string& timestamp_column);

// A read's result as column tuples: its error raised (errors.h), else the batch prepared with
// the GIL released and handed over. What every binding that returns rows calls.
pybind11::list RowsToPython(Result<RecordBatch> rows, const std::string& timestamp_column);

}  // namespace dlake::python
