// fake-exchange: the fake Binance and Bybit market APIs (fake_exchange.h) as a program, so that
// tests outside C++ (the Python SDK's pytest suite) download from them without network.
//
//   fake-exchange [--now MS] [--exit-on-stdin-close]
//
// Serves the default fake symbols (BTCUSDT, ETHUSDT, BTCUSD) with the market clock fixed at
// --now (default: the system clock). Prints exactly one line, the base URL
// "http://127.0.0.1:<port>", once it serves; point binance.spot_url, binance.futures_url and
// bybit.url at it. Serves until SIGTERM or SIGINT (with --exit-on-stdin-close also until its
// standard input closes, so that a test that dies never leaves it behind), then exits 0. Exit 2 for
// a bad flag, 1 when the server cannot start.

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "testing/fake_exchange.h"

namespace dlake::testing {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Blocks SIGTERM and SIGINT in this thread and every thread started after it (the server's), so
// that sigwait receives them instead of the default action killing the process.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

// Turns the end of standard input (the parent closed its pipe or died) into a SIGTERM.
void StopWhenStdinCloses() {
  std::thread([] {
    char buffer[256];
    while (true) {
      pollfd fd{STDIN_FILENO, POLLIN, 0};
      if (::poll(&fd, 1, -1) < 0) continue;
      if (::read(STDIN_FILENO, buffer, sizeof(buffer)) <= 0) break;
    }
    ::kill(::getpid(), SIGTERM);
  }).detach();
}

int Run(int argc, char** argv) {
  CLI::App app{"fake-exchange: fake Binance and Bybit market APIs on 127.0.0.1", "fake-exchange"};
  FakeExchangeOptions options;
  app.add_option("--now", options.now_ms, "Market clock in epoch ms (default: the system clock)")
      ->check(CLI::NonNegativeNumber);
  bool exit_on_stdin_close = false;
  app.add_flag("--exit-on-stdin-close", exit_on_stdin_close,
               "Also stop when standard input closes (the parent's pipe)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  const sigset_t stop_signals = BlockStopSignals();
  // A client that hangs up mid-response must not end the server.
  std::signal(SIGPIPE, SIG_IGN);
  Result<std::unique_ptr<FakeExchange>> fake = FakeExchange::Start(std::move(options));
  if (!fake.ok()) {
    std::cerr << "fake-exchange: " << fake.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << (*fake)->base_url() << std::endl;
  if (exit_on_stdin_close) StopWhenStdinCloses();
  int signal = 0;
  while (sigwait(&stop_signals, &signal) != 0) {
  }
  return kExitOk;
}

}  // namespace
}  // namespace dlake::testing

int main(int argc, char** argv) { return dlake::testing::Run(argc, argv); }
