#include "delta/deletion_vector.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <limits>

#include "common/file_util.h"

namespace dlake::delta {
namespace {

// PROTOCOL.md "Deletion Vector Format" and "Deletion Vector File Storage Format".
constexpr uint32_t kPortableMagic = 1681511377;
constexpr uint8_t kFileFormatVersion = 1;
constexpr int64_t kFramingBytes = 8;  // the size before the data and the CRC-32 after it

// RoaringFormatSpec, 32-bit layout.
constexpr uint32_t kCookieNoRuns = 12346;
constexpr uint32_t kCookieWithRuns = 12347;
constexpr uint32_t kNoOffsetThreshold = 4;
constexpr uint32_t kMaxContainers = 65536;
constexpr uint32_t kMaxArrayCardinality = 4096;
constexpr size_t kBitmapContainerWords = 1024;

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr size_t kZ85UuidChars = 20;

constexpr std::array<int8_t, 256> MakeZ85Digits() {
  std::array<int8_t, 256> digits{};
  digits.fill(-1);
  for (size_t i = 0; i < kZ85Alphabet.size(); ++i) {
    digits[static_cast<unsigned char>(kZ85Alphabet[i])] = static_cast<int8_t>(i);
  }
  return digits;
}
constexpr std::array<int8_t, 256> kZ85Digits = MakeZ85Digits();

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as java.util.zip.CRC32 computes it.
constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

uint32_t Crc32(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) crc = kCrcTable[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t BigEndian32(std::string_view bytes) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::string Hex32(uint32_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xF];
  return out;
}

// Bounds-checked little-endian reads over the serialized bitmap. A failed read consumes nothing.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }

  bool ReadU16(uint16_t* value) { return ReadLittleEndian(value); }
  bool ReadU32(uint32_t* value) { return ReadLittleEndian(value); }
  bool ReadU64(uint64_t* value) { return ReadLittleEndian(value); }
  bool ReadBytes(size_t count, std::string_view* out) {
    if (remaining() < count) return false;
    *out = data_.substr(pos_, count);
    pos_ += count;
    return true;
  }

 private:
  template <typename T>
  bool ReadLittleEndian(T* value) {
    if (remaining() < sizeof(T)) return false;
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<T>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    }
    *value = v;
    pos_ += sizeof(T);
    return true;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

uint16_t LittleEndian16(std::string_view bytes, size_t index) {
  return static_cast<uint16_t>(static_cast<unsigned char>(bytes[2 * index]) |
                               (static_cast<unsigned char>(bytes[2 * index + 1]) << 8));
}

Status Truncated(std::string_view what, const ByteReader& in) {
  return Corruption("bitmap ends inside the ", what, " at byte ", in.position());
}

// ---- 32-bit Roaring bitmap ----

struct ContainerHeader {
  uint16_t key = 0;
  uint32_t cardinality = 0;
  bool is_run = false;
};

struct RoaringHeader {
  std::vector<ContainerHeader> containers;
  std::vector<uint32_t> offsets;  // empty when the stream has no offset header
};

// The cookie, run flags, descriptive header and (when present) offset header.
Result<RoaringHeader> ReadRoaringHeader(ByteReader& in) {
  uint32_t cookie = 0;
  if (!in.ReadU32(&cookie)) return Truncated("cookie", in);
  uint32_t count = 0;
  bool has_runs = false;
  std::string_view run_flags;
  if (cookie == kCookieNoRuns) {
    if (!in.ReadU32(&count)) return Truncated("container count", in);
    if (count > kMaxContainers) return Corruption("container count ", count, " exceeds 65536");
  } else if ((cookie & 0xFFFF) == kCookieWithRuns) {
    has_runs = true;
    count = (cookie >> 16) + 1;
    if (!in.ReadBytes((count + 7) / 8, &run_flags)) return Truncated("run-container flags", in);
  } else {
    return Corruption("unknown Roaring cookie ", cookie);
  }
  if (in.remaining() / 4 < count) return Truncated("descriptive header", in);

  RoaringHeader header;
  header.containers.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    ContainerHeader& c = header.containers[i];
    uint16_t cardinality_minus_one = 0;
    in.ReadU16(&c.key);
    in.ReadU16(&cardinality_minus_one);
    c.cardinality = uint32_t{cardinality_minus_one} + 1;
    c.is_run = has_runs && ((static_cast<unsigned char>(run_flags[i / 8]) >> (i % 8)) & 1);
    if (i > 0 && c.key <= header.containers[i - 1].key) {
      return Corruption("container keys out of order: ", c.key, " after ",
                        header.containers[i - 1].key);
    }
  }
  if (!has_runs || count >= kNoOffsetThreshold) {
    if (in.remaining() / 4 < count) return Truncated("offset header", in);
    header.offsets.resize(count);
    for (uint32_t& offset : header.offsets) in.ReadU32(&offset);
  }
  return header;
}

Status ReadArrayContainer(ByteReader& in, const ContainerHeader& c, uint64_t base,
                          std::vector<uint64_t>* rows) {
  std::string_view bytes;
  if (!in.ReadBytes(size_t{c.cardinality} * 2, &bytes)) return Truncated("array container", in);
  for (uint32_t i = 0; i < c.cardinality; ++i) {
    const uint16_t value = LittleEndian16(bytes, i);
    if (i > 0 && value <= LittleEndian16(bytes, i - 1)) {
      return Corruption("array container ", c.key, " is not strictly ascending at value ", value);
    }
    rows->push_back(base | value);
  }
  return Status::Ok();
}

Status ReadBitmapContainer(ByteReader& in, const ContainerHeader& c, uint64_t base,
                           std::vector<uint64_t>* rows) {
  std::array<uint64_t, kBitmapContainerWords> words;
  uint64_t set_bits = 0;
  for (uint64_t& word : words) {
    if (!in.ReadU64(&word)) return Truncated("bitmap container", in);
    set_bits += std::popcount(word);
  }
  if (set_bits != c.cardinality) {
    return Corruption("bitmap container ", c.key, " has ", set_bits, " bits set; its header says ",
                      c.cardinality);
  }
  for (size_t w = 0; w < words.size(); ++w) {
    for (uint64_t word = words[w]; word != 0; word &= word - 1) {
      rows->push_back(base | (w * 64 + static_cast<uint64_t>(std::countr_zero(word))));
    }
  }
  return Status::Ok();
}

// Runs are (start, length - 1) pairs, sorted and non-overlapping.
Status ReadRunContainer(ByteReader& in, const ContainerHeader& c, uint64_t base,
                        std::vector<uint64_t>* rows) {
  uint16_t run_count = 0;
  std::string_view runs;
  if (!in.ReadU16(&run_count)) return Truncated("run count", in);
  if (!in.ReadBytes(size_t{run_count} * 4, &runs)) return Truncated("run container", in);
  uint64_t total = 0;
  uint32_t next_free = 0;  // one past the previous run's last value
  for (size_t r = 0; r < run_count; ++r) {
    const uint32_t start = LittleEndian16(runs, 2 * r);
    const uint32_t last = start + LittleEndian16(runs, 2 * r + 1);
    if (last > 0xFFFF) return Corruption("run container ", c.key, " has a run past 65535");
    if (r > 0 && start < next_free) {
      return Corruption("run container ", c.key, " has overlapping or unsorted runs at ", start);
    }
    next_free = last + 1;
    total += last - start + 1;
  }
  if (total != c.cardinality) {
    return Corruption("run container ", c.key, " holds ", total, " values; its header says ",
                      c.cardinality);
  }
  for (size_t r = 0; r < run_count; ++r) {
    const uint32_t start = LittleEndian16(runs, 2 * r);
    const uint32_t last = start + LittleEndian16(runs, 2 * r + 1);
    for (uint32_t v = start; v <= last; ++v) rows->push_back(base | v);
  }
  return Status::Ok();
}

// Appends the values of one 32-bit Roaring bitmap, each with `high` as its upper 32 bits. Stops
// before `max_rows` would be exceeded, so a corrupt header cannot make us allocate without bound.
Status ReadRoaring32(ByteReader& in, uint64_t high, uint64_t max_rows,
                     std::vector<uint64_t>* rows) {
  const size_t start = in.position();
  DLAKE_ASSIGN_OR_RETURN(RoaringHeader header, ReadRoaringHeader(in));
  for (size_t i = 0; i < header.containers.size(); ++i) {
    const ContainerHeader& c = header.containers[i];
    if (!header.offsets.empty() && header.offsets[i] != in.position() - start) {
      return Corruption("container ", c.key, " starts at byte ", in.position() - start,
                        " but the offset header says ", header.offsets[i]);
    }
    if (c.cardinality > max_rows - rows->size()) {
      return Corruption("bitmap holds more than ", max_rows, " rows, the descriptor's cardinality");
    }
    const uint64_t base = high | (uint64_t{c.key} << 16);
    if (c.is_run) {
      DLAKE_RETURN_IF_ERROR(ReadRunContainer(in, c, base, rows));
    } else if (c.cardinality > kMaxArrayCardinality) {
      DLAKE_RETURN_IF_ERROR(ReadBitmapContainer(in, c, base, rows));
    } else {
      DLAKE_RETURN_IF_ERROR(ReadArrayContainer(in, c, base, rows));
    }
  }
  return Status::Ok();
}

// The magic number and the portable 64-bit bitmap: the data of a DV, stored or inline.
Result<std::vector<uint64_t>> DecodeBitmapData(std::string_view data, int64_t cardinality) {
  ByteReader in(data);
  uint32_t magic = 0;
  if (!in.ReadU32(&magic)) return Truncated("magic number", in);
  if (magic != kPortableMagic) {
    return Corruption("magic number ", magic, " is not ", kPortableMagic,
                      " (a little-endian portable RoaringBitmapArray)");
  }
  uint64_t bucket_count = 0;
  if (!in.ReadU64(&bucket_count)) return Truncated("bucket count", in);
  std::vector<uint64_t> rows;
  rows.reserve(static_cast<size_t>(std::min<int64_t>(cardinality, 1 << 20)));
  int64_t previous_key = -1;
  for (uint64_t b = 0; b < bucket_count; ++b) {
    uint32_t key = 0;
    if (!in.ReadU32(&key)) return Truncated("bucket key", in);
    if (key <= previous_key) {
      return Corruption("bucket keys out of order: ", key, " after ", previous_key);
    }
    if (key >> 31) {
      return Corruption("bucket key ", key, " has its top bit set, which Delta forbids");
    }
    previous_key = key;
    Status status =
        ReadRoaring32(in, uint64_t{key} << 32, static_cast<uint64_t>(cardinality), &rows);
    if (!status.ok()) return status.WithContext("bucket " + std::to_string(key));
  }
  if (in.remaining() != 0) {
    return Corruption(in.remaining(), " bytes follow the bitmap inside sizeInBytes ", data.size());
  }
  if (rows.size() != static_cast<uint64_t>(cardinality)) {
    return Corruption("bitmap holds ", rows.size(), " rows but the descriptor's cardinality is ",
                      cardinality);
  }
  return rows;
}

// ---- Files ----

class FileCloser {
 public:
  explicit FileCloser(int fd) : fd_(fd) {}
  ~FileCloser() { ::close(fd_); }
  FileCloser(const FileCloser&) = delete;
  FileCloser& operator=(const FileCloser&) = delete;

 private:
  int fd_;
};

Result<std::string> ReadAt(int fd, const std::string& path, int64_t offset, size_t count) {
  std::string out(count, '\0');
  size_t done = 0;
  while (done < count) {
    ssize_t n = ::pread(fd, out.data() + done, count - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoErrorFromErrno("cannot read deletion vector file", path, errno);
    if (n == 0) return Corruption("file shrank while being read");
    done += static_cast<size_t>(n);
  }
  return out;
}

// The data of the DV at `offset` in `path`, its framing and checksum verified.
Result<std::string> ReadStoredData(const std::string& path, int64_t offset, int32_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("deletion vector file '", path, "' does not exist");
    return IoErrorFromErrno("cannot open deletion vector file", path, errno);
  }
  FileCloser closer(fd);
  struct stat info;
  if (::fstat(fd, &info) != 0) return IoErrorFromErrno("cannot stat", path, errno);
  const int64_t file_size = info.st_size;
  if (file_size < 1) return Corruption("file is empty");
  DLAKE_ASSIGN_OR_RETURN(std::string version, ReadAt(fd, path, 0, 1));
  if (static_cast<uint8_t>(version[0]) != kFileFormatVersion) {
    return Corruption("format version ", static_cast<int>(static_cast<uint8_t>(version[0])),
                      " is not ", static_cast<int>(kFileFormatVersion));
  }
  if (offset + kFramingBytes + size > file_size) {
    return Corruption("file has ", file_size, " bytes; a vector of ", size,
                      " bytes at this offset needs ", offset + kFramingBytes + size);
  }
  DLAKE_ASSIGN_OR_RETURN(std::string framed, ReadAt(fd, path, offset, size + kFramingBytes));
  const std::string_view bytes(framed);
  const uint32_t stored_size = BigEndian32(bytes.substr(0, 4));
  if (stored_size != static_cast<uint32_t>(size)) {
    return Corruption("stored size ", stored_size, " differs from sizeInBytes ", size);
  }
  const uint32_t stored_crc = BigEndian32(bytes.substr(4 + size, 4));
  const uint32_t actual_crc = Crc32(bytes.substr(4, size));
  if (stored_crc != actual_crc) {
    return Corruption("checksum mismatch: stored CRC-32 ", Hex32(stored_crc), ", data has ",
                      Hex32(actual_crc));
  }
  return framed.substr(4, size);
}

// The first characters of a possibly long inline DV, for error messages.
std::string Abbreviate(std::string_view text) {
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

Result<std::vector<uint64_t>> LoadInline(const DeletionVectorDescriptor& dv) {
  const std::string where = "inline deletion vector '" + Abbreviate(dv.path_or_inline_dv) + "'";
  Result<std::string> decoded = DecodeZ85(dv.path_or_inline_dv);
  if (!decoded.ok()) return Corruption(where, ": ", decoded.status().message());
  std::string bytes = std::move(decoded).value();
  // Z85 pads to a multiple of 4 bytes; sizeInBytes is the true length.
  const size_t size = static_cast<size_t>(dv.size_in_bytes);
  if (size > bytes.size() || bytes.size() - size >= 4) {
    return Corruption(where, ": decodes to ", bytes.size(),
                      " bytes, which does not fit sizeInBytes ", size);
  }
  bytes.resize(size);
  Result<std::vector<uint64_t>> rows = DecodeBitmapData(bytes, dv.cardinality);
  if (!rows.ok()) return rows.status().WithContext(where);
  return rows;
}

// ---- Paths ----

std::string FormatUuid(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// An absolute "p" path is a URI like add.path: "file:///a/b%20c.bin", "file:/a/b" or "/a/b".
Result<std::string> LocalPathFromUri(std::string_view uri) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgument("deletionVector.pathOrInlineDv '", uri, "': ", why);
  };
  std::string_view rest = uri;
  if (rest.starts_with("file://")) {
    rest.remove_prefix(7);
    if (rest.starts_with("localhost/")) rest.remove_prefix(9);
  } else if (rest.starts_with("file:")) {
    rest.remove_prefix(5);
  }
  if (!rest.starts_with('/')) return bad("not a local absolute path; only local files are read");
  std::string path;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != '%') {
      path += rest[i];
      continue;
    }
    if (i + 2 >= rest.size() || HexDigit(rest[i + 1]) < 0 || HexDigit(rest[i + 2]) < 0) {
      return bad("bad %-escape");
    }
    path += static_cast<char>(HexDigit(rest[i + 1]) * 16 + HexDigit(rest[i + 2]));
    i += 2;
  }
  return path;
}

// ---- JSON fields ----

std::string Shorten(const nlohmann::json& value) { return Abbreviate(value.dump()); }

// An integer field in [0, max]; nullopt when absent or null.
Result<std::optional<int64_t>> OptionalInteger(const nlohmann::json& object, const char* field,
                                               int64_t max) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) {
    return InvalidArgument("deletionVector.", field, ": expected an integer, got ", Shorten(*it));
  }
  const bool in_range = it->is_number_unsigned()
                            ? it->get<uint64_t>() <= static_cast<uint64_t>(max)
                            : it->get<int64_t>() >= 0 && it->get<int64_t>() <= max;
  if (!in_range) {
    return InvalidArgument("deletionVector.", field, ": ", Shorten(*it), " is outside [0, ", max,
                           "]");
  }
  return std::optional<int64_t>(it->get<int64_t>());
}

Result<int64_t> RequiredInteger(const nlohmann::json& object, const char* field, int64_t max) {
  DLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> value, OptionalInteger(object, field, max));
  if (!value) return InvalidArgument("deletionVector.", field, ": missing");
  return *value;
}

Result<std::string> RequiredString(const nlohmann::json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) {
    return InvalidArgument("deletionVector.", field, ": missing");
  }
  if (!it->is_string()) {
    return InvalidArgument("deletionVector.", field, ": expected a string, got ", Shorten(*it));
  }
  return it->get<std::string>();
}

}  // namespace

std::string DeletionVectorDescriptor::UniqueId() const {
  std::string id = storage_type + path_or_inline_dv;
  if (offset) id += "@" + std::to_string(*offset);
  return id;
}

Result<DeletionVectorDescriptor> ParseDeletionVector(const nlohmann::json& json) {
  if (!json.is_object()) {
    return InvalidArgument("deletionVector: expected a JSON object, got ", Shorten(json));
  }
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  DeletionVectorDescriptor dv;
  DLAKE_ASSIGN_OR_RETURN(dv.storage_type, RequiredString(json, "storageType"));
  if (dv.storage_type != "u" && dv.storage_type != "i" && dv.storage_type != "p") {
    return InvalidArgument("deletionVector.storageType: '", dv.storage_type,
                           "' is not one of 'u', 'i', 'p'");
  }
  DLAKE_ASSIGN_OR_RETURN(dv.path_or_inline_dv, RequiredString(json, "pathOrInlineDv"));
  if (dv.storage_type == "u" && dv.path_or_inline_dv.size() < kZ85UuidChars) {
    return InvalidArgument("deletionVector.pathOrInlineDv: '", dv.path_or_inline_dv,
                           "' is shorter than a 20-character Z85 UUID");
  }
  if (dv.storage_type == "i" && dv.path_or_inline_dv.size() % 5 != 0) {
    return InvalidArgument("deletionVector.pathOrInlineDv: inline Z85 text of ",
                           dv.path_or_inline_dv.size(), " characters is not a multiple of 5");
  }
  DLAKE_ASSIGN_OR_RETURN(std::optional<int64_t> offset, OptionalInteger(json, "offset", kInt32Max));
  if (offset && dv.storage_type == "i") {
    return InvalidArgument("deletionVector.offset: must be absent for an inline vector");
  }
  if (offset) dv.offset = static_cast<int32_t>(*offset);
  DLAKE_ASSIGN_OR_RETURN(int64_t size, RequiredInteger(json, "sizeInBytes", kInt32Max));
  dv.size_in_bytes = static_cast<int32_t>(size);
  DLAKE_ASSIGN_OR_RETURN(dv.cardinality,
                         RequiredInteger(json, "cardinality", std::numeric_limits<int64_t>::max()));
  return dv;
}

nlohmann::json ToJson(const DeletionVectorDescriptor& dv) {
  nlohmann::json json = {{"storageType", dv.storage_type},
                         {"pathOrInlineDv", dv.path_or_inline_dv},
                         {"sizeInBytes", dv.size_in_bytes},
                         {"cardinality", dv.cardinality}};
  if (dv.offset) json["offset"] = *dv.offset;
  return json;
}

Result<std::string> DeletionVectorFilePath(const std::string& table_root,
                                           const DeletionVectorDescriptor& dv) {
  if (dv.storage_type == "p") return LocalPathFromUri(dv.path_or_inline_dv);
  if (dv.storage_type == "i")
    return InvalidArgument("an inline deletion vector is not stored in a file");
  if (dv.storage_type != "u") {
    return InvalidArgument("deletion vector has unknown storageType '", dv.storage_type, "'");
  }
  const std::string& text = dv.path_or_inline_dv;
  if (text.size() < kZ85UuidChars) {
    return InvalidArgument("deletionVector.pathOrInlineDv: '", text,
                           "' is shorter than a 20-character Z85 UUID");
  }
  const size_t prefix_length = text.size() - kZ85UuidChars;
  Result<std::string> uuid = DecodeZ85(text.substr(prefix_length));
  if (!uuid.ok()) {
    return InvalidArgument("deletionVector.pathOrInlineDv: '", text,
                           "': ", uuid.status().message());
  }
  const std::string file_name = "deletion_vector_" + FormatUuid(*uuid) + ".bin";
  if (prefix_length == 0) return JoinPath(table_root, file_name);
  return JoinPath(JoinPath(table_root, text.substr(0, prefix_length)), file_name);
}

Result<std::vector<uint64_t>> LoadDeletedRows(const std::string& table_root,
                                              const DeletionVectorDescriptor& dv) {
  if (dv.size_in_bytes < 0 || dv.cardinality < 0) {
    return InvalidArgument("deletion vector '", Abbreviate(dv.UniqueId()),
                           "' has a negative sizeInBytes or cardinality");
  }
  if (dv.storage_type == "i") return LoadInline(dv);
  DLAKE_ASSIGN_OR_RETURN(std::string path, DeletionVectorFilePath(table_root, dv));
  // Without an offset the vector follows the version byte.
  const int64_t offset = dv.offset.value_or(1);
  const std::string where =
      "deletion vector file '" + path + "' at offset " + std::to_string(offset);
  if (offset < 1) return InvalidArgument(where, ": the offset points at the format version byte");
  Result<std::string> data = ReadStoredData(path, offset, dv.size_in_bytes);
  if (!data.ok()) {
    const StatusCode code = data.status().code();
    if (code == StatusCode::kCorruption) return data.status().WithContext(where);
    return data.status();  // NotFound and IoError already name the file
  }
  Result<std::vector<uint64_t>> rows = DecodeBitmapData(*data, dv.cardinality);
  if (!rows.ok()) return rows.status().WithContext(where);
  return rows;
}

Result<std::string> DecodeZ85(std::string_view text) {
  if (text.size() % 5 != 0) {
    return InvalidArgument("Z85 text of ", text.size(), " characters is not a multiple of 5");
  }
  std::string out;
  out.reserve(text.size() / 5 * 4);
  for (size_t i = 0; i < text.size(); i += 5) {
    uint64_t value = 0;
    for (size_t j = i; j < i + 5; ++j) {
      const int8_t digit = kZ85Digits[static_cast<unsigned char>(text[j])];
      if (digit < 0) {
        return InvalidArgument("Z85 character ",
                               static_cast<int>(static_cast<unsigned char>(text[j])),
                               " at position ", j, " is not in the alphabet");
      }
      value = value * 85 + static_cast<uint64_t>(digit);
    }
    if (value > 0xFFFFFFFFu) {
      return InvalidArgument("Z85 group at position ", i, " exceeds 2^32-1");
    }
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
  }
  return out;
}

std::string EncodeZ85(std::string_view bytes) {
  std::string padded(bytes);
  padded.resize((padded.size() + 3) / 4 * 4, '\0');
  const std::string_view groups(padded);
  std::string out;
  out.reserve(padded.size() / 4 * 5);
  for (size_t i = 0; i < groups.size(); i += 4) {
    uint32_t value = BigEndian32(groups.substr(i, 4));
    char group[5];
    for (int j = 4; j >= 0; --j) {
      group[j] = kZ85Alphabet[value % 85];
      value /= 85;
    }
    out.append(group, 5);
  }
  return out;
}

}  // namespace dlake::delta
