#include "common/config_file.h"

#include <fstream>

namespace dlake {
namespace {

std::string Trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

Result<std::map<std::string, std::string>> ReadConfigFile(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](const char* why) {
      return InvalidArgument(path, ":", number, ": ", why, " (expected key = value)");
    };
    auto eq = line.find('=');
    if (eq == std::string::npos) return bad("no '='");
    std::string key = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    if (key.empty()) return bad("empty key");
    if (!value.empty() && value[0] == '"') {
      auto close = value.find('"', 1);
      if (close == std::string::npos) return bad("unclosed string");
      std::string rest = Trim(value.substr(close + 1));
      if (!rest.empty() && rest[0] != '#') return bad("text after the string");
      value = value.substr(1, close - 1);
    } else if (auto hash = value.find('#'); hash != std::string::npos) {
      value = Trim(value.substr(0, hash));
    }
    if (value.empty()) return bad("empty value");
    out[key] = value;
  }
  return out;
}

}  // namespace dlake
