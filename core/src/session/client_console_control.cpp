// Admin console control commands that act on pools and sessions: DISABLE/ENABLE db,
// RECONNECT [db], WAIT_CLOSE [db], KILL [db], KILL_CLIENT id, SHUTDOWN [mode].
// (PAUSE/RESUME and RELOAD are in client_console.cpp.)
#include <spdlog/spdlog.h>

#include <charconv>

#include "admin/console_command.hpp"
#include "admin/result_builder.hpp"
#include "pool/pool_manager.hpp"
#include "server/shard.hpp"
#include "session/client_session.hpp"

namespace sluice {

namespace {
// A plain coroutine function, not a capturing lambda: a lambda coroutine's captures live in the
// lambda object, which co_spawn does not keep alive (and g++ 12 mangles their copies).
Awaitable<int> kill_on_shard(Shard* sh, std::string database, uint64_t id) {
  int n = 0;
  sh->sessions().for_each([&](ShardMember& m) { n += m.admin_kill(database, id) ? 1 : 0; });
  co_return n;
}
}  // namespace

Awaitable<int> ClientSession::kill_everywhere(std::string database, uint64_t id) {
  int killed = 0;
  for (Shard* sh : ctx_.shards) {
    killed += co_await asio::co_spawn(sh->io(), kill_on_shard(sh, database, id), kUseAwaitable);
  }
  co_return killed;
}

Awaitable<bool> ClientSession::console_control(const admin::ConsoleCommand& cmd,
                                               admin::ResultBuilder& result) {
  const std::string& verb = cmd.verb;
  if (verb != "DISABLE" && verb != "ENABLE" && verb != "RECONNECT" && verb != "WAIT_CLOSE" &&
      verb != "KILL" && verb != "KILL_CLIENT" && verb != "SHUTDOWN")
    co_return false;
  PoolManager& pools = ctx_.pools();
  const std::string& arg = cmd.argument;
  auto in_scope = [&](const std::shared_ptr<Pool>& p) {
    return arg.empty() || p->settings().database == arg;
  };
  // Commands that name a database need one that exists (and not the console's own).
  bool takes_db = verb != "KILL_CLIENT" && verb != "SHUTDOWN";
  if (takes_db && !arg.empty()) {
    if (arg == "pgbouncer") {
      std::string lower = verb;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      result.set_error("08P01", "cannot " + lower + " admin db");
      co_return true;
    }
    if (!runtime_->config->find_database(arg)) {
      result.set_error("08P01", "no such database: " + arg);
      co_return true;
    }
  }
  if ((verb == "DISABLE" || verb == "ENABLE") && arg.empty()) {
    result.set_error("08P01", "invalid command '" + verb + "', use SHOW HELP;");
    co_return true;
  }
  if (verb == "DISABLE" || verb == "ENABLE") {
    pools.set_disabled(arg, verb == "DISABLE");
    spdlog::info("{} {}", verb, arg);
  } else if (verb == "RECONNECT") {
    for (const auto& p : pools.all()) {
      if (in_scope(p)) p->reconnect();
    }
    spdlog::info("RECONNECT{}{}", arg.empty() ? "" : " ", arg);
  } else if (verb == "WAIT_CLOSE") {
    SteadyTimer poll(shard_.io());
    for (;;) {
      int open = 0;
      for (const auto& p : pools.all()) {
        if (in_scope(p)) open += p->retired_open();
      }
      if (open == 0) break;
      poll.expires_after(std::chrono::milliseconds(50));
      boost::system::error_code ec;
      co_await poll.async_wait(asio::redirect_error(kUseAwaitable, ec));
    }
  } else if (verb == "KILL") {
    // PgBouncer: drop the clients and servers at once and leave the database paused.
    pools.set_paused(arg, true, client_.get_executor());
    for (const auto& p : pools.all()) {
      if (in_scope(p)) p->fail_waiters("killed by admin console");
    }
    int n = co_await kill_everywhere(arg, 0);
    spdlog::info("KILL{}{}: {} client(s) closed", arg.empty() ? "" : " ", arg, n);
  } else if (verb == "KILL_CLIENT") {
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), id);
    if (arg.empty() || ec != std::errc() || end != arg.data() + arg.size() || id == 0) {
      result.set_error("08P01", "invalid client pointer supplied");
      co_return true;
    }
    if (co_await kill_everywhere("", id) == 0) {
      result.set_error("08P01", "client not found");
      co_return true;
    }
  } else if (verb == "SHUTDOWN") {
    std::string mode = arg;
    for (char& c : mode) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    DaemonContext::ShutdownMode m = DaemonContext::ShutdownMode::kImmediate;
    if (mode == "WAIT_FOR_CLIENTS") {
      m = DaemonContext::ShutdownMode::kWaitForClients;
    } else if (mode == "WAIT_FOR_SERVERS") {
      m = DaemonContext::ShutdownMode::kWaitForServers;
    } else if (!mode.empty()) {
      result.set_error("08P01", "invalid command 'SHUTDOWN " + arg + "', use SHOW HELP;");
      co_return true;
    }
    spdlog::info("SHUTDOWN{}{} from the admin console", mode.empty() ? "" : " ", mode);
    if (ctx_.shutdown) ctx_.shutdown(m);
    if (m == DaemonContext::ShutdownMode::kImmediate) {
      close_client("SHUTDOWN");  // PgBouncer sends no reply: the connection just closes
      result.set_no_reply();
      co_return true;
    }
  }
  result.set_tag(verb);
  co_return true;
}

}  // namespace sluice
