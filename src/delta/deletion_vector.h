#pragma once
// Deletion vectors: reader feature `deletionVectors` (PROTOCOL.md "Deletion Vectors", "Deletion
// Vector Format"). A deletion vector (DV) names the rows of one data file that are logically
// deleted, by their 0-based position in the file.
//
// Where the bytes are, by storageType:
//   "u"  a file under the table root: pathOrInlineDv is <random prefix><20-char Z85 UUID>, the
//        file <table_root>/<prefix>/deletion_vector_<uuid>.bin (no folder when the prefix is
//        empty).
//   "p"  a file at an absolute path, written as a URI like add.path ("file:///…" or "/…").
//   "i"  inline: pathOrInlineDv is the Z85 text of the serialized bitmap (no framing, no checksum);
//        the decoded bytes are padded to a multiple of 4 and sizeInBytes says how many count.
//
// A DV file is: byte 0 the format version (1); at `offset` (1 when absent) a 4-byte big-endian
// data size, the data, then a 4-byte big-endian CRC-32 of the data. The data (and an inline DV)
// is the magic number 1681511377 (4 bytes little-endian) followed by a 64-bit RoaringBitmap in the
// "portable" format of the RoaringFormatSpec: an 8-byte little-endian bucket count, then per bucket
// in ascending order a 4-byte key (the high 32 bits, whose top bit Delta requires to be 0) and a
// standard 32-bit Roaring bitmap (array, bitmap and run containers, with or without the run
// cookie).
//
// Only local files are read. Functions are thread-safe (no shared state).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::delta {

// The deletionVector field of an add/remove action (PROTOCOL.md "Deletion Vector Descriptor
// Schema").
struct DeletionVectorDescriptor {
  std::string storage_type;  // "u" (relative path from a z85 UUID), "i" (inline), "p" (absolute)
  std::string path_or_inline_dv;
  std::optional<int32_t> offset;  // absent for inline
  int32_t size_in_bytes = 0;      // of the bitmap data (before Z85 encoding when inline)
  int64_t cardinality = 0;        // number of deleted rows

  // storage_type + path_or_inline_dv (+ "@" + offset when present): the dvId used, together with
  // the path, as the key of a file action.
  std::string UniqueId() const;
};

// Reads the JSON object of a deletionVector field. Unknown fields (e.g. a checkpoint's
// maxRowIndex) are ignored and a null offset counts as absent. InvalidArgument naming the bad
// field ("deletionVector.storageType: …") when a field is missing, mistyped or out of range, or an
// inline DV has an offset.
Result<DeletionVectorDescriptor> ParseDeletionVector(const nlohmann::json& json);
// The deletionVector JSON object; offset only when present.
nlohmann::json ToJson(const DeletionVectorDescriptor& dv);

// The absolute local file that stores a "u" or "p" vector. `table_root` is the table's local
// folder. InvalidArgument for an inline DV, a malformed Z85 UUID, a non-local URI scheme
// ("s3://…") or a bad %-escape.
Result<std::string> DeletionVectorFilePath(const std::string& table_root,
                                           const DeletionVectorDescriptor& dv);

// The deleted row indexes (0-based positions within the data file), ascending. Checks the file's
// version byte, the stored size against sizeInBytes, the CRC-32, the magic number, the bitmap's
// structure and that the count equals `cardinality`. Errors name the file (or the inline DV) and
// the reason: NotFound when the file does not exist, IoError when it cannot be read, Corruption
// for anything wrong with its bytes or a count that differs from the cardinality.
Result<std::vector<uint64_t>> LoadDeletedRows(const std::string& table_root,
                                              const DeletionVectorDescriptor& dv);

// Z85 (ZeroMQ RFC 32), the Base85 variant of pathOrInlineDv: 5 characters per 4 bytes, big-endian.
// Decoding fails with InvalidArgument when the length is not a multiple of 5, a character is
// outside the alphabet or a group exceeds 2^32-1. Encoding pads the bytes with zeros to a multiple
// of 4, as Delta does for inline DVs (sizeInBytes keeps the true length).
Result<std::string> DecodeZ85(std::string_view text);
std::string EncodeZ85(std::string_view bytes);

}  // namespace dlake::delta
