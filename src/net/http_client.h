#pragma once
// A small blocking HTTP GET client over libcurl: TLS with certificate verification, proxies from
// the usual environment variables (https_proxy, http_proxy, no_proxy), timeouts. One instance
// per thread (not thread-safe); it reuses connections.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::net {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  // The header's value, or "" (name in lower case).
  std::string Header(const std::string& name) const;
};

struct HttpOptions {
  int64_t connect_timeout_ms = 10000;
  int64_t timeout_ms = 30000;  // whole request
  // Extra request headers, "Name: value" (an API key, Accept). They may hold secrets: they are
  // never logged or put into an error message.
  std::vector<std::string> headers;
};

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> Make(const HttpOptions& options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Any HTTP status is a successful Result; connection failures, timeouts and resets are
  // Unavailable naming the URL and curl's reason.
  Result<HttpResponse> Get(const std::string& url);

 private:
  HttpClient(void* curl, HttpOptions options) : curl_(curl), options_(std::move(options)) {}
  void* curl_;
  HttpOptions options_;
};

}  // namespace dlake::net
