#include "delta/stats.h"

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <variant>

#include "delta/partition_values.h"

namespace dlake::delta {
namespace {

using Op = ColumnPredicate::Op;
using LiteralKind = ColumnPredicate::LiteralKind;
using nlohmann::json;

constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;
constexpr int64_t kMicrosPerMilli = 1000;
constexpr size_t kStringPrefixLength = 32;  // code points, as Spark's stats truncation

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// ============================ Predicate parsing ============================

struct Token {
  enum class Kind { kWord, kQuoted, kString, kNumber, kOp, kLParen, kRParen, kDot, kCast, kOther };
  Kind kind;
  std::string text;  // words as written; quotes removed from strings and quoted names; ops
                     // normalised to = != < <= > >=
  bool IsWord(std::string_view word) const {
    return kind == Kind::kWord && EqualsIgnoreCase(text, word);
  }
  bool Is(Kind k, std::string_view t) const { return kind == k && text == t; }
};
using Tokens = std::span<const Token>;

bool IsWordStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsWordChar(char c) {
  return IsWordStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

// Reads a quoted run starting at sql[i] == quote, doubled quotes standing for one.
std::optional<std::string> ReadQuoted(std::string_view sql, size_t& i, char quote) {
  std::string out;
  for (++i; i < sql.size(); ++i) {
    if (sql[i] != quote) {
      out += sql[i];
    } else if (i + 1 < sql.size() && sql[i + 1] == quote) {
      out += quote;
      ++i;
    } else {
      ++i;
      return out;
    }
  }
  return std::nullopt;
}

size_t ReadNumber(std::string_view sql, size_t i) {
  auto digits = [&] {
    while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
  };
  digits();
  if (i < sql.size() && sql[i] == '.') ++i, digits();
  if (i < sql.size() && (sql[i] == 'e' || sql[i] == 'E')) {
    size_t j = i + 1;
    if (j < sql.size() && (sql[j] == '+' || sql[j] == '-')) ++j;
    if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) i = j, digits();
  }
  return i;
}

// The tokens of `sql`, or nullopt when it holds something a token-level reading could get wrong
// (an unterminated quote, a comment, E'' or dollar-quoted strings).
std::optional<std::vector<Token>> Tokenize(std::string_view sql) {
  using Kind = Token::Kind;
  std::vector<Token> out;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if ((c == '-' && next == '-') || (c == '/' && next == '*') || c == '$') {
      return std::nullopt;
    } else if (c == '\'' || c == '"') {
      std::optional<std::string> text = ReadQuoted(sql, i, c);
      if (!text) return std::nullopt;
      out.push_back({c == '\'' ? Kind::kString : Kind::kQuoted, std::move(*text)});
    } else if (IsWordStart(c)) {
      size_t end = i;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      std::string word(sql.substr(i, end - i));
      // E'...' strings take backslash escapes, which would throw the quote matching off.
      if (end < sql.size() && sql[end] == '\'' && EqualsIgnoreCase(word, "e")) return std::nullopt;
      out.push_back({Kind::kWord, std::move(word)});
      i = end;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && std::isdigit(static_cast<unsigned char>(next)))) {
      size_t end = ReadNumber(sql, i);
      // 1_000, 0x1F, 12abc: not a plain number.
      Kind kind = end < sql.size() && IsWordChar(sql[end]) ? Kind::kOther : Kind::kNumber;
      out.push_back({kind, std::string(sql.substr(i, end - i))});
      i = end;
    } else {
      static constexpr std::pair<std::string_view, std::string_view> kOps[] = {
          {"<=", "<="}, {">=", ">="}, {"<>", "!="}, {"!=", "!="},
          {"==", "="},  {"=", "="},   {"<", "<"},   {">", ">"}};
      bool matched = false;
      for (const auto& [spelling, op] : kOps) {
        // "<=>" and "=>" / "->" style operators must not be read as a comparison.
        if (sql.substr(i, spelling.size()) == spelling) {
          const char after = i + spelling.size() < sql.size() ? sql[i + spelling.size()] : '\0';
          if (after == '>' || after == '=' || after == '<') break;
          out.push_back({Kind::kOp, std::string(op)});
          i += spelling.size();
          matched = true;
          break;
        }
      }
      if (matched) continue;
      if (c == ':' && next == ':') {
        out.push_back({Kind::kCast, "::"});
        i += 2;
        continue;
      }
      Kind kind = c == '('   ? Kind::kLParen
                  : c == ')' ? Kind::kRParen
                  : c == '.' ? Kind::kDot
                             : Kind::kOther;
      out.push_back({kind, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

// Nesting depth changes: parentheses and CASE ... END.
int DepthChange(const Token& t) {
  if (t.kind == Token::Kind::kLParen || t.IsWord("case")) return 1;
  if (t.kind == Token::Kind::kRParen || t.IsWord("end")) return -1;
  return 0;
}

bool Balanced(Tokens tokens) {
  int depth = 0;
  for (const Token& t : tokens) {
    depth += DepthChange(t);
    if (depth < 0) return false;
  }
  return depth == 0;
}

// Splits at top-level ANDs, leaving the AND of each BETWEEN ... AND ... in place.
std::vector<Tokens> SplitTopLevelAnd(Tokens tokens) {
  std::vector<Tokens> parts;
  int depth = 0;
  bool in_between = false;
  size_t start = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    depth += DepthChange(tokens[i]);
    if (depth != 0) continue;
    if (tokens[i].IsWord("between")) {
      in_between = true;
    } else if (tokens[i].IsWord("and")) {
      if (in_between) {
        in_between = false;
      } else {
        parts.push_back(tokens.subspan(start, i - start));
        start = i + 1;
      }
    }
  }
  parts.push_back(tokens.subspan(start));
  return parts;
}

bool HasTopLevelOr(Tokens tokens) {
  int depth = 0;
  for (const Token& t : tokens) {
    depth += DepthChange(t);
    if (depth == 0 && t.IsWord("or")) return true;
  }
  return false;
}

bool IsReserved(const Token& t) {
  static constexpr std::string_view kReserved[] = {
      "and",  "or",     "not",      "is",      "null", "true", "false", "between", "in",
      "like", "ilike",  "glob",     "similar", "case", "when", "then",  "else",    "end",
      "cast", "exists", "interval", "select",  "any",  "all",  "some",  "collate"};
  for (std::string_view word : kReserved) {
    if (t.IsWord(word)) return true;
  }
  return false;
}

// A cursor over one conjunct's tokens.
class ConjunctParser {
 public:
  explicit ConjunctParser(Tokens tokens) : tokens_(tokens) {}

  // The predicates of a whole conjunct in one of the understood forms; empty otherwise.
  std::vector<ColumnPredicate> Parse() {
    std::vector<ColumnPredicate> out;
    ColumnPredicate p;
    if (Column(p.column)) {
      if (AcceptWord("is")) {
        p.op = AcceptWord("not") ? Op::kIsNotNull : Op::kIsNull;
        if (!AcceptWord("null") || !AtEnd()) return {};
        return {p};
      }
      if (AcceptWord("between")) {
        ColumnPredicate high = p;
        p.op = Op::kGe;
        high.op = Op::kLe;
        if (!Literal(p) || !AcceptWord("and") || !Literal(high) || !AtEnd()) return {};
        return {p, high};
      }
      if (!Comparison(p.op) || !Literal(p) || !AtEnd()) return {};
      return {p};
    }
    pos_ = 0;
    if (!Literal(p) || !Comparison(p.op) || !Column(p.column) || !AtEnd()) return {};
    p.op = Flip(p.op);
    return {p};
  }

 private:
  using Kind = Token::Kind;

  bool AtEnd() const { return pos_ == tokens_.size(); }
  const Token* Peek(size_t ahead = 0) const {
    return pos_ + ahead < tokens_.size() ? &tokens_[pos_ + ahead] : nullptr;
  }
  bool AcceptWord(std::string_view word) {
    if (!Peek() || !Peek()->IsWord(word)) return false;
    ++pos_;
    return true;
  }
  bool Accept(Kind kind) {
    if (!Peek() || Peek()->kind != kind) return false;
    ++pos_;
    return true;
  }

  static Op Flip(Op op) {
    switch (op) {
      case Op::kLt:
        return Op::kGt;
      case Op::kLe:
        return Op::kGe;
      case Op::kGt:
        return Op::kLt;
      case Op::kGe:
        return Op::kLe;
      default:
        return op;
    }
  }

  bool Comparison(Op& op) {
    if (!Peek() || Peek()->kind != Kind::kOp) return false;
    const std::string& t = tokens_[pos_++].text;
    op = t == "="    ? Op::kEq
         : t == "!=" ? Op::kNe
         : t == "<"  ? Op::kLt
         : t == "<=" ? Op::kLe
         : t == ">"  ? Op::kGt
                     : Op::kGe;
    return true;
  }

  bool Name(std::string& out) {
    const Token* t = Peek();
    if (!t) return false;
    if (t->kind == Kind::kQuoted) {
      // "a.b" would read back as a path.
      if (t->text.empty() || t->text.find('.') != std::string::npos) return false;
    } else if (t->kind != Kind::kWord || IsReserved(*t) || IsTypedLiteralStart()) {
      return false;
    }
    out = t->text;
    ++pos_;
    return true;
  }

  bool Column(std::string& out) {
    if (!Name(out)) return false;
    while (Peek() && Peek()->kind == Kind::kDot) {
      ++pos_;
      std::string field;
      if (!Name(field)) return false;
      out += "." + field;
    }
    return true;
  }

  // DATE 'x', TIMESTAMP 'x', TIMESTAMP WITH TIME ZONE 'x', ...
  bool IsTypedLiteralStart() const {
    size_t ahead = 0;
    LiteralKind kind;
    return TypeNameAt(ahead, kind) && Peek(ahead) && Peek(ahead)->kind == Kind::kString;
  }

  // Reads a type name starting `ahead` tokens on; advances `ahead` past it.
  bool TypeNameAt(size_t& ahead, LiteralKind& kind) const {
    const Token* t = Peek(ahead);
    if (!t) return false;
    if (t->IsWord("date")) {
      kind = LiteralKind::kDate;
    } else if (t->IsWord("timestamptz")) {
      kind = LiteralKind::kTimestampTz;
    } else if (t->IsWord("timestamp") || t->IsWord("datetime")) {
      kind = LiteralKind::kTimestamp;
      const Token* with = Peek(ahead + 1);
      if (with && (with->IsWord("with") || with->IsWord("without"))) {
        if (!Peek(ahead + 2) || !Peek(ahead + 2)->IsWord("time") || !Peek(ahead + 3) ||
            !Peek(ahead + 3)->IsWord("zone")) {
          return false;
        }
        if (with->IsWord("with")) kind = LiteralKind::kTimestampTz;
        ahead += 3;
      }
    } else if (t->IsWord("varchar") || t->IsWord("text") || t->IsWord("string")) {
      kind = LiteralKind::kString;
    } else {
      return false;
    }
    ++ahead;
    return true;
  }

  bool TypeName(LiteralKind& kind) {
    size_t ahead = 0;
    if (!TypeNameAt(ahead, kind)) return false;
    pos_ += ahead;
    return true;
  }

  bool Literal(ColumnPredicate& p) {
    const Token* t = Peek();
    if (!t) return false;
    if (t->kind == Kind::kNumber) {
      p.literal = t->text;
      p.literal_kind = LiteralKind::kNumber;
      ++pos_;
      return true;
    }
    if ((t->Is(Kind::kOther, "-") || t->Is(Kind::kOther, "+")) && Peek(1) &&
        Peek(1)->kind == Kind::kNumber) {
      p.literal = (t->text == "-" ? "-" : "") + Peek(1)->text;
      p.literal_kind = LiteralKind::kNumber;
      pos_ += 2;
      return true;
    }
    if (t->IsWord("true") || t->IsWord("false")) {
      p.literal = t->IsWord("true") ? "true" : "false";
      p.literal_kind = LiteralKind::kBoolean;
      ++pos_;
      return true;
    }
    if (t->kind == Kind::kString) {
      p.literal = t->text;
      p.literal_kind = LiteralKind::kString;
      ++pos_;
      if (Accept(Kind::kCast)) return TypeName(p.literal_kind);
      return true;
    }
    if (t->IsWord("cast")) {  // CAST('text' AS type)
      ++pos_;
      if (!Accept(Kind::kLParen) || !Peek() || Peek()->kind != Kind::kString) return false;
      p.literal = tokens_[pos_++].text;
      return AcceptWord("as") && TypeName(p.literal_kind) && Accept(Kind::kRParen);
    }
    if (TypeName(p.literal_kind)) {
      if (!Peek() || Peek()->kind != Kind::kString) return false;
      p.literal = tokens_[pos_++].text;
      return true;
    }
    return false;
  }

  Tokens tokens_;
  size_t pos_ = 0;
};

void ParseConjunction(Tokens tokens, std::vector<ColumnPredicate>& out) {
  if (!Balanced(tokens) || HasTopLevelOr(tokens)) return;
  for (Tokens conjunct : SplitTopLevelAnd(tokens)) {
    if (conjunct.empty()) continue;
    // Parentheses around the whole conjunct: look inside.
    if (conjunct.front().kind == Token::Kind::kLParen &&
        conjunct.back().kind == Token::Kind::kRParen &&
        Balanced(conjunct.subspan(1, conjunct.size() - 2))) {
      ParseConjunction(conjunct.subspan(1, conjunct.size() - 2), out);
      continue;
    }
    for (ColumnPredicate& p : ConjunctParser(conjunct).Parse()) out.push_back(std::move(p));
  }
}

// ============================ Values and skipping ============================

// How a column's values are compared and how its stats are written.
enum class ColumnKind {
  kInteger,
  kFloat,
  kDouble,
  kDecimal,
  kBoolean,
  kString,
  kBinary,
  kDate,
  kTimestamp,
  kTimestampNtz,
  kCollection,
  kStruct,
  kUnknown
};

ColumnKind KindOf(const DataType& type) {
  switch (type.kind) {
    case DataType::Kind::kDecimal:
      return ColumnKind::kDecimal;
    case DataType::Kind::kStruct:
      return ColumnKind::kStruct;
    case DataType::Kind::kArray:
    case DataType::Kind::kMap:
      return ColumnKind::kCollection;
    case DataType::Kind::kPrimitive:
      break;
  }
  const std::string& p = type.primitive;
  if (p == "long" || p == "integer" || p == "short" || p == "byte") return ColumnKind::kInteger;
  if (p == "float") return ColumnKind::kFloat;
  if (p == "double") return ColumnKind::kDouble;
  if (p == "boolean") return ColumnKind::kBoolean;
  if (p == "string") return ColumnKind::kString;
  if (p == "binary") return ColumnKind::kBinary;
  if (p == "date") return ColumnKind::kDate;
  if (p == "timestamp") return ColumnKind::kTimestamp;
  if (p == "timestamp_ntz") return ColumnKind::kTimestampNtz;
  return ColumnKind::kUnknown;
}

// Numbers, booleans (0/1), dates and timestamps (microseconds) compare as Numbers.
struct Number {
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
};
using Scalar = std::variant<Number, std::string>;

Scalar Int(int64_t v) { return Number{true, v, static_cast<double>(v)}; }
Scalar Real(double v) { return Number{false, 0, v}; }

// -1, 0 or 1 when certain. Two doubles that are equal may stand for different exact values (a
// decimal, a literal), so equal non-integers are not certain; rounding to double keeps order, so
// unequal ones are.
std::optional<int> Compare(const Scalar& a, const Scalar& b) {
  if (a.index() != b.index()) return std::nullopt;
  if (const auto* x = std::get_if<Number>(&a)) {
    const Number& y = std::get<Number>(b);
    if (x->is_int && y.is_int) return x->i < y.i ? -1 : x->i > y.i ? 1 : 0;
    if (x->d < y.d) return -1;
    if (x->d > y.d) return 1;
    return std::nullopt;
  }
  const int c = std::get<std::string>(a).compare(std::get<std::string>(b));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// "-12", "3.5", "1e3": an exact integer when it is one, else the nearest double.
std::optional<Scalar> ParseNumber(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size()) return Int(v);
  std::string copy(text);
  char* stop = nullptr;
  const double d = std::strtod(copy.c_str(), &stop);
  if (stop != copy.c_str() + copy.size() || std::isnan(d)) return std::nullopt;
  // strtod also reads hex and "inf"; only plain decimal forms and infinities are numbers here.
  if (copy.find_first_of("xXpP") != std::string::npos) return std::nullopt;
  return Real(d);
}

// Bounds for the float DuckDB makes of a number read as the double `d`: the float nearest to d
// and its neighbours, which covers a rounding that went through another path.
double FloatBelow(double d) {
  if (!(std::fabs(d) <= std::numeric_limits<float>::max())) return d > 0 ? FLT_MAX : -INFINITY;
  return std::min(d, static_cast<double>(std::nextafter(static_cast<float>(d), -INFINITY)));
}
double FloatAbove(double d) {
  if (!(std::fabs(d) <= std::numeric_limits<float>::max())) return d < 0 ? -FLT_MAX : INFINITY;
  return std::max(d, static_cast<double>(std::nextafter(static_cast<float>(d), INFINITY)));
}

// What a file's values of one column lie within. Bounds are absent when unknown.
struct ValueRange {
  std::optional<Scalar> min, max;
  bool max_is_prefix = false;  // strings: values may extend `max` (it may be truncated)
};

// The values a literal may stand for once DuckDB has cast it for the comparison.
struct LiteralRange {
  Scalar lo, hi;
};

ValueRange Exact(Scalar v) { return {v, v, false}; }

ValueRange Widened(const Scalar& v, int64_t by) {
  const Number& n = std::get<Number>(v);
  return {Int(n.i - by), Int(n.i + by), false};
}

// A partition value's range: exact, but for floats (the column holds float(text)).
std::optional<ValueRange> PartitionRange(const std::string& text, ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kInteger:
    case ColumnKind::kDecimal:
    case ColumnKind::kDouble: {
      std::optional<Scalar> n = ParseNumber(text);
      if (!n) return std::nullopt;
      return Exact(*n);
    }
    case ColumnKind::kFloat: {
      std::optional<Scalar> n = ParseNumber(text);
      if (!n) return std::nullopt;
      const double d = std::get<Number>(*n).d;
      return ValueRange{Real(FloatBelow(d)), Real(FloatAbove(d)), false};
    }
    case ColumnKind::kBoolean:
      if (EqualsIgnoreCase(text, "true")) return Exact(Int(1));
      if (EqualsIgnoreCase(text, "false")) return Exact(Int(0));
      return std::nullopt;
    case ColumnKind::kString:
      return Exact(text);
    case ColumnKind::kDate:
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz: {
      std::optional<TimestampText> ts = ParseTimestampText(text);
      if (!ts) return std::nullopt;
      if (kind == ColumnKind::kDate && (ts->has_time || ts->has_offset)) return std::nullopt;
      if (kind == ColumnKind::kTimestampNtz && ts->has_offset) return std::nullopt;
      // A timestamp without an offset is UTC, as PartitionValueSql reads it.
      return ts->exact ? Exact(Int(ts->micros)) : Widened(Int(ts->micros), 1);
    }
    default:
      return std::nullopt;
  }
}

size_t CodePoints(std::string_view s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

// One stats bound, moved outward by what writers lose: float rounding, milliseconds, zones.
std::optional<Scalar> StatBound(const json& value, ColumnKind kind, bool upper) {
  switch (kind) {
    case ColumnKind::kInteger:
    case ColumnKind::kDecimal:
    case ColumnKind::kDouble:
    case ColumnKind::kFloat: {
      std::optional<Scalar> n;
      if (value.is_number_unsigned() &&
          value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        n = Int(static_cast<int64_t>(value.get<uint64_t>()));
      } else if (value.is_number_integer() && !value.is_number_unsigned()) {
        n = Int(value.get<int64_t>());
      } else if (value.is_number()) {
        n = Real(value.get<double>());
      } else if (value.is_string()) {
        n = ParseNumber(value.get<std::string>());
      }
      if (!n || kind != ColumnKind::kFloat) return n;
      const double d = std::get<Number>(*n).d;
      return Real(upper ? FloatAbove(d) : FloatBelow(d));
    }
    case ColumnKind::kBoolean:
      if (!value.is_boolean()) return std::nullopt;
      return Int(value.get<bool>() ? 1 : 0);
    case ColumnKind::kString:
      if (!value.is_string()) return std::nullopt;
      return value.get<std::string>();
    case ColumnKind::kDate:
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz: {
      if (!value.is_string()) return std::nullopt;
      std::optional<TimestampText> ts = ParseTimestampText(value.get<std::string>());
      if (!ts) return std::nullopt;
      int64_t slack = 0;
      if (kind == ColumnKind::kDate) {
        if (ts->has_time || ts->has_offset) return std::nullopt;
      } else {
        // Timestamps are cut to milliseconds; a zone-less TIMESTAMPTZ bound or an offset on a
        // TIMESTAMP bound leaves the instant open by up to a day.
        const bool zone_unclear = (kind == ColumnKind::kTimestamp) != ts->has_offset;
        slack = zone_unclear ? kMicrosPerDay : kMicrosPerMilli;
      }
      return Int(upper ? ts->micros + slack : ts->micros - slack);
    }
    default:
      return std::nullopt;
  }
}

// The value at `path` in a stats object, matching names exactly or else ignoring case.
const json* Lookup(const json& root, std::string_view section,
                   const std::vector<std::string>& path) {
  auto child = [](const json& object, std::string_view name) -> const json* {
    if (!object.is_object()) return nullptr;
    auto it = object.find(std::string(name));
    if (it != object.end()) return &*it;
    for (auto i = object.begin(); i != object.end(); ++i) {
      if (EqualsIgnoreCase(i.key(), name)) return &*i;
    }
    return nullptr;
  };
  const json* node = child(root, section);
  for (const std::string& name : path) {
    if (!node) return nullptr;
    node = child(*node, name);
  }
  return node;
}

std::optional<int64_t> LookupCount(const json& root, std::string_view section,
                                   const std::vector<std::string>& path) {
  const json* node = Lookup(root, section, path);
  if (!node || !node->is_number_integer()) return std::nullopt;
  return node->get<int64_t>();
}

ValueRange StatsRange(const json& stats, const std::vector<std::string>& path, ColumnKind kind) {
  ValueRange range;
  if (const json* v = Lookup(stats, "minValues", path)) range.min = StatBound(*v, kind, false);
  if (const json* v = Lookup(stats, "maxValues", path)) range.max = StatBound(*v, kind, true);
  if (kind == ColumnKind::kString && range.max) {
    range.max_is_prefix = CodePoints(std::get<std::string>(*range.max)) >= kStringPrefixLength;
  }
  return range;
}

LiteralRange Around(int64_t micros, int64_t by) { return {Int(micros - by), Int(micros + by)}; }

// A date/timestamp literal against a date/timestamp column. The comparison happens in whatever
// type DuckDB casts to; where that involves the session time zone, allow a day either way.
std::optional<LiteralRange> TemporalLiteral(const ColumnPredicate& p, ColumnKind kind) {
  std::optional<TimestampText> ts = ParseTimestampText(*p.literal);
  if (!ts) return std::nullopt;
  const int64_t fuzz = ts->exact ? 0 : 1;
  switch (p.literal_kind) {
    case LiteralKind::kDate:
      if (ts->has_time || ts->has_offset) return std::nullopt;
      return Around(ts->micros, kind == ColumnKind::kTimestamp ? kMicrosPerDay : 0);
    case LiteralKind::kString:
      if (kind == ColumnKind::kDate) {  // cast to DATE: the time of day is dropped
        if (ts->has_offset) return std::nullopt;
        return Around(ts->micros - ((ts->micros % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay,
                      0);
      }
      if (kind == ColumnKind::kTimestamp) {
        return Around(ts->micros, ts->has_offset ? fuzz : kMicrosPerDay);
      }
      return Around(ts->micros, ts->has_offset ? kMicrosPerDay : fuzz);
    case LiteralKind::kTimestamp:
      if (kind == ColumnKind::kTimestamp || ts->has_offset)
        return Around(ts->micros, kMicrosPerDay);
      return Around(ts->micros, fuzz);
    case LiteralKind::kTimestampTz:
      if (kind == ColumnKind::kTimestamp && ts->has_offset) return Around(ts->micros, fuzz);
      return Around(ts->micros, kMicrosPerDay);
    default:
      return std::nullopt;
  }
}

// Digits after the point, or a large number when the text has an exponent.
int FractionDigits(std::string_view text) {
  if (text.find_first_of("eE") != std::string_view::npos) return 1000;
  const size_t dot = text.find('.');
  return dot == std::string_view::npos ? 0 : static_cast<int>(text.size() - dot - 1);
}

std::optional<LiteralRange> NumericLiteral(const ColumnPredicate& p, ColumnKind kind,
                                           const DataType& type) {
  if (p.literal_kind != LiteralKind::kNumber && p.literal_kind != LiteralKind::kString) {
    return std::nullopt;
  }
  std::string_view text = *p.literal;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::optional<Scalar> n = ParseNumber(text);
  if (!n) return std::nullopt;
  const double d = std::get<Number>(*n).d;
  if (kind == ColumnKind::kFloat) {  // DuckDB compares in FLOAT or in DOUBLE
    return LiteralRange{Real(FloatBelow(d)), Real(FloatAbove(d))};
  }
  if (kind == ColumnKind::kDouble) {
    return LiteralRange{Real(std::nextafter(d, -INFINITY)), Real(std::nextafter(d, INFINITY))};
  }
  // A 'string' is cast to the column's type, rounding to its scale; a number compares exactly.
  const int scale = kind == ColumnKind::kDecimal ? type.scale : 0;
  if (p.literal_kind == LiteralKind::kString && FractionDigits(text) > scale) {
    const double step = std::pow(10.0, -scale);
    return LiteralRange{Real(std::nextafter(d - step, -INFINITY)),
                        Real(std::nextafter(d + step, INFINITY))};
  }
  return LiteralRange{*n, *n};
}

std::optional<LiteralRange> LiteralFor(const ColumnPredicate& p, ColumnKind kind,
                                       const DataType& type) {
  if (!p.literal) return std::nullopt;
  switch (kind) {
    case ColumnKind::kString:
      if (p.literal_kind != LiteralKind::kString) return std::nullopt;
      return LiteralRange{*p.literal, *p.literal};
    case ColumnKind::kInteger:
    case ColumnKind::kDecimal:
    case ColumnKind::kFloat:
    case ColumnKind::kDouble:
      return NumericLiteral(p, kind, type);
    case ColumnKind::kBoolean:
      if (p.literal_kind != LiteralKind::kBoolean && p.literal_kind != LiteralKind::kString) {
        return std::nullopt;
      }
      if (EqualsIgnoreCase(*p.literal, "true")) return LiteralRange{Int(1), Int(1)};
      if (EqualsIgnoreCase(*p.literal, "false")) return LiteralRange{Int(0), Int(0)};
      return std::nullopt;
    case ColumnKind::kDate:
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz:
      return TemporalLiteral(p, kind);
    default:
      return std::nullopt;
  }
}

bool Certain(const std::optional<int>& c, bool (*test)(int)) { return c && test(*c); }

// Every value is below x (or, with or_equal, at most x).
bool AllBelow(const ValueRange& r, const Scalar& x, bool or_equal) {
  if (!r.max) return false;
  if (r.max_is_prefix) {
    // Values may be `max` followed by anything: all of them are below x only when x sorts after
    // max without starting with it.
    const auto* max = std::get_if<std::string>(&*r.max);
    const auto* s = std::get_if<std::string>(&x);
    return max && s && *s > *max && s->compare(0, max->size(), *max) != 0;
  }
  return Certain(
      Compare(*r.max, x), or_equal ? +[](int c) { return c <= 0; } : +[](int c) { return c < 0; });
}

// Every value is above x (or, with or_equal, at least x).
bool AllAbove(const ValueRange& r, const Scalar& x, bool or_equal) {
  if (!r.min) return false;
  return Certain(
      Compare(x, *r.min), or_equal ? +[](int c) { return c <= 0; } : +[](int c) { return c < 0; });
}

bool CannotMatch(Op op, const ValueRange& r, const LiteralRange& lit) {
  auto equal = [](const Scalar& a, const Scalar& b) { return Compare(a, b) == 0; };
  switch (op) {
    case Op::kEq:
      return AllBelow(r, lit.lo, false) || AllAbove(r, lit.hi, false);
    case Op::kLt:
      return AllAbove(r, lit.hi, true);
    case Op::kLe:
      return AllAbove(r, lit.hi, false);
    case Op::kGt:
      return AllBelow(r, lit.lo, true);
    case Op::kGe:
      return AllBelow(r, lit.lo, false);
    case Op::kNe:
      return !r.max_is_prefix && r.min && r.max && equal(*r.min, *r.max) && equal(*r.min, lit.lo) &&
             equal(lit.lo, lit.hi);
    default:
      return false;
  }
}

struct ResolvedColumn {
  const DataType* type = nullptr;
  std::vector<std::string> path;  // names as the schema spells them
};

std::optional<ResolvedColumn> Resolve(const Schema& schema, std::string_view column) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = column.find('.', start);
    parts.emplace_back(column.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  const StructField* field = schema.Find(parts[0]);
  if (!field || !field->type) return std::nullopt;
  ResolvedColumn out{field->type.get(), {field->name}};
  for (size_t i = 1; i < parts.size(); ++i) {
    if (out.type->kind != DataType::Kind::kStruct) return std::nullopt;
    const StructField* next = nullptr;
    for (const StructField& f : out.type->fields) {
      if (EqualsIgnoreCase(f.name, parts[i])) next = &f;
    }
    if (!next || !next->type) return std::nullopt;
    out.type = next->type.get();
    out.path.push_back(next->name);
  }
  return out;
}

const std::optional<std::string>* FindPartitionValue(const PartitionValues& values,
                                                     const std::string& name) {
  auto it = values.find(name);
  if (it != values.end()) return &it->second;
  for (const auto& [key, value] : values) {
    if (EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

struct FileFacts {
  const AddFile& file;
  const Schema& schema;
  const std::vector<std::string>& partition_columns;
  std::optional<json> stats;  // a parsed stats object
  std::optional<int64_t> num_records;
};

bool PartitionPredicateMayMatch(const std::optional<std::string>& value, ColumnKind kind,
                                const DataType& type, const ColumnPredicate& p) {
  const bool is_null = IsNullPartitionValue(value);
  if (p.op == Op::kIsNull) return is_null;
  if (p.op == Op::kIsNotNull) return !is_null;
  if (is_null) return false;  // NULL satisfies no comparison
  std::optional<ValueRange> range = PartitionRange(*value, kind);
  std::optional<LiteralRange> lit = LiteralFor(p, kind, type);
  return !range || !lit || !CannotMatch(p.op, *range, *lit);
}

bool DataPredicateMayMatch(const FileFacts& f, const ResolvedColumn& col, ColumnKind kind,
                           const ColumnPredicate& p) {
  if (!f.stats) return true;
  const std::optional<int64_t> nulls = LookupCount(*f.stats, "nullCount", col.path);
  const bool all_null = nulls && f.num_records && *nulls == *f.num_records;
  if (p.op == Op::kIsNull) return !(nulls && *nulls == 0);
  if (p.op == Op::kIsNotNull) return !all_null;
  if (all_null) return false;
  std::optional<LiteralRange> lit = LiteralFor(p, kind, *col.type);
  return !lit || !CannotMatch(p.op, StatsRange(*f.stats, col.path, kind), *lit);
}

bool PredicateMayMatch(const FileFacts& f, const ColumnPredicate& p) {
  std::optional<ResolvedColumn> col = Resolve(f.schema, p.column);
  if (!col) return true;
  const ColumnKind kind = KindOf(*col->type);
  const bool is_partition =
      col->path.size() == 1 &&
      std::any_of(f.partition_columns.begin(), f.partition_columns.end(),
                  [&](const std::string& c) { return EqualsIgnoreCase(c, col->path[0]); });
  if (!is_partition) return DataPredicateMayMatch(f, *col, kind, p);
  const std::optional<std::string>* value =
      FindPartitionValue(f.file.partition_values, col->path[0]);
  return !value || PartitionPredicateMayMatch(*value, kind, *col->type, p);
}

std::optional<json> ParseStats(const std::optional<std::string>& stats) {
  if (!stats) return std::nullopt;
  json parsed = json::parse(*stats, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  return parsed;
}

// ============================ Computing stats ============================

// One bound as DuckDB renders it, parsed for comparing and writing.
struct Bound {
  int64_t i = 0;  // integers, booleans, dates and timestamps (micros)
  double d = 0;   // float, double
  std::string s;  // strings; decimals (plain decimal text)
};

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// -?digits(.digits)?, DuckDB's rendering of a DECIMAL and a valid JSON number.
bool IsPlainDecimal(std::string_view s) {
  size_t i = s.size() > 0 && s[0] == '-' ? 1 : 0;
  const size_t int_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  const size_t int_digits = i - int_start;
  if (int_digits == 0 || (int_digits > 1 && s[int_start] == '0')) return false;
  if (i < s.size() && s[i] == '.') {
    const size_t frac_start = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == frac_start) return false;
  }
  return i == s.size();
}

// Exact order of two plain decimals.
int CompareDecimal(std::string_view a, std::string_view b) {
  const bool neg_a = !a.empty() && a[0] == '-', neg_b = !b.empty() && b[0] == '-';
  if (neg_a) a.remove_prefix(1);
  if (neg_b) b.remove_prefix(1);
  auto split = [](std::string_view s) {
    const size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? "" : s.substr(dot + 1);
    while (whole.size() > 1 && whole[0] == '0') whole.remove_prefix(1);
    while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
    return std::pair(whole, frac);
  };
  auto [wa, fa] = split(a);
  auto [wb, fb] = split(b);
  const bool zero_a = wa == "0" && fa.empty(), zero_b = wb == "0" && fb.empty();
  const int sign_a = zero_a ? 0 : neg_a ? -1 : 1, sign_b = zero_b ? 0 : neg_b ? -1 : 1;
  if (sign_a != sign_b) return sign_a < sign_b ? -1 : 1;
  int magnitude = wa.size() != wb.size() ? (wa.size() < wb.size() ? -1 : 1)
                  : wa != wb             ? (wa < wb ? -1 : 1)
                  : fa != fb             ? (fa < fb ? -1 : 1)
                                         : 0;
  return sign_a < 0 ? -magnitude : magnitude;
}

std::optional<Bound> ParseDuckValue(ColumnKind kind, const std::string& text) {
  Bound b;
  switch (kind) {
    case ColumnKind::kInteger: {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), b.i);
      if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
      return b;
    }
    case ColumnKind::kFloat:
    case ColumnKind::kDouble: {
      if (text.empty()) return std::nullopt;
      char* end = nullptr;
      // A float renders as the shortest text that reads back as that float; read it as one.
      b.d = kind == ColumnKind::kFloat ? std::strtof(text.c_str(), &end)
                                       : std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) return std::nullopt;
      return b;
    }
    case ColumnKind::kDecimal:
      if (!IsPlainDecimal(text)) return std::nullopt;
      b.s = text;
      return b;
    case ColumnKind::kBoolean:
      if (text != "true" && text != "false") return std::nullopt;
      b.i = text == "true";
      return b;
    case ColumnKind::kString:
      if (!IsValidUtf8(text)) return std::nullopt;
      b.s = text;
      return b;
    case ColumnKind::kDate:
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz: {
      std::optional<TimestampText> ts = ParseTimestampText(text);
      if (!ts || !ts->exact) return std::nullopt;
      if (kind == ColumnKind::kDate && ts->has_time) return std::nullopt;
      // DuckDB renders TIMESTAMPTZ with the session's offset, TIMESTAMP without one.
      if ((kind == ColumnKind::kTimestamp) != ts->has_offset && kind != ColumnKind::kDate) {
        return std::nullopt;
      }
      b.i = ts->micros;
      return b;
    }
    default:
      return std::nullopt;
  }
}

int CompareBound(ColumnKind kind, const Bound& a, const Bound& b) {
  switch (kind) {
    case ColumnKind::kFloat:
    case ColumnKind::kDouble:
      // NaN sorts above everything, as in DuckDB and Spark.
      if (std::isnan(a.d) || std::isnan(b.d)) return std::isnan(a.d) - std::isnan(b.d);
      return a.d < b.d ? -1 : a.d > b.d ? 1 : 0;
    case ColumnKind::kDecimal:
      return CompareDecimal(a.s, b.s);
    case ColumnKind::kString:
      return a.s.compare(b.s) < 0 ? -1 : a.s == b.s ? 0 : 1;
    default:
      return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  }
}

std::string JsonString(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

// The first `n` code points of valid UTF-8 `s`.
std::string_view Utf8Prefix(std::string_view s, size_t n) {
  size_t i = 0;
  for (size_t count = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && count++ == n) break;
  }
  return s.substr(0, i);
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// An upper bound of at most 32 code points for every string that starts like `s`: its first 31
// code points and the 32nd incremented (carrying over U+10FFFF), or nullopt if there is none.
std::optional<std::string> TruncatedMax(std::string_view s) {
  if (CodePoints(s) <= kStringPrefixLength) return std::string(s);
  std::string prefix(Utf8Prefix(s, kStringPrefixLength));
  while (!prefix.empty()) {
    size_t start = prefix.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(prefix[start]) & 0xC0) == 0x80) --start;
    const auto lead = static_cast<unsigned char>(prefix[start]);
    const size_t n = prefix.size() - start;
    uint32_t cp = n == 1 ? lead : lead & (0xFF >> (n + 1));
    for (size_t k = 1; k < n; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(prefix[start + k]) & 0x3F);
    prefix.resize(start);
    if (cp < 0x10FFFF) {
      AppendUtf8(prefix, cp + 1 == 0xD800 ? 0xE000 : cp + 1);
      return prefix;
    }
  }
  return std::nullopt;
}

std::optional<std::string> RenderBound(ColumnKind kind, const Bound& b, bool is_max) {
  switch (kind) {
    case ColumnKind::kInteger:
      return std::to_string(b.i);
    case ColumnKind::kFloat:
    case ColumnKind::kDouble: {
      if (!std::isfinite(b.d)) return std::nullopt;
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, b.d);
      return std::string(buf, end);
    }
    case ColumnKind::kDecimal:
      return b.s;
    case ColumnKind::kBoolean:
      return std::string(b.i ? "true" : "false");
    case ColumnKind::kString: {
      if (!is_max) return JsonString(std::string(Utf8Prefix(b.s, kStringPrefixLength)));
      std::optional<std::string> max = TruncatedMax(b.s);
      if (!max) return std::nullopt;
      return JsonString(*max);
    }
    case ColumnKind::kDate: {
      const std::string date = FormatTimestampText(b.i, ' ', 0);
      return JsonString(date.substr(0, date.find(' ')));
    }
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz: {
      // Milliseconds: the min rounded down, the max up, so both stay bounds.
      int64_t ms = b.i / kMicrosPerMilli;
      int64_t rest = b.i % kMicrosPerMilli;
      if (rest < 0) --ms, rest += kMicrosPerMilli;
      if (is_max && rest != 0) ++ms;
      const std::string zone = kind == ColumnKind::kTimestamp ? "Z" : "";
      return JsonString(FormatTimestampText(ms * kMicrosPerMilli, 'T', 3) + zone);
    }
    default:
      return std::nullopt;
  }
}

bool HasBounds(ColumnKind kind) {
  return kind != ColumnKind::kBinary && kind != ColumnKind::kCollection &&
         kind != ColumnKind::kStruct && kind != ColumnKind::kUnknown;
}

// What we learn about one indexed leaf column.
struct Leaf {
  std::vector<std::string> path;
  ColumnKind kind = ColumnKind::kUnknown;
  std::optional<int64_t> null_count;
  std::optional<Bound> min, max;
  bool scan = false;  // the footer was not enough: aggregate over the data
};

std::string LeafKey(const std::vector<std::string>& path) {
  std::string key;
  for (const std::string& name : path) {
    if (!key.empty()) key += ", ";
    for (char c : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

void CollectLeaves(const std::vector<StructField>& fields, std::vector<std::string>& path,
                   size_t limit, std::vector<Leaf>& out) {
  for (const StructField& field : fields) {
    if (out.size() >= limit || !field.type) return;
    path.push_back(field.name);
    const ColumnKind kind = KindOf(*field.type);
    if (kind == ColumnKind::kStruct) {
      CollectLeaves(field.type->fields, path, limit, out);
    } else {
      out.push_back(Leaf{path, kind});
    }
    path.pop_back();
  }
}

void Widen(ColumnKind kind, std::optional<Bound>& min, std::optional<Bound>& max, const Bound& lo,
           const Bound& hi) {
  if (!min || CompareBound(kind, lo, *min) < 0) min = lo;
  if (!max || CompareBound(kind, hi, *max) > 0) max = hi;
}

struct FooterEntry {
  int64_t rows = 0;
  std::optional<int64_t> nulls;
  std::optional<std::string> min, max;
  bool exact = false;
};

// Fills a leaf from its footer entries; marks it for a scan when they are not enough.
void FromFooter(Leaf& leaf, const std::vector<FooterEntry>& entries, bool column_present,
                int64_t num_records) {
  if (!column_present) {  // a column missing from the file reads as NULL
    leaf.null_count = num_records;
    return;
  }
  if (leaf.kind == ColumnKind::kCollection) {  // leaf null counts count elements, not rows
    leaf.scan = true;
    return;
  }
  int64_t nulls = 0;
  for (const FooterEntry& e : entries) {
    if (!e.nulls) {
      leaf.scan = true;
      return;
    }
    nulls += *e.nulls;
    if (!HasBounds(leaf.kind) || *e.nulls == e.rows) continue;
    // String bounds may be cut (and the max bumped) by the writer: still bounds, which is all
    // we need. Other types must be exact.
    if (!e.min || !e.max || (!e.exact && leaf.kind != ColumnKind::kString)) {
      leaf.scan = true;
      return;
    }
    std::optional<Bound> lo = ParseDuckValue(leaf.kind, *e.min);
    std::optional<Bound> hi = ParseDuckValue(leaf.kind, *e.max);
    if (!lo || !hi) {
      leaf.scan = true;
      return;
    }
    Widen(leaf.kind, leaf.min, leaf.max, *lo, *hi);
  }
  leaf.null_count = nulls;
}

std::string ColumnExpr(const std::vector<std::string>& path) {
  std::string expr = duck::QuoteIdentifier(path[0]);
  for (size_t i = 1; i < path.size(); ++i) {
    expr = "struct_extract(" + expr + ", " + duck::QuoteLiteral(path[i]) + ")";
  }
  return expr;
}

// One aggregate query over the data for the leaves the footer could not describe.
Status ScanLeaves(duck::Connection& conn, const std::string& parquet_path,
                  std::vector<Leaf*>& leaves) {
  std::string select;
  for (const Leaf* leaf : leaves) {
    const std::string expr = ColumnExpr(leaf->path);
    if (!select.empty()) select += ", ";
    select += "count(*) - count(" + expr + ")";
    if (HasBounds(leaf->kind)) {
      select += ", CAST(min(" + expr + ") AS VARCHAR), CAST(max(" + expr + ") AS VARCHAR)";
    }
  }
  const std::string sql = "SELECT " + select + " FROM read_parquet(" +
                          duck::QuoteLiteral(parquet_path) + ", hive_partitioning = false)";
  DLAKE_ASSIGN_OR_RETURN(duck::QueryResult result,
                         conn.Query(sql, "computing column stats of '" + parquet_path + "'"));
  size_t col = 0;
  for (Leaf* leaf : leaves) {
    leaf->null_count = result.GetInt64(col++, 0);
    leaf->min.reset();
    leaf->max.reset();
    if (!HasBounds(leaf->kind)) continue;
    if (!result.IsNull(col, 0)) leaf->min = ParseDuckValue(leaf->kind, result.GetString(col, 0));
    ++col;
    if (!result.IsNull(col, 0)) leaf->max = ParseDuckValue(leaf->kind, result.GetString(col, 0));
    ++col;
  }
  return Status::Ok();
}

enum class Section { kMin, kMax, kNullCount };

// The JSON object of one section for `fields`, or "" when it would be empty.
std::string RenderSection(const std::vector<StructField>& fields, std::vector<std::string>& path,
                          const std::map<std::string, const Leaf*>& leaves, Section section) {
  std::string body;
  for (const StructField& field : fields) {
    if (!field.type) continue;
    path.push_back(field.name);
    std::optional<std::string> value;
    if (field.type->kind == DataType::Kind::kStruct) {
      std::string nested = RenderSection(field.type->fields, path, leaves, section);
      if (!nested.empty()) value = nested;
    } else if (auto it = leaves.find(LeafKey(path)); it != leaves.end()) {
      const Leaf& leaf = *it->second;
      if (section == Section::kNullCount) {
        if (leaf.null_count) value = std::to_string(*leaf.null_count);
      } else if (HasBounds(leaf.kind)) {
        const std::optional<Bound>& bound = section == Section::kMin ? leaf.min : leaf.max;
        if (bound) value = RenderBound(leaf.kind, *bound, section == Section::kMax);
      }
    }
    path.pop_back();
    if (!value) continue;
    body += (body.empty() ? "" : ",") + JsonString(field.name) + ":" + *value;
  }
  return body.empty() ? "" : "{" + body + "}";
}

}  // namespace

std::vector<ColumnPredicate> ParseSkippingPredicates(std::string_view where) {
  std::vector<ColumnPredicate> out;
  std::optional<std::vector<Token>> tokens = Tokenize(where);
  if (tokens) ParseConjunction(*tokens, out);
  return out;
}

bool MayContainMatches(const AddFile& file, const Schema& schema,
                       const std::vector<std::string>& partition_columns,
                       const std::vector<ColumnPredicate>& predicates) {
  if (predicates.empty()) return true;
  FileFacts facts{file, schema, partition_columns, ParseStats(file.stats), std::nullopt};
  if (facts.stats) facts.num_records = LookupCount(*facts.stats, "numRecords", {});
  if (facts.num_records && *facts.num_records == 0) return false;
  for (const ColumnPredicate& p : predicates) {
    if (!PredicateMayMatch(facts, p)) return false;
  }
  return true;
}

Result<std::string> ComputeFileStats(duck::Connection& conn, const std::string& parquet_path,
                                     const Schema& data_schema, int num_indexed_cols) {
  const std::string sql =
      "SELECT row_group_id, row_group_num_rows, path_in_schema, stats_null_count, "
      "stats_min_value, stats_max_value, "
      "CAST(coalesce(min_is_exact AND max_is_exact, false) AS INTEGER) "
      "FROM parquet_metadata(" +
      duck::QuoteLiteral(parquet_path) + ")";
  DLAKE_ASSIGN_OR_RETURN(duck::QueryResult footer,
                         conn.Query(sql, "reading the Parquet footer of '" + parquet_path + "'"));
  std::map<int64_t, int64_t> row_groups;
  std::map<std::string, std::vector<FooterEntry>> entries;
  for (size_t r = 0; r < footer.RowCount(); ++r) {
    FooterEntry e;
    e.rows = footer.GetInt64(1, r);
    row_groups[footer.GetInt64(0, r)] = e.rows;
    if (!footer.IsNull(3, r)) e.nulls = footer.GetInt64(3, r);
    if (!footer.IsNull(4, r)) e.min = footer.GetString(4, r);
    if (!footer.IsNull(5, r)) e.max = footer.GetString(5, r);
    e.exact = footer.GetInt64(6, r) == 1;
    entries[LeafKey({footer.GetString(2, r)})].push_back(std::move(e));
  }
  int64_t num_records = 0;
  for (const auto& [id, rows] : row_groups) num_records += rows;

  std::vector<Leaf> leaves;
  std::vector<std::string> path;
  const size_t limit = num_indexed_cols < 0 ? std::numeric_limits<size_t>::max()
                                            : static_cast<size_t>(num_indexed_cols);
  CollectLeaves(data_schema.fields, path, limit, leaves);

  std::vector<Leaf*> to_scan;
  for (Leaf& leaf : leaves) {
    const std::string key = LeafKey(leaf.path);
    auto it = entries.find(key);
    bool present = it != entries.end();
    if (!present && leaf.kind == ColumnKind::kCollection) {
      auto below = entries.lower_bound(key + ", ");
      present = below != entries.end() && below->first.rfind(key + ", ", 0) == 0;
    }
    static const std::vector<FooterEntry> kNone;
    FromFooter(leaf, present && it != entries.end() ? it->second : kNone, present, num_records);
    if (leaf.scan && num_records > 0) to_scan.push_back(&leaf);
  }
  if (!to_scan.empty()) DLAKE_RETURN_IF_ERROR(ScanLeaves(conn, parquet_path, to_scan));

  std::map<std::string, const Leaf*> by_key;
  for (const Leaf& leaf : leaves) by_key[LeafKey(leaf.path)] = &leaf;
  std::string out = "{\"numRecords\":" + std::to_string(num_records);
  static constexpr std::pair<Section, std::string_view> kSections[] = {
      {Section::kMin, "minValues"},
      {Section::kMax, "maxValues"},
      {Section::kNullCount, "nullCount"}};
  for (const auto& [section, name] : kSections) {
    std::string object = RenderSection(data_schema.fields, path, by_key, section);
    if (!object.empty()) out += ",\"" + std::string(name) + "\":" + object;
  }
  out += "}";
  return out;
}

std::optional<int64_t> NumRecords(const std::optional<std::string>& stats) {
  std::optional<json> parsed = ParseStats(stats);
  if (!parsed) return std::nullopt;
  std::optional<int64_t> n = LookupCount(*parsed, "numRecords", {});
  if (n && *n < 0) return std::nullopt;
  return n;
}

}  // namespace dlake::delta
