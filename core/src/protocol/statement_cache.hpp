// Protocol-level prepared statements on one server connection: which statements (query text and
// parameter types) are prepared there, under which server-side name, least recently used first
// out. Every client that prepares the same text shares the server-side statement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sluice::protocol {

// What makes two Parse messages the same statement: everything after the statement name (query
// text, its NUL, the parameter count and type OIDs). Immutable and shared by clients and servers.
struct StatementText {
  std::string bytes;
  size_t hash = 0;

  static std::shared_ptr<const StatementText> make(std::span<const uint8_t> after_name);
  // The query text alone (up to the first NUL), for logs.
  std::string_view query() const;
};
using StatementRef = std::shared_ptr<const StatementText>;

// A fresh server-side statement name, unique in the process: "sluice_<n>".
std::string next_server_statement_name();

class ServerStatementCache {
 public:
  struct Entry {
    StatementRef text;
    std::string name;
    // False from the Parse until its ParseComplete: a later Sync segment of the same link cannot
    // count on it (an error may make the server skip that Parse).
    bool confirmed = false;
    uint64_t segment = 0;  // the Sync segment of the Parse not yet confirmed
  };

  // The entry of `text` if it is prepared here (and marks it most recently used).
  Entry* find(const StatementRef& text);
  // Records `text` as being prepared (in Sync segment `segment`) under a fresh name and returns
  // the entry. Beyond `capacity` entries the least recently used are dropped, and their names
  // appended to `evicted`: the caller closes them on the server.
  Entry& add(const StatementRef& text, size_t capacity, uint64_t segment,
             std::vector<std::string>& evicted);
  // The server answered the Parse of `name`.
  void confirm(const StatementRef& text, const std::string& name);
  // The server skipped the Parse of `name` sent in `segment`: forget it, unless it was parsed
  // again in a later segment or confirmed meanwhile.
  void forget_unparsed(const StatementRef& text, const std::string& name, uint64_t segment);
  // DISCARD ALL / DEALLOCATE ALL ran: every confirmed statement is gone (Parses still unanswered
  // came after it and stay).
  void drop_confirmed();
  // Forgets `text` whatever its state (the caller closes it on the server).
  void remove(const StatementRef& text);
  void clear();
  size_t size() const { return map_.size(); }

  // Names to close on the server at the next chance: evicted statements whose Close was skipped.
  std::vector<std::string> to_close;

 private:
  struct KeyHash {
    size_t operator()(const StatementText* t) const { return t->hash; }
  };
  struct KeyEqual {
    bool operator()(const StatementText* a, const StatementText* b) const {
      return a == b || (a->hash == b->hash && a->bytes == b->bytes);
    }
  };
  void erase(std::list<Entry>::iterator it);
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<const StatementText*, std::list<Entry>::iterator, KeyHash, KeyEqual> map_;
};

}  // namespace sluice::protocol
