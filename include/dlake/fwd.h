#pragma once
// Forward declarations of the public types.

namespace dlake {

class Status;
template <typename T>
class Result;
class Env;
class Lake;
class Manifest;
struct Column;
struct DatasetFilter;
struct DatasetId;
struct DatasetSummary;
struct DeleteReport;
struct DeleteRequest;
struct FileEntry;
struct IngestReport;
struct IngestRequest;
struct KnownGap;
struct LakeOptions;
struct ReadRequest;
struct RecordBatch;
struct VerifyReport;
struct VerifyRequest;
struct WriteReport;

}  // namespace dlake
