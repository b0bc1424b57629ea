// fake-cmc: the fake CoinMarketCap Pro API (fake_cmc.h) as a program, so that scripts without
// network access (scripts/demo.sh) can run `dlake cmc extract` against it.
//
//   fake-cmc [--port N] [--scale small|full] [--key KEY]
//
// Prints exactly one line, the base URL "http://127.0.0.1:<port>", once it serves, then serves
// until SIGTERM or SIGINT and exits 0. Exit 2 for a bad flag, 1 when the server cannot start.
// The API key is never printed.

#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

#include "testing/fake_cmc.h"

namespace dlake::testing {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A universe of a few hundred cryptos: `dlake cmc extract --group init` takes seconds on it.
FakeCmcOptions SmallScale(FakeCmcOptions options) {
  options.cryptos = 600;
  options.inactive_cryptos = 40;
  options.untracked_cryptos = 10;
  options.exchanges = 120;
  options.inactive_exchanges = 20;
  options.exchanges_with_assets = 8;
  options.wallets = 500;
  options.categories = 30;
  options.category_links = 2000;
  options.fear_greed_days = 60;
  return options;
}

// Blocks SIGTERM and SIGINT in this thread and every thread started after it (the server's), so
// that WaitForStopSignal receives them instead of the default action killing the process.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

void WaitForStopSignal(const sigset_t& stop_signals) {
  int signal = 0;
  while (sigwait(&stop_signals, &signal) != 0) {
  }
}

int Run(int argc, char** argv) {
  CLI::App app{"fake-cmc: the fake CoinMarketCap Pro API on 127.0.0.1, for runs without network",
               "fake-cmc"};
  FakeCmcOptions options;
  std::string scale = "full";
  app.add_option("--port", options.port, "Port to serve on (default: a free one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--scale", scale, "small (a few hundred cryptos) or full (the fake's defaults)")
      ->check(CLI::IsMember({"small", "full"}));
  // The key is never printed, not even the default one.
  app.add_option("--key", options.api_key,
                 "API key the fake accepts (default: FakeCmcOptions::api_key, testing/fake_cmc.h)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (options.api_key.empty()) {
    std::cerr << "fake-cmc: --key must not be empty\n";
    return kExitUsage;
  }
  if (scale == "small") options = SmallScale(std::move(options));

  const sigset_t stop_signals = BlockStopSignals();
  // A client that hangs up mid-response must not end the server.
  std::signal(SIGPIPE, SIG_IGN);
  Result<std::unique_ptr<FakeCmc>> fake = FakeCmc::Start(std::move(options));
  if (!fake.ok()) {
    std::cerr << "fake-cmc: " << fake.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << (*fake)->base_url() << std::endl;
  WaitForStopSignal(stop_signals);
  return kExitOk;
}

}  // namespace
}  // namespace dlake::testing

int main(int argc, char** argv) { return dlake::testing::Run(argc, argv); }
