// Deletion vectors against the protocol's vectors, hand-built Roaring bitmaps of every container
// kind, damaged files, and the golden tables written by Spark/Databricks
// (../shared/delta-golden), whose rows with the DVs applied must equal the expected CSV.

#include "delta/deletion_vector.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "duck/duck.h"
#include "testing/test_util.h"

namespace dlake::delta {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSmallTable[] = "delta-rs-table-with-dv-small";
constexpr char kPartitionedTable[] = "delta-dv-partitioned-with-checkpoint";
// The vector of kSmallTable's commit 1: rows 0 and 9 of its only file.
constexpr char kSmallUuidZ85[] = "vBn[lx{q8@P<9BNH/isA";
constexpr char kSmallDvFile[] = "deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin";

std::string GoldenTable(const std::string& name) {
  return testing::SharedPath("delta-golden/" + name);
}
std::string ExpectedDir(const std::string& name) {
  return testing::SharedPath("delta-golden/_expected/" + name);
}

DeletionVectorDescriptor SmallTableDv() {
  DeletionVectorDescriptor dv;
  dv.storage_type = "u";
  dv.path_or_inline_dv = kSmallUuidZ85;
  dv.offset = 1;
  dv.size_in_bytes = 36;
  dv.cardinality = 2;
  return dv;
}

// ---- Hand-built portable Roaring bitmaps (RoaringFormatSpec), little-endian ----

void PutU16(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v & 0xFF));
  out->push_back(static_cast<char>((v >> 8) & 0xFF));
}
void PutU32(std::string* out, uint32_t v) {
  PutU16(out, v & 0xFFFF);
  PutU16(out, v >> 16);
}
void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v));
  PutU32(out, static_cast<uint32_t>(v >> 32));
}

enum class Kind { kArray, kBitmap, kRun };

struct Container {
  uint16_t key;
  Kind kind;
  std::vector<uint32_t> values;  // low 16 bits, ascending
};

std::string ContainerBody(const Container& c) {
  std::string out;
  if (c.kind == Kind::kArray) {
    for (uint32_t v : c.values) PutU16(&out, v);
  } else if (c.kind == Kind::kBitmap) {
    std::vector<uint64_t> words(1024, 0);
    for (uint32_t v : c.values) words[v / 64] |= uint64_t{1} << (v % 64);
    for (uint64_t w : words) PutU64(&out, w);
  } else {
    std::vector<std::pair<uint32_t, uint32_t>> runs;  // start, length - 1
    for (uint32_t v : c.values) {
      if (!runs.empty() && runs.back().first + runs.back().second + 1 == v) {
        ++runs.back().second;
      } else {
        runs.push_back({v, 0});
      }
    }
    PutU16(&out, static_cast<uint32_t>(runs.size()));
    for (auto [start, length_minus_one] : runs) {
      PutU16(&out, start);
      PutU16(&out, length_minus_one);
    }
  }
  return out;
}

// A 32-bit Roaring bitmap; the run cookie whenever a container is a run container.
std::string Roaring32(const std::vector<Container>& containers) {
  const uint32_t n = static_cast<uint32_t>(containers.size());
  const bool has_runs = std::any_of(containers.begin(), containers.end(),
                                    [](const Container& c) { return c.kind == Kind::kRun; });
  std::string out;
  if (has_runs) {
    PutU32(&out, 12347 | ((n - 1) << 16));
    std::string flags((n + 7) / 8, '\0');
    for (uint32_t i = 0; i < n; ++i) {
      if (containers[i].kind == Kind::kRun)
        flags[i / 8] = static_cast<char>(flags[i / 8] | (1 << (i % 8)));
    }
    out += flags;
  } else {
    PutU32(&out, 12346);
    PutU32(&out, n);
  }
  for (const Container& c : containers) {
    PutU16(&out, c.key);
    PutU16(&out, static_cast<uint32_t>(c.values.size() - 1));
  }
  std::vector<std::string> bodies;
  bodies.reserve(containers.size());
  for (const Container& c : containers) bodies.push_back(ContainerBody(c));
  if (!has_runs || n >= 4) {
    uint32_t offset = static_cast<uint32_t>(out.size()) + 4 * n;
    for (const std::string& body : bodies) {
      PutU32(&out, offset);
      offset += static_cast<uint32_t>(body.size());
    }
  }
  for (const std::string& body : bodies) out += body;
  return out;
}

// Magic number + 64-bit portable bitmap: what a DV's data (or an inline DV) holds.
std::string DvData(const std::vector<std::pair<uint32_t, std::string>>& buckets,
                   uint32_t magic = 1681511377) {
  std::string out;
  PutU32(&out, magic);
  PutU64(&out, buckets.size());
  for (const auto& [key, bitmap] : buckets) {
    PutU32(&out, key);
    out += bitmap;
  }
  return out;
}

std::vector<uint64_t> Rows(
    const std::vector<std::pair<uint32_t, std::vector<Container>>>& buckets) {
  std::vector<uint64_t> rows;
  for (const auto& [key, containers] : buckets) {
    for (const Container& c : containers) {
      for (uint32_t v : c.values)
        rows.push_back((uint64_t{key} << 32) | (uint64_t{c.key} << 16) | v);
    }
  }
  return rows;
}

DeletionVectorDescriptor Inline(const std::string& data, int64_t cardinality) {
  DeletionVectorDescriptor dv;
  dv.storage_type = "i";
  dv.path_or_inline_dv = EncodeZ85(data);
  dv.size_in_bytes = static_cast<int32_t>(data.size());
  dv.cardinality = cardinality;
  return dv;
}

std::vector<uint32_t> Range(uint32_t first, uint32_t last, uint32_t step = 1) {
  std::vector<uint32_t> out;
  for (uint32_t v = first; v <= last; v += step) out.push_back(v);
  return out;
}

// ---- Z85 ----

TEST(Z85Test, DecodesTheSpecVector) {
  // ZeroMQ RFC 32's test vector.
  const std::string bytes("\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B", 8);
  auto decoded = DecodeZ85("HelloWorld");
  ASSERT_THAT(decoded.status(), IsOk());
  EXPECT_EQ(*decoded, bytes);
  EXPECT_EQ(EncodeZ85(bytes), "HelloWorld");
}

TEST(Z85Test, RejectsMalformedText) {
  EXPECT_THAT(DecodeZ85("Hell").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("multiple of 5")));
  EXPECT_THAT(DecodeZ85("Hell~").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("alphabet")));
  EXPECT_THAT(DecodeZ85("#####").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("exceeds")));
}

// ---- Descriptor ----

TEST(DeletionVectorDescriptorTest, ParsesRoundTripsAndDerivesTheUniqueId) {
  const auto json = nlohmann::json::parse(
      R"({"storageType":"u","pathOrInlineDv":"vBn[lx{q8@P<9BNH/isA","offset":1,)"
      R"("sizeInBytes":36,"cardinality":2})");
  auto dv = ParseDeletionVector(json);
  ASSERT_THAT(dv.status(), IsOk());
  EXPECT_EQ(dv->storage_type, "u");
  EXPECT_EQ(dv->path_or_inline_dv, kSmallUuidZ85);
  EXPECT_EQ(dv->offset, 1);
  EXPECT_EQ(dv->size_in_bytes, 36);
  EXPECT_EQ(dv->cardinality, 2);
  EXPECT_EQ(dv->UniqueId(), "uvBn[lx{q8@P<9BNH/isA@1");
  EXPECT_EQ(ToJson(*dv), json);

  DeletionVectorDescriptor inline_dv = Inline(std::string(8, '\0'), 0);
  EXPECT_EQ(inline_dv.UniqueId(), "i0000000000");
  EXPECT_FALSE(ToJson(inline_dv).contains("offset"));
}

TEST(DeletionVectorDescriptorTest, AcceptsCheckpointNullsAndUnknownFields) {
  auto dv = ParseDeletionVector(nlohmann::json::parse(
      R"({"storageType":"u","pathOrInlineDv":"vBn[lx{q8@P<9BNH/isA","offset":null,)"
      R"("sizeInBytes":36,"cardinality":2,"maxRowIndex":null})"));
  ASSERT_THAT(dv.status(), IsOk());
  EXPECT_FALSE(dv->offset.has_value());
  EXPECT_EQ(dv->UniqueId(), "uvBn[lx{q8@P<9BNH/isA");
}

TEST(DeletionVectorDescriptorTest, ErrorsNameTheBadField) {
  const std::string u = R"("storageType":"u","pathOrInlineDv":"vBn[lx{q8@P<9BNH/isA")";
  const struct {
    std::string json;
    std::string field;
  } cases[] = {
      {R"("u")", "deletionVector:"},
      {R"({"pathOrInlineDv":"x","sizeInBytes":1,"cardinality":1})", "storageType"},
      {R"({"storageType":"x","pathOrInlineDv":"x","sizeInBytes":1,"cardinality":1})",
       "storageType"},
      {R"({"storageType":"u","pathOrInlineDv":5,"sizeInBytes":1,"cardinality":1})",
       "pathOrInlineDv"},
      {R"({"storageType":"u","pathOrInlineDv":"short","sizeInBytes":1,"cardinality":1})",
       "pathOrInlineDv"},
      {R"({"storageType":"i","pathOrInlineDv":"abcd","sizeInBytes":1,"cardinality":1})",
       "pathOrInlineDv"},
      {R"({"storageType":"i","pathOrInlineDv":"abcde","offset":1,"sizeInBytes":1,"cardinality":1})",
       "offset"},
      {"{" + u + R"(,"offset":-1,"sizeInBytes":36,"cardinality":2})", "offset"},
      {"{" + u + R"(,"offset":2147483648,"sizeInBytes":36,"cardinality":2})", "offset"},
      {"{" + u + R"(,"offset":1,"sizeInBytes":"36","cardinality":2})", "sizeInBytes"},
      {"{" + u + R"(,"offset":1,"cardinality":2})", "sizeInBytes"},
      {"{" + u + R"(,"offset":1,"sizeInBytes":36})", "cardinality"},
      {"{" + u + R"(,"offset":1,"sizeInBytes":36,"cardinality":-1})", "cardinality"},
      {"{" + u + R"(,"offset":1,"sizeInBytes":36,"cardinality":1.5})", "cardinality"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    EXPECT_THAT(ParseDeletionVector(nlohmann::json::parse(c.json)).status(),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.field)));
  }
}

// ---- Paths ----

TEST(DeletionVectorFilePathTest, DecodesTheUuidAndKeepsTheRandomPrefix) {
  auto path = DeletionVectorFilePath("/t", SmallTableDv());
  ASSERT_THAT(path.status(), IsOk());
  EXPECT_EQ(*path, std::string("/t/") + kSmallDvFile);

  // PROTOCOL.md "JSON Example 1": prefix "ab", then the UUID.
  DeletionVectorDescriptor prefixed = SmallTableDv();
  prefixed.path_or_inline_dv = "ab^-aqEH.-t@S}K{vb[*k^";
  path = DeletionVectorFilePath("s3/mytable/", prefixed);
  ASSERT_THAT(path.status(), IsOk());
  EXPECT_EQ(*path, "s3/mytable/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
}

TEST(DeletionVectorFilePathTest, AbsolutePathsAreLocalUris) {
  DeletionVectorDescriptor dv = SmallTableDv();
  dv.storage_type = "p";
  for (const char* uri : {"file:///data/t/dv%20a.bin", "file:/data/t/dv%20a.bin",
                          "/data/t/dv%20a.bin", "file://localhost/data/t/dv%20a.bin"}) {
    SCOPED_TRACE(uri);
    dv.path_or_inline_dv = uri;
    auto path = DeletionVectorFilePath("/ignored", dv);
    ASSERT_THAT(path.status(), IsOk());
    EXPECT_EQ(*path, "/data/t/dv a.bin");
  }
  dv.path_or_inline_dv = "s3://bucket/t/dv.bin";
  EXPECT_THAT(DeletionVectorFilePath("/t", dv).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("s3://bucket/t/dv.bin")));
  dv.path_or_inline_dv = "/t/dv%2.bin";
  EXPECT_THAT(DeletionVectorFilePath("/t", dv).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("%-escape")));
  EXPECT_THAT(DeletionVectorFilePath("/t", Inline(std::string(4, '\0'), 0)).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not stored in a file")));
  dv.storage_type = "x";
  EXPECT_THAT(LoadDeletedRows("/t", dv).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown storageType 'x'")));
}

// ---- Bitmaps: every container kind, both cookies, several buckets ----

TEST(LoadDeletedRowsTest, InlineArrayContainerWithoutRunCookie) {
  // The rows of PROTOCOL.md "JSON Example 3", in the portable layout the protocol specifies.
  std::string data;
  PutU32(&data, 1681511377);
  PutU64(&data, 1);  // one bucket
  PutU32(&data, 0);  // its key
  PutU32(&data, 12346);
  PutU32(&data, 1);   // one container
  PutU16(&data, 0);   // its key
  PutU16(&data, 5);   // cardinality - 1
  PutU32(&data, 16);  // its offset from the cookie
  for (uint32_t v : {3, 4, 7, 11, 18, 29}) PutU16(&data, v);
  ASSERT_EQ(data.size(), 44u);
  auto rows = LoadDeletedRows("/unused", Inline(data, 6));
  ASSERT_THAT(rows.status(), IsOk());
  EXPECT_THAT(*rows, ElementsAre(3u, 4u, 7u, 11u, 18u, 29u));
}

TEST(LoadDeletedRowsTest, EveryContainerKindAndCookie) {
  using Buckets = std::vector<std::pair<uint32_t, std::vector<Container>>>;
  const Buckets cases[] = {
      // Run cookie with fewer than 4 containers: no offset header.
      {{0, {{0, Kind::kRun, {10, 11, 12, 13, 100}}, {1, Kind::kArray, {1, 65535}}}}},
      // Run cookie with 4 or more containers: offset header.
      {{0,
        {{0, Kind::kRun, Range(5, 9)},
         {1, Kind::kBitmap, Range(0, 9998, 2)},
         {2, Kind::kArray, {7}},
         {3, Kind::kRun, Range(0, 65535)},
         {7, Kind::kArray, Range(100, 4195)}}}},
      // No-run cookie with a bitmap container (more than 4096 values).
      {{0, {{0, Kind::kArray, {0}}, {9, Kind::kBitmap, Range(1, 65535, 13)}}}},
      // Several buckets, up to the largest key Delta allows; an empty bucket.
      {{0, {{0, Kind::kArray, {1, 2}}}},
       {1, {{0, Kind::kRun, Range(0, 3)}, {65535, Kind::kArray, {65535}}}},
       {5, {}},
       {0x7FFFFFFF, {{65535, Kind::kBitmap, Range(60000, 65535)}}}},
      // No buckets at all.
      {},
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    std::vector<std::pair<uint32_t, std::string>> buckets;
    for (const auto& [key, containers] : cases[i]) buckets.push_back({key, Roaring32(containers)});
    const std::vector<uint64_t> expected = Rows(cases[i]);
    auto rows =
        LoadDeletedRows("/unused", Inline(DvData(buckets), static_cast<int64_t>(expected.size())));
    ASSERT_THAT(rows.status(), IsOk());
    EXPECT_EQ(*rows, expected);
  }
}

TEST(LoadDeletedRowsTest, RefusesMalformedBitmaps) {
  const std::string array = Roaring32({{0, Kind::kArray, {1, 2, 3}}});
  const std::string run = Roaring32({{0, Kind::kRun, {1, 2, 3}}});
  const std::string bitmap = Roaring32({{0, Kind::kBitmap, Range(0, 4096)}});
  auto with_byte = [](std::string s, size_t at, char value) {
    s[at] = value;
    return s;
  };
  const struct {
    std::string name;
    std::string data;
    int64_t cardinality;
    std::string reason;
  } cases[] = {
      {"legacy magic", DvData({{0, array}}, 1681511376), 3, "magic number"},
      {"bad cookie", DvData({{0, with_byte(array, 0, 0x3c)}}), 3, "cookie"},
      // Array values 1, 5, 3.
      {"unsorted array", DvData({{0, with_byte(array, 18, 5)}}), 3, "ascending"},
      {"run past 65535", DvData({{0, with_byte(with_byte(run, 11, -1), 12, -1)}}), 3, "65535"},
      {"run count off", DvData({{0, with_byte(run, 9, 2)}}), 3, "run container"},
      {"bitmap popcount", DvData({{0, with_byte(bitmap, 16 + 512, 3)}}), 4097, "bits set"},
      {"offset header", DvData({{0, with_byte(array, 12, 17)}}), 3, "offset header"},
      {"truncated", DvData({{0, array.substr(0, array.size() - 1)}}), 3, "ends inside"},
      {"trailing bytes", DvData({{0, array + "\x01\x02\x03\x04"}}), 3, "follow the bitmap"},
      {"key top bit", DvData({{0x80000000u, array}}), 3, "top bit"},
      {"keys out of order", DvData({{2, array}, {1, array}}), 6, "out of order"},
      {"cardinality too high", DvData({{0, array}}), 4, "cardinality is 4"},
      {"cardinality too low", DvData({{0, array}}), 2, "more than 2 rows"},
      // PROTOCOL.md "JSON Example 3" is the older RoaringBitmapArray layout written big-endian;
      // delta-spark refuses it too.
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(LoadDeletedRows("/unused", Inline(c.data, c.cardinality)).status(),
                StatusIs(StatusCode::kCorruption,
                         AllOf(HasSubstr("inline deletion vector"), HasSubstr(c.reason))));
  }
  DeletionVectorDescriptor example3;
  example3.storage_type = "i";
  example3.path_or_inline_dv = "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L";
  example3.size_in_bytes = 40;
  example3.cardinality = 6;
  EXPECT_THAT(LoadDeletedRows("/unused", example3).status(),
              StatusIs(StatusCode::kCorruption, HasSubstr("magic number")));
  DeletionVectorDescriptor wrong_size = Inline(DvData({{0, array}}), 3);
  wrong_size.size_in_bytes -= 4;
  EXPECT_THAT(LoadDeletedRows("/unused", wrong_size).status(),
              StatusIs(StatusCode::kCorruption, HasSubstr("sizeInBytes")));
}

// ---- Stored vectors ----

TEST(LoadDeletedRowsTest, ReadsTheSmallGoldenVector) {
  auto rows = LoadDeletedRows(GoldenTable(kSmallTable), SmallTableDv());
  ASSERT_THAT(rows.status(), IsOk());
  EXPECT_THAT(*rows, ElementsAre(0u, 9u));

  // The same file named by an absolute URI, and without an offset (it follows the version byte).
  DeletionVectorDescriptor absolute = SmallTableDv();
  absolute.storage_type = "p";
  absolute.path_or_inline_dv = "file://" + GoldenTable(kSmallTable) + "/" + kSmallDvFile;
  absolute.offset.reset();
  rows = LoadDeletedRows("/unused", absolute);
  ASSERT_THAT(rows.status(), IsOk());
  EXPECT_THAT(*rows, ElementsAre(0u, 9u));
}

TEST(LoadDeletedRowsTest, ReadsSeveralVectorsOfOneFileUnderARandomPrefix) {
  TempDir dir;
  const std::string small = testing::ReadFile(GoldenTable(kSmallTable) + "/" + kSmallDvFile);
  const std::string other = testing::ReadFile(
      GoldenTable(kPartitionedTable) + "/deletion_vector_0237686e-c424-4e4c-8337-e8bd1b02ea48.bin");
  ASSERT_EQ(small.size(), 45u);
  ASSERT_EQ(other.size(), 47u);
  // One version byte, then each file's framed vector.
  testing::WriteFile(dir.Join(std::string("xy/") + kSmallDvFile), small + other.substr(1));

  DeletionVectorDescriptor first = SmallTableDv();
  first.path_or_inline_dv = std::string("xy") + kSmallUuidZ85;
  DeletionVectorDescriptor second = first;
  second.offset = 45;
  second.size_in_bytes = 38;
  second.cardinality = 3;
  auto rows = LoadDeletedRows(dir.path(), first);
  ASSERT_THAT(rows.status(), IsOk());
  EXPECT_THAT(*rows, ElementsAre(0u, 9u));
  rows = LoadDeletedRows(dir.path(), second);
  ASSERT_THAT(rows.status(), IsOk());
  EXPECT_THAT(*rows, ElementsAre(0u, 1u, 2u));
}

class DamagedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = testing::ReadFile(GoldenTable(kSmallTable) + "/" + kSmallDvFile);
    ASSERT_EQ(bytes_.size(), 45u);
  }
  // Writes `bytes` as the small table's DV file in a temporary table and loads it.
  Result<std::vector<uint64_t>> Load(const std::string& bytes,
                                     const DeletionVectorDescriptor& dv = SmallTableDv()) {
    testing::WriteFile(path(), bytes);
    return LoadDeletedRows(dir_.path(), dv);
  }
  std::string path() const { return dir_.Join(kSmallDvFile); }

  TempDir dir_;
  std::string bytes_;
};

TEST_F(DamagedFileTest, FlippedByteIsAChecksumMismatchNamingTheFile) {
  std::string damaged = bytes_;
  damaged[5 + 30] = static_cast<char>(damaged[5 + 30] ^ 0x01);  // inside the array container
  EXPECT_THAT(Load(damaged).status(),
              StatusIs(StatusCode::kCorruption, AllOf(HasSubstr(path()), HasSubstr("checksum"))));
  damaged = bytes_;
  damaged[44] = static_cast<char>(damaged[44] ^ 0x80);  // the stored CRC itself
  EXPECT_THAT(Load(damaged).status(),
              StatusIs(StatusCode::kCorruption, AllOf(HasSubstr(path()), HasSubstr("checksum"))));
  EXPECT_THAT(Load(bytes_).status(), IsOk());
}

TEST_F(DamagedFileTest, WrongCardinalityIsAnError) {
  DeletionVectorDescriptor dv = SmallTableDv();
  dv.cardinality = 3;
  EXPECT_THAT(
      Load(bytes_, dv).status(),
      StatusIs(StatusCode::kCorruption, AllOf(HasSubstr(path()), HasSubstr("cardinality"))));
  dv.cardinality = 1;
  EXPECT_THAT(
      Load(bytes_, dv).status(),
      StatusIs(StatusCode::kCorruption, AllOf(HasSubstr(path()), HasSubstr("cardinality"))));
}

TEST_F(DamagedFileTest, FramingErrorsNameTheFileAndTheReason) {
  std::string version_2 = bytes_;
  version_2[0] = 2;
  EXPECT_THAT(Load(version_2).status(),
              StatusIs(StatusCode::kCorruption, AllOf(HasSubstr(path()), HasSubstr("version"))));
  EXPECT_THAT(Load(bytes_.substr(0, 40)).status(),
              StatusIs(StatusCode::kCorruption, AllOf(HasSubstr(path()), HasSubstr("needs 45"))));
  DeletionVectorDescriptor dv = SmallTableDv();
  dv.size_in_bytes = 34;
  EXPECT_THAT(
      Load(bytes_, dv).status(),
      StatusIs(StatusCode::kCorruption, AllOf(HasSubstr(path()), HasSubstr("sizeInBytes"))));
  dv = SmallTableDv();
  dv.offset = 0;
  EXPECT_THAT(Load(bytes_, dv).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("version byte")));
}

TEST_F(DamagedFileTest, MissingFileIsNotFoundNamingThePath) {
  EXPECT_THAT(LoadDeletedRows(dir_.path(), SmallTableDv()).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr(path())));
}

// ---- Golden tables: the log's vectors applied to the parquet rows equal the expected rows ----

struct FileAction {
  bool is_add = false;
  std::string path;
  std::map<std::string, std::string> partition_values;  // null → ""
  std::optional<DeletionVectorDescriptor> dv;
  std::string Key() const { return path + "|" + (dv ? dv->UniqueId() : ""); }
};

// The add and remove actions of each JSON commit, by version, read with nlohmann directly.
std::map<int64_t, std::vector<FileAction>> ReadJsonCommits(const std::string& table_root) {
  std::map<int64_t, std::vector<FileAction>> commits;
  for (int64_t version = 0;; ++version) {
    char name[32];
    std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
    std::ifstream in(table_root + "/_delta_log/" + name);
    if (!in) break;
    std::vector<FileAction>& actions = commits[version];
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      const auto json = nlohmann::json::parse(line);
      for (const char* kind : {"add", "remove"}) {
        if (!json.contains(kind)) continue;
        const nlohmann::json& body = json[kind];
        FileAction action;
        action.is_add = std::string(kind) == "add";
        action.path = body.at("path").get<std::string>();
        const nlohmann::json partition_values =
            body.value("partitionValues", nlohmann::json::object());
        for (const auto& [column, value] : partition_values.items()) {
          action.partition_values[column] = value.is_null() ? "" : value.get<std::string>();
        }
        if (body.contains("deletionVector") && !body["deletionVector"].is_null()) {
          auto dv = ParseDeletionVector(body["deletionVector"]);
          EXPECT_THAT(dv.status(), IsOk()) << name;
          if (dv.ok()) action.dv = *dv;
        }
        actions.push_back(std::move(action));
      }
    }
  }
  return commits;
}

// The active files after replaying commits up to `version`, keyed by path and DV id.
std::map<std::string, FileAction> Replay(const std::map<int64_t, std::vector<FileAction>>& commits,
                                         int64_t version) {
  std::map<std::string, FileAction> active;
  for (const auto& [v, actions] : commits) {
    if (v > version) break;
    for (const FileAction& a : actions) {
      if (a.is_add) {
        active[a.Key()] = a;
      } else {
        active.erase(a.Key());
      }
    }
  }
  return active;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

class GoldenTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = duck::Database::Open("", duck::DatabaseOptions{});
    ASSERT_THAT(db.status(), IsOk());
    db_ = std::move(db).value();
    auto conn = duck::Connection::Open(*db_);
    ASSERT_THAT(conn.status(), IsOk());
    conn_ = std::move(conn).value();
  }

  // Every row of the active files with the deleted positions skipped, as CSV lines in `header`'s
  // column order (partition columns from the log, the rest from the parquet file).
  void ReadRows(const std::string& table_root, const std::map<std::string, FileAction>& active,
                const std::vector<std::string>& header, std::vector<std::string>* out) {
    for (const auto& [key, file] : active) {
      SCOPED_TRACE(file.path);
      std::set<uint64_t> deleted;
      if (file.dv) {
        auto rows = LoadDeletedRows(table_root, *file.dv);
        ASSERT_THAT(rows.status(), IsOk());
        deleted.insert(rows->begin(), rows->end());
      }
      auto result = conn_->Query("SELECT * FROM read_parquet(" +
                                     duck::QuoteLiteral(table_root + "/" + file.path) +
                                     ", file_row_number = true)",
                                 "read a golden data file");
      ASSERT_THAT(result.status(), IsOk());
      std::map<std::string, size_t> column_index;
      for (size_t c = 0; c < result->ColumnCount(); ++c) column_index[result->ColumnName(c)] = c;
      ASSERT_TRUE(column_index.count("file_row_number"));
      size_t skipped = 0;
      for (size_t r = 0; r < result->RowCount(); ++r) {
        const int64_t position = result->GetInt64(column_index["file_row_number"], r);
        if (deleted.count(static_cast<uint64_t>(position))) {
          ++skipped;
          continue;
        }
        std::string line;
        for (size_t i = 0; i < header.size(); ++i) {
          const std::string& column = header[i];
          if (i > 0) line += ',';
          if (file.partition_values.count(column)) {
            line += file.partition_values.at(column);
          } else {
            ASSERT_TRUE(column_index.count(column)) << column;
            const size_t c = column_index[column];
            if (!result->IsNull(c, r)) line += result->GetString(c, r);
          }
        }
        out->push_back(line);
      }
      EXPECT_EQ(skipped, deleted.size()) << "a deleted position is past the file's last row";
    }
  }

  // Compares the table's rows at its latest JSON commit with _expected/<table>/latest.csv.
  void ExpectLatestRows(const std::string& table) {
    const auto commits = ReadJsonCommits(GoldenTable(table));
    ASSERT_FALSE(commits.empty());
    const auto active = Replay(commits, commits.rbegin()->first);
    std::vector<std::string> expected =
        SplitLines(testing::ReadFile(ExpectedDir(table) + "/latest.csv"));
    ASSERT_FALSE(expected.empty());
    std::vector<std::string> header;
    std::istringstream header_line(expected.front());
    for (std::string column; std::getline(header_line, column, ',');) header.push_back(column);
    expected.erase(expected.begin());

    std::vector<std::string> actual;
    ReadRows(GoldenTable(table), active, header, &actual);
    std::sort(actual.begin(), actual.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(actual, expected);

    const auto manifest =
        nlohmann::json::parse(testing::ReadFile(ExpectedDir(table) + "/manifest.json"));
    EXPECT_EQ(commits.rbegin()->first, manifest.at("latest_version").get<int64_t>());
    EXPECT_EQ(static_cast<int64_t>(actual.size()), manifest.at("latest_row_count").get<int64_t>());
    std::map<std::string, int64_t> expected_files, actual_files;
    for (const auto& f : manifest.at("latest_active_files")) {
      expected_files[f.at("path").get<std::string>()] = f.at("dv_cardinality").get<int64_t>();
    }
    for (const auto& [key, file] : active) {
      actual_files[file.path] = file.dv ? file.dv->cardinality : 0;
    }
    EXPECT_EQ(actual_files, expected_files);
  }

  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> conn_;
};

TEST_F(GoldenTableTest, EveryVectorInTheLogLoadsWithItsCardinality) {
  for (const char* table : {kSmallTable, kPartitionedTable}) {
    size_t vectors = 0;
    for (const auto& [version, actions] : ReadJsonCommits(GoldenTable(table))) {
      for (const FileAction& a : actions) {
        if (!a.dv) continue;
        SCOPED_TRACE(std::string(table) + " v" + std::to_string(version) + " " + a.dv->UniqueId());
        auto rows = LoadDeletedRows(GoldenTable(table), *a.dv);
        ASSERT_THAT(rows.status(), IsOk());
        EXPECT_EQ(static_cast<int64_t>(rows->size()), a.dv->cardinality);
        EXPECT_TRUE(std::adjacent_find(rows->begin(), rows->end(), std::greater_equal<>()) ==
                    rows->end())
            << "rows are not strictly ascending";
        ++vectors;
      }
    }
    EXPECT_GT(vectors, 0u) << table;
  }
}

TEST_F(GoldenTableTest, SmallTableMatchesTheExpectedRows) { ExpectLatestRows(kSmallTable); }

TEST_F(GoldenTableTest, PartitionedTableMatchesTheExpectedRows) {
  ExpectLatestRows(kPartitionedTable);
}

TEST_F(GoldenTableTest, CheckpointVectorsMatchTheJsonReplay) {
  const std::string root = GoldenTable(kPartitionedTable);
  auto result = conn_->Query(
      "SELECT \"add\".path, CAST(to_json(\"add\".deletionVector) AS VARCHAR) FROM read_parquet(" +
          duck::QuoteLiteral(root + "/_delta_log/00000000000000000010.checkpoint.parquet") +
          ") WHERE \"add\".deletionVector IS NOT NULL",
      "read the golden checkpoint's deletion vectors");
  ASSERT_THAT(result.status(), IsOk());
  std::set<std::string> from_checkpoint;
  for (size_t r = 0; r < result->RowCount(); ++r) {
    auto dv = ParseDeletionVector(nlohmann::json::parse(result->GetString(1, r)));
    ASSERT_THAT(dv.status(), IsOk());
    auto rows = LoadDeletedRows(root, *dv);
    ASSERT_THAT(rows.status(), IsOk());
    EXPECT_EQ(static_cast<int64_t>(rows->size()), dv->cardinality);
    from_checkpoint.insert(result->GetString(0, r) + "|" + dv->UniqueId());
  }
  std::set<std::string> from_json;
  for (const auto& [key, file] : Replay(ReadJsonCommits(root), 10)) {
    if (file.dv) from_json.insert(key);
  }
  EXPECT_THAT(from_json, ::testing::Not(IsEmpty()));
  EXPECT_EQ(from_checkpoint, from_json);
}

}  // namespace
}  // namespace dlake::delta
