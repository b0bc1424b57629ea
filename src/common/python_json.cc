#include "common/python_json.h"

#include <cmath>
#include <cstdio>

namespace dlake {
namespace {

void AppendEscaped(std::string* out, const std::string& text) {
  // ensure_ascii: every code point above 0x7E is written as \uXXXX (surrogate pairs above
  // the BMP), so the text is decoded from UTF-8 first.
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xF0 && i + 3 < text.size() + 0) {
      cp = ((c & 0x07u) << 18) | ((text[i + 1] & 0x3Fu) << 12) | ((text[i + 2] & 0x3Fu) << 6) |
           (text[i + 3] & 0x3Fu);
      len = 4;
    } else if (c >= 0xE0 && i + 2 < text.size()) {
      cp = ((c & 0x0Fu) << 12) | ((text[i + 1] & 0x3Fu) << 6) | (text[i + 2] & 0x3Fu);
      len = 3;
    } else if (c >= 0xC0 && i + 1 < text.size()) {
      cp = ((c & 0x1Fu) << 6) | (text[i + 1] & 0x3Fu);
      len = 2;
    }
    i += len;
    char buf[16];
    switch (cp) {
      case '"':
        *out += "\\\"";
        continue;
      case '\\':
        *out += "\\\\";
        continue;
      case '\n':
        *out += "\\n";
        continue;
      case '\r':
        *out += "\\r";
        continue;
      case '\t':
        *out += "\\t";
        continue;
      case '\b':
        *out += "\\b";
        continue;
      case '\f':
        *out += "\\f";
        continue;
      default:
        break;
    }
    if (cp < 0x20 || (cp > 0x7E && cp < 0x10000)) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
      *out += buf;
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
      *out += buf;
    } else {
      out->push_back(static_cast<char>(cp));
    }
  }
  out->push_back('"');
}

// Python's float repr: the shortest text that reads back as the same double, with ".0" for
// whole numbers and "NaN"/"Infinity" for the non-finite values.
std::string FloatRepr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  std::string text = buf;
  const auto e = text.find('e');
  if (e != std::string::npos) {
    // C writes e+05, Python e+05 too, but Python switches to exponent form only from 1e16.
    std::string mantissa = text.substr(0, e), exponent = text.substr(e + 1);
    const int exp = std::atoi(exponent.c_str());
    if (exp >= -4 && exp < 16) {
      std::snprintf(buf, sizeof(buf), "%.17g", value);
      // Fall back to a fixed form with as many digits as needed.
      for (int decimals = 0; decimals <= 20; ++decimals) {
        std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
        if (std::strtod(buf, nullptr) == value) break;
      }
      text = buf;
    } else {
      char sign = exponent[0] == '-' ? '-' : '+';
      std::string digits = exponent.substr(exponent[0] == '-' || exponent[0] == '+' ? 1 : 0);
      while (digits.size() > 2 && digits[0] == '0') digits.erase(0, 1);
      return mantissa + "e" + sign + digits;
    }
  }
  if (text.find_first_of(".eni") == std::string::npos) text += ".0";
  return text;
}

void Dump(std::string* out, const nlohmann::ordered_json& v) {
  switch (v.type()) {
    case nlohmann::ordered_json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) *out += ", ";
        first = false;
        AppendEscaped(out, it.key());
        *out += ": ";
        Dump(out, it.value());
      }
      out->push_back('}');
      return;
    }
    case nlohmann::ordered_json::value_t::array: {
      out->push_back('[');
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) *out += ", ";
        Dump(out, v[i]);
      }
      out->push_back(']');
      return;
    }
    case nlohmann::ordered_json::value_t::string:
      AppendEscaped(out, v.get_ref<const std::string&>());
      return;
    case nlohmann::ordered_json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      return;
    case nlohmann::ordered_json::value_t::number_float:
      *out += FloatRepr(v.get<double>());
      return;
    case nlohmann::ordered_json::value_t::null:
    case nlohmann::ordered_json::value_t::discarded:
      *out += "null";
      return;
    default:
      *out += v.dump();  // integers
      return;
  }
}

}  // namespace

std::string PythonJsonDumps(const nlohmann::ordered_json& value) {
  std::string out;
  Dump(&out, value);
  return out;
}

}  // namespace dlake
