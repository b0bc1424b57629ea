#pragma once
// Small string helpers used across modules: ASCII case mapping, trimming and joining.
// ASCII only: names, SQL keywords and settings, never user text that may be UTF-8.

#include <string>
#include <string_view>
#include <vector>

namespace dlake {

std::string AsciiLower(std::string_view text);
std::string AsciiUpper(std::string_view text);
// `text` without leading and trailing spaces, tabs, carriage returns and newlines.
std::string_view TrimWhitespace(std::string_view text);
// `text` without the leading and trailing characters that are in `chars`.
std::string_view TrimChars(std::string_view text, std::string_view chars);
// "a, b, c" (with the given separator).
std::string JoinStrings(const std::vector<std::string>& items, std::string_view separator = ", ");
// True when `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace dlake
