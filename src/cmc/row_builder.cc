#include "cmc/row_builder.h"

#include <charconv>
#include <cmath>

namespace dlake::cmc {
namespace {

const nlohmann::json kNull;

bool ParseDouble(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*out);
}

}  // namespace

const nlohmann::json& Member(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

const char* JsonTypeName(const nlohmann::json& value) { return value.type_name(); }

void RowBuilder::Fail(const char* column, const nlohmann::json& value, const char* expected) {
  if (status_.ok()) {
    status_ = Unavailable(where_, ": field '", column, "' is ", JsonTypeName(value), " ",
                          value.dump().substr(0, 40), ", not ", expected);
  }
  row_[column] = nullptr;
}

RowBuilder& RowBuilder::Int(const char* column, const nlohmann::json& value) {
  if (value.is_null()) {
    row_[column] = nullptr;
  } else if (value.is_number_integer()) {
    row_[column] = value.get<int64_t>();
  } else if (value.is_number_float() && std::trunc(value.get<double>()) == value.get<double>() &&
             std::fabs(value.get<double>()) < 9e18) {
    row_[column] = static_cast<int64_t>(value.get<double>());
  } else if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc() || end != text.data() + text.size()) {
      Fail(column, value, "an integer");
    } else {
      row_[column] = parsed;
    }
  } else {
    Fail(column, value, "an integer");
  }
  return *this;
}

RowBuilder& RowBuilder::Number(const char* column, const nlohmann::json& value) {
  double parsed = 0;
  if (value.is_null()) {
    row_[column] = nullptr;
  } else if (value.is_number()) {
    row_[column] = value.get<double>();
  } else if (value.is_string() && ParseDouble(value.get_ref<const std::string&>(), &parsed)) {
    row_[column] = parsed;
  } else {
    Fail(column, value, "a number");
  }
  return *this;
}

RowBuilder& RowBuilder::Text(const char* column, const nlohmann::json& value) {
  if (value.is_null()) {
    row_[column] = nullptr;
  } else if (value.is_string()) {
    row_[column] = value;
  } else if (value.is_number() || value.is_boolean()) {
    row_[column] = value.dump();
  } else {
    Fail(column, value, "text");
  }
  return *this;
}

RowBuilder& RowBuilder::Bool(const char* column, const nlohmann::json& value) {
  if (value.is_null()) {
    row_[column] = nullptr;
  } else if (value.is_boolean()) {
    row_[column] = value;
  } else if (value.is_number_integer() && (value == 0 || value == 1)) {
    row_[column] = value == 1;
  } else {
    Fail(column, value, "a boolean");
  }
  return *this;
}

RowBuilder& RowBuilder::Joined(const char* column, const nlohmann::json& value,
                               std::string_view separator) {
  if (value.is_null() || (value.is_array() && value.empty())) {
    row_[column] = nullptr;
    return *this;
  }
  if (!value.is_array()) {
    Fail(column, value, "a list of text");
    return *this;
  }
  std::string joined;
  for (const auto& item : value) {
    if (!item.is_string()) {
      Fail(column, value, "a list of text");
      return *this;
    }
    if (!joined.empty()) joined += separator;
    joined += item.get_ref<const std::string&>();
  }
  row_[column] = joined;
  return *this;
}

RowBuilder& RowBuilder::First(const char* column, const nlohmann::json& value) {
  if (value.is_null() || (value.is_array() && value.empty())) {
    row_[column] = nullptr;
  } else if (value.is_array() && value[0].is_string()) {
    row_[column] = value[0];
  } else {
    Fail(column, value, "a list of text");
  }
  return *this;
}

RowBuilder& RowBuilder::Raw(const char* column, nlohmann::json value) {
  row_[column] = std::move(value);
  return *this;
}

}  // namespace dlake::cmc
