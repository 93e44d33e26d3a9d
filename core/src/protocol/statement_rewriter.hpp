// Protocol-level prepared statements in transaction and statement pooling: a client's named
// statements are mapped to statements prepared once per server connection and shared by every
// client that prepares the same text. Parse/Bind/Describe/Close naming a statement are rewritten
// on the way to the server, and a statement missing on that server is prepared there first.
//
// The server answers every Parse with ParseComplete ('1') and every Close with CloseComplete
// ('3'), in order, skipping the rest of a Sync segment after an error. Each Parse or Close sent
// therefore queues a PendingReply saying what the client must see of that answer: the
// server-only Parses (injected before a Bind/Describe, or closing an evicted statement) are
// dropped. Where the pooler has nothing to send (a client's Parse of a statement the server
// already has), it sends a Close of a name that never exists, which PostgreSQL answers with
// CloseComplete in the right place (errors skip it just as they would skip the Parse), and that
// answer reaches the client as ParseComplete.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/statement_cache.hpp"

namespace sluice::protocol {

// A Close naming this statement is a no-op on the server (no statement ever gets that name).
inline constexpr std::string_view kNoopStatementName = "sluice_noop";
// Every server-side name starts so (statement_cache.hpp).
inline constexpr std::string_view kServerNamePrefix = "sluice_";

struct PendingReply {
  enum class Action : uint8_t { Forward, Drop, AsParseComplete };
  char reply = '1';  // what the server answers: '1' ParseComplete or '3' CloseComplete
  Action action = Action::Forward;
  // The Sync/Query/FunctionCall segment the message belongs to: if its ReadyForQuery comes first,
  // the server skipped the message (an earlier error) and its answer never comes.
  uint64_t segment = 0;
  // A Parse of a named statement: if it is never answered, the statement is not on the server
  // (and, for the client's own Parse, not in the client's map either).
  StatementRef text;
  std::string server_name;  // a Parse: the name parsed; a Close of an evicted statement: its name
  std::string client_name;  // the client's own named Parse or Close
  bool undo_close = false;  // the client's Close: if skipped, the name maps to `text` again
};

// The replies still to come, oldest first. A vector and a read index: nothing is allocated until
// the first entry, and the storage is reused once the queue drains.
class ReplyQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  PendingReply& front() { return items_[head_]; }
  PendingReply& back() { return items_.back(); }
  void push_back(PendingReply r) { items_.push_back(std::move(r)); }
  void pop_front() {
    items_[head_] = PendingReply{};
    if (++head_ == items_.size()) {
      clear();
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
      // A client that keeps pipelining ahead of the server: drop the answered half.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = head_; i < items_.size(); ++i) f(items_[i]);
  }
  void clear() {
    items_.clear();
    head_ = 0;
    if (items_.capacity() > 64) items_.shrink_to_fit();
  }

 private:
  std::vector<PendingReply> items_;
  size_t head_ = 0;
};

// A client's named statements: its name -> the statement.
using ClientStatements = std::unordered_map<std::string, StatementRef>;

// Everything one rewrite touches; one per linked client.
struct RewriteContext {
  ClientStatements& client;
  ServerStatementCache& server;
  ReplyQueue& replies;
  uint64_t segment = 0;   // segment the next message belongs to
  size_t capacity = 200;  // max_prepared_statements
  // Counters for SHOW STATS.
  uint64_t client_parses = 0;
  uint64_t server_parses = 0;
  uint64_t binds = 0;
  // A Bind/Describe named a statement the client never prepared: passed on for PostgreSQL's error.
  bool unknown_names = false;
  // A Bind/Describe named a statement the client prepared (what a retry can help with).
  bool named_statements = false;
};

struct RewriteError {
  std::string sqlstate;
  std::string message;
};

// True when a complete client message goes to the server byte for byte: it names no statement
// (the unnamed statement, a portal) or is of another type. False for a malformed
// Parse/Bind/Describe/Close (rewrite_frontend_message reports it).
bool passes_unchanged(std::span<const uint8_t> whole);
// What rewrite_frontend_message does for such a message besides copying it: counters, and the
// reply it expects (ParseComplete, CloseComplete) queued for the client.
void note_unchanged(std::span<const uint8_t> whole, RewriteContext& ctx);

// Appends what the server must receive for one complete client message (`whole` = type, length,
// body) to `out`. Messages other than Parse, Bind, Describe and Close are appended unchanged.
// Returns false with `error` (PgBouncer's texts) when the client must be closed: a Parse reusing a
// name already in use, a Bind/Describe of a never prepared name that looks like a server-side name
// ("sluice_..."; other unknown names go to the server, whose error the client gets), a malformed
// message.
bool rewrite_frontend_message(std::span<const uint8_t> whole, RewriteContext& ctx, std::string& out,
                              RewriteError& error);

// ReadyForQuery number `done` (1-based, this link) arrived: every reply still queued for an earlier
// segment never comes. Parses among them did not happen; the maps forget them.
void finish_segment(uint64_t done, ClientStatements& client, ServerStatementCache& server,
                    ReplyQueue& replies);

// A CommandComplete tag that discards every prepared statement of the session.
bool discards_all_statements(std::span<const uint8_t> command_complete_body);

// DISCARD ALL / DEALLOCATE ALL ran on the server: what was prepared before it is gone from the
// server and from the client's map; statements whose Parse is still unanswered came after it.
void discard_all_statements(ClientStatements& client, ServerStatementCache& server,
                            const ReplyQueue& replies);

}  // namespace sluice::protocol
