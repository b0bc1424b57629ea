#include "delta/partition_values.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "dlake/common/strings.h"
#include "dlake/common/time.h"
#include "duck/duck.h"

namespace dlake::delta {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

int DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// A cursor over text that reads runs of digits.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}
  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Accept(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // Reads min_digits..max_digits digits into `value`.
  bool Digits(size_t min_digits, size_t max_digits, int64_t& value, size_t* count = nullptr) {
    size_t n = 0;
    value = 0;
    while (n < max_digits && std::isdigit(static_cast<unsigned char>(Peek()))) {
      value = value * 10 + (text_[pos_++] - '0');
      ++n;
    }
    if (count) *count = n;
    return n >= min_digits;
  }
  // Skips any digits; true when one of them is not '0'.
  bool SkipDigits() {
    bool nonzero = false;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) nonzero |= text_[pos_++] != '0';
    return nonzero;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// std::isspace's set in the C locale, which timestamp text has always been trimmed of
// (TrimWhitespace would keep \v and \f).
constexpr std::string_view kCSpace = " \t\n\v\f\r";

// Reads the seconds fraction after '.': microseconds, and whether digits were dropped.
bool ReadFraction(Scanner& in, int64_t& micros, bool& exact) {
  int64_t digits = 0;
  size_t count = 0;
  if (!in.Digits(1, 6, digits, &count)) return false;
  for (size_t i = count; i < 6; ++i) digits *= 10;
  micros = digits;
  exact = !in.SkipDigits();
  return true;
}

// Reads "Z" or "+HH[[:]MM[[:]SS]]" into seconds east of UTC.
bool ReadOffset(Scanner& in, int64_t& seconds) {
  if (in.Accept('Z') || in.Accept('z')) {
    seconds = 0;
    return true;
  }
  int sign = 0;
  if (in.Accept('+'))
    sign = 1;
  else if (in.Accept('-'))
    sign = -1;
  if (sign == 0) return false;
  int64_t h = 0, m = 0, s = 0;
  if (!in.Digits(2, 2, h) || h > 18) return false;
  if (!in.AtEnd()) {
    in.Accept(':');
    if (!in.Digits(2, 2, m) || m > 59) return false;
  }
  if (!in.AtEnd()) {
    in.Accept(':');
    if (!in.Digits(2, 2, s) || s > 59) return false;
  }
  seconds = sign * (h * 3600 + m * 60 + s);
  return true;
}

bool IsIntegerType(const DataType& type, int64_t& lo, int64_t& hi) {
  if (type.kind != DataType::Kind::kPrimitive) return false;
  const std::string& p = type.primitive;
  if (p == "byte")
    lo = -128, hi = 127;
  else if (p == "short")
    lo = -32768, hi = 32767;
  else if (p == "integer")
    lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  else if (p == "long")
    lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  else
    return false;
  return true;
}

// [+-]digits[.digits][e[+-]digits], the forms Java's BigDecimal and Double print.
bool IsDecimalNumber(std::string_view text) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  size_t digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == text.size();
}

// The spelling DuckDB accepts for a float partition value, or nullopt.
std::optional<std::string> FloatSqlText(std::string_view text) {
  std::string_view body = text;
  std::string sign;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    if (body[0] == '-') sign = "-";
    body.remove_prefix(1);
  }
  if (EqualsIgnoreCase(body, "nan"))
    return sign.empty() ? std::optional<std::string>("NaN") : std::nullopt;
  if (EqualsIgnoreCase(body, "infinity") || EqualsIgnoreCase(body, "inf")) {
    return sign + "Infinity";
  }
  if (IsDecimalNumber(text)) return std::string(text);
  return std::nullopt;
}

std::string Cast(std::string_view text, std::string_view duck_type) {
  return "CAST(" + duck::QuoteLiteral(text) + " AS " + std::string(duck_type) + ")";
}

Status BadValue(std::string_view column, const std::string& value, std::string_view type,
                std::string_view why) {
  return InvalidArgument("partition value '", value, "' of column '", column, "' is not a ", type,
                         ": ", why);
}

Result<std::string> TemporalSql(const std::string& text, const DataType& type,
                                std::string_view column) {
  std::optional<TimestampText> ts = ParseTimestampText(text);
  const std::string& p = type.primitive;
  if (!ts) return BadValue(column, text, p, "expected YYYY-MM-DD[ HH:MM:SS[.ffffff]]");
  if (p == "date") {
    if (ts->has_time || ts->has_offset) return BadValue(column, text, p, "expected YYYY-MM-DD");
    const std::string date = FormatTimestampText(ts->micros, ' ', 0);
    return Cast(date.substr(0, date.find(' ')), "DATE");
  }
  if (p == "timestamp_ntz") {
    if (ts->has_offset) return BadValue(column, text, p, "a zone offset is not allowed");
    return Cast(FormatTimestampText(ts->micros, ' ', 6), "TIMESTAMP");
  }
  // timestamp: without an offset the value is UTC (PROTOCOL.md; Spark writes it so with a UTC
  // session, and the golden tables read back that way).
  return Cast(FormatTimestampText(ts->micros, ' ', 6) + "+00", "TIMESTAMPTZ");
}

}  // namespace

std::optional<TimestampText> ParseTimestampText(std::string_view text) {
  Scanner in(TrimChars(text, kCSpace));
  int64_t year = 0, month = 0, day = 0;
  if (!in.Digits(4, 6, year) || !in.Accept('-') || !in.Digits(1, 2, month) || !in.Accept('-') ||
      !in.Digits(1, 2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  TimestampText out;
  // The casts are exact: at most 6 year digits, and month and day were checked above.
  int64_t micros =
      DayFromCivil(static_cast<int>(year), static_cast<int>(month), static_cast<int>(day)) *
      kMicrosPerDay;
  if (in.Accept('T') || in.Accept('t') || in.Accept(' ')) {
    int64_t h = 0, m = 0, s = 0, fraction = 0;
    if (!in.Digits(1, 2, h) || h > 23 || !in.Accept(':') || !in.Digits(2, 2, m) || m > 59) {
      return std::nullopt;
    }
    if (in.Accept(':')) {
      if (!in.Digits(2, 2, s) || s > 59) return std::nullopt;
      if (in.Accept('.') && !ReadFraction(in, fraction, out.exact)) return std::nullopt;
    }
    out.has_time = true;
    micros += (h * 3600 + m * 60 + s) * kMicrosPerSecond + fraction;
  }
  if (!in.AtEnd()) {
    int64_t offset_seconds = 0;
    if (!ReadOffset(in, offset_seconds) || !in.AtEnd()) return std::nullopt;
    out.has_offset = true;
    micros -= offset_seconds * kMicrosPerSecond;
  }
  out.micros = micros;
  return out;
}

std::string FormatTimestampText(int64_t micros, char separator, int fraction_digits) {
  int64_t days = micros / kMicrosPerDay;
  int64_t rest = micros % kMicrosPerDay;
  if (rest < 0) rest += kMicrosPerDay, --days;
  const CivilDate date = CivilFromDay(days);  // |year| < 300000 for any int64 micros
  const int64_t y = date.year, m = date.month, d = date.day;
  const int64_t seconds = rest / kMicrosPerSecond;
  const int64_t fraction = rest % kMicrosPerSecond;
  char buf[64];
  int n = std::snprintf(
      buf, sizeof buf, "%04lld-%02lld-%02lld%c%02lld:%02lld:%02lld", static_cast<long long>(y),
      static_cast<long long>(m), static_cast<long long>(d), separator,
      static_cast<long long>(seconds / 3600), static_cast<long long>(seconds / 60 % 60),
      static_cast<long long>(seconds % 60));
  std::string out(buf, n);
  if (fraction_digits < 0) fraction_digits = fraction == 0 ? 0 : 6;
  if (fraction_digits == 3) {
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(fraction / 1000));
    out += buf;
  } else if (fraction_digits == 6) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(fraction));
    out += buf;
  }
  return out;
}

bool IsNullPartitionValue(const std::optional<std::string>& value) {
  return !value.has_value() || value->empty();
}

Result<std::string> PartitionValueSql(const std::optional<std::string>& value, const DataType& type,
                                      std::string_view column) {
  const std::string duck_type = DuckType(type);
  if (IsNullPartitionValue(value)) return "CAST(NULL AS " + duck_type + ")";
  const std::string& text = *value;
  if (type.kind == DataType::Kind::kDecimal) {
    if (!IsDecimalNumber(text)) return BadValue(column, text, duck_type, "expected a number");
    return Cast(text, duck_type);
  }
  if (type.kind != DataType::Kind::kPrimitive) {
    return InvalidArgument("column '", column, "' of type ", duck_type,
                           " cannot be a partition column");
  }
  const std::string& p = type.primitive;
  if (p == "string") return Cast(text, "VARCHAR");
  // The stored text is the value's bytes; encode() keeps them, where CAST would read \x escapes.
  if (p == "binary") return "encode(" + duck::QuoteLiteral(text) + ")";
  int64_t lo = 0, hi = 0;
  if (IsIntegerType(type, lo, hi)) {
    std::string_view digits = text;
    if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
    int64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size() || v < lo || v > hi) {
      return BadValue(column, text, p, "expected an integer in range");
    }
    return Cast(std::to_string(v), duck_type);
  }
  if (p == "float" || p == "double") {
    std::optional<std::string> sql_text = FloatSqlText(text);
    if (!sql_text) return BadValue(column, text, p, "expected a number, NaN or Infinity");
    return Cast(*sql_text, duck_type);
  }
  if (p == "boolean") {
    if (EqualsIgnoreCase(text, "true")) return std::string("true");
    if (EqualsIgnoreCase(text, "false")) return std::string("false");
    return BadValue(column, text, p, "expected true or false");
  }
  if (p == "date" || p == "timestamp" || p == "timestamp_ntz") {
    return TemporalSql(text, type, column);
  }
  return InvalidArgument("column '", column, "' of type ", p, " cannot be a partition column");
}

std::optional<std::string> PartitionValueText(const std::optional<std::string>& duck_text,
                                              const DataType& type) {
  if (!duck_text) return std::nullopt;
  const std::string& text = *duck_text;
  if (type.kind != DataType::Kind::kPrimitive) return text;
  const std::string& p = type.primitive;
  if (p == "boolean") {
    if (EqualsIgnoreCase(text, "true")) return std::string("true");
    if (EqualsIgnoreCase(text, "false")) return std::string("false");
    return text;
  }
  if (p == "float" || p == "double") {
    std::optional<std::string> java = FloatSqlText(text);
    return java ? *java : text;
  }
  if (p == "timestamp" || p == "timestamp_ntz") {
    std::optional<TimestampText> ts = ParseTimestampText(text);
    if (!ts) return text;
    if (p == "timestamp") return FormatTimestampText(ts->micros, 'T', 6) + "Z";
    return FormatTimestampText(ts->micros, ' ', -1);
  }
  return text;
}

std::string PartitionFolder(std::string_view column, const std::optional<std::string>& value) {
  auto escape = [](std::string_view text) {
    static constexpr std::string_view kSpecial = "\"#%'*/:=?\\{[]^";
    std::string out;
    for (char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7F || kSpecial.find(c) != std::string_view::npos) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", byte);
        out += buf;
      } else {
        out += c;
      }
    }
    return out;
  };
  std::string folder = escape(column) + "=";
  folder += IsNullPartitionValue(value) ? "__HIVE_DEFAULT_PARTITION__" : escape(*value);
  return folder;
}

}  // namespace dlake::delta
