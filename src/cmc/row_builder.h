#pragma once
// Builds one bronze row from an API item with typed, non-throwing field conversions. A field of
// the wrong type (an object where a number belongs, text that is not a number) records the first
// error, naming the endpoint, the item and the field; a missing or null field is NULL.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dlake/common/status.h"

namespace dlake::cmc {

// The member `key` of `object`, or null when `object` is not an object or lacks it.
const nlohmann::json& Member(const nlohmann::json& object, std::string_view key);

class RowBuilder {
 public:
  // `where` names the item in errors: "/v1/exchange/map item 3".
  explicit RowBuilder(std::string where) : where_(std::move(where)) {}

  // Integers: JSON integers, whole floats and decimal text.
  RowBuilder& Int(const char* column, const nlohmann::json& value);
  // Numbers: JSON numbers and decimal text.
  RowBuilder& Number(const char* column, const nlohmann::json& value);
  // Text: strings, and numbers and booleans written as text.
  RowBuilder& Text(const char* column, const nlohmann::json& value);
  RowBuilder& Bool(const char* column, const nlohmann::json& value);
  // A list of strings joined with `separator` (NULL for a missing or empty list).
  RowBuilder& Joined(const char* column, const nlohmann::json& value, std::string_view separator);
  // The first string of a list, or NULL.
  RowBuilder& First(const char* column, const nlohmann::json& value);
  // A value kept as it is (already typed by the caller).
  RowBuilder& Raw(const char* column, nlohmann::json value);

  const Status& status() const { return status_; }
  nlohmann::json Take() { return std::move(row_); }

 private:
  void Fail(const char* column, const nlohmann::json& value, const char* expected);

  std::string where_;
  nlohmann::json row_ = nlohmann::json::object();
  Status status_;
};

// "object", "array", "string", ... for messages.
const char* JsonTypeName(const nlohmann::json& value);

}  // namespace dlake::cmc
