// The extended query protocol on the admin console — beyond PgBouncer, whose console answers
// Parse with an error: drivers that always use it (psycopg 3, JDBC, node-postgres with their
// defaults) can run SHOW POOLS. Statements take no parameters; results are text. A command runs at
// Describe of its portal (the driver needs the columns first) or at Execute, once per Bind.
#include <map>
#include <memory>

#include "admin/result_builder.hpp"
#include "protocol/backend_messages.hpp"
#include "protocol/byte_reader.hpp"
#include "protocol/message_builder.hpp"
#include "server/message_io.hpp"
#include "session/client_session.hpp"

namespace sluice {

namespace {
struct Portal {
  std::string query;
  std::unique_ptr<admin::ResultBuilder> result;  // set once the command ran (Describe)
};

void append_error(std::string& out, std::string_view message) {
  protocol::append_error(out, "ERROR", "08P01", message);
}

// Reads a NUL-terminated string at `pos`; false if there is none.
bool cstring(const std::string& body, size_t* pos, std::string* out) {
  size_t end = body.find('\0', *pos);
  if (end == std::string::npos) return false;
  out->assign(body, *pos, end - *pos);
  *pos = end + 1;
  return true;
}

uint16_t int16_at(const std::string& body, size_t pos) {
  if (pos + 2 > body.size()) return 0xffff;
  return static_cast<uint16_t>((static_cast<uint8_t>(body[pos]) << 8) |
                               static_cast<uint8_t>(body[pos + 1]));
}
}  // namespace

Awaitable<bool> ClientSession::console_extended(Message& m) {
  std::map<std::string, std::string> statements;  // name -> query
  std::map<std::string, Portal> portals;
  bool failed = false;  // after an error, everything up to Sync is skipped
  for (;;) {
    std::string out;
    if (m.type == 'X') co_return false;
    if (m.type == 'Q') co_return true;  // back to the simple protocol; the caller runs it
    if (m.type == 'S') {                // Sync
      failed = false;
      portals.erase("");
      protocol::append_ready_for_query(out, 'I');
    } else if (m.type == 'H' || failed) {
      // Flush: nothing is held back. After an error: skipped until Sync.
    } else if (m.type == 'P') {
      size_t pos = 0;
      std::string name, query;
      if (!cstring(m.body, &pos, &name) || !cstring(m.body, &pos, &query)) {
        append_error(out, "invalid Parse message");
        failed = true;
      } else if (int16_at(m.body, pos) != 0) {
        append_error(out, "admin console commands take no parameters");
        failed = true;
      } else {
        statements[name] = query;
        protocol::MessageBuilder(out).begin('1').end();  // ParseComplete
      }
    } else if (m.type == 'B') {
      size_t pos = 0;
      std::string portal, statement;
      auto it = statements.end();
      if (!cstring(m.body, &pos, &portal) || !cstring(m.body, &pos, &statement) ||
          (it = statements.find(statement)) == statements.end()) {
        append_error(out, "unknown prepared statement \"" + statement + "\"");
        failed = true;
      } else {
        portals[portal] = Portal{it->second, nullptr};
        protocol::MessageBuilder(out).begin('2').end();  // BindComplete
      }
    } else if (m.type == 'D' || m.type == 'C') {
      char what = m.body.empty() ? 0 : m.body[0];
      std::string name = m.body.size() > 1 ? std::string(m.body.c_str() + 1) : std::string();
      if (m.type == 'C') {
        (what == 'S' ? statements.erase(name) : portals.erase(name));
        protocol::MessageBuilder(out).begin('3').end();  // CloseComplete
      } else if (what == 'S') {
        // A statement's columns are only known by running it: say "no parameters" and leave
        // the row description to the portal (drivers describe the portal before Execute).
        if (!statements.count(name)) {
          append_error(out, "unknown prepared statement \"" + name + "\"");
          failed = true;
        } else {
          protocol::MessageBuilder(out).begin('t').int16(0).end();  // ParameterDescription
          protocol::MessageBuilder(out).begin('n').end();           // NoData
        }
      } else {
        auto p = portals.find(name);
        if (p == portals.end()) {
          append_error(out, "unknown portal \"" + name + "\"");
          failed = true;
        } else {
          p->second.result = std::make_unique<admin::ResultBuilder>();
          co_await console_execute(p->second.query, *p->second.result);
          if (p->second.result->no_reply()) co_return false;
          out += p->second.result->render_description();
        }
      }
    } else if (m.type == 'E') {
      size_t pos = 0;
      std::string name;
      cstring(m.body, &pos, &name);
      auto p = portals.find(name);
      if (p == portals.end()) {
        append_error(out, "unknown portal \"" + name + "\"");
        failed = true;
      } else {
        if (!p->second.result) {
          p->second.result = std::make_unique<admin::ResultBuilder>();
          co_await console_execute(p->second.query, *p->second.result);
          if (p->second.result->no_reply()) co_return false;
        }
        out += p->second.result->render_execution();
        failed = p->second.result->failed();
        p->second.result.reset();  // a second Execute runs the command again
      }
    } else {
      append_error(out, "unexpected message on the admin console");
      co_await write_all(client_, client_tls_.get(), out);
      co_return false;
    }
    if (!out.empty()) co_await write_all(client_, client_tls_.get(), out);
    m = co_await read_message(client_, client_tls_.get(), 1 << 20);
    last_active_ = std::chrono::steady_clock::now();
  }
}

}  // namespace sluice
