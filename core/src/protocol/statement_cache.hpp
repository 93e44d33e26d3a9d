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
  // The server-side name of `text` if it is prepared here (and marks it most recently used).
  const std::string* find(const StatementRef& text);
  // Records `text` as prepared under a fresh name and returns that name. Beyond `capacity`
  // entries the least recently used are dropped, and their names appended to `evicted`: the caller
  // closes them on the server.
  std::string add(const StatementRef& text, size_t capacity, std::vector<std::string>& evicted);
  // Forgets `text` if it is recorded under `name` (a Parse the server did not carry out).
  void remove(const StatementRef& text, const std::string& name);
  void clear();
  size_t size() const { return map_.size(); }

 private:
  struct Entry {
    StatementRef text;
    std::string name;
  };
  struct KeyHash {
    size_t operator()(const StatementText* t) const { return t->hash; }
  };
  struct KeyEqual {
    bool operator()(const StatementText* a, const StatementText* b) const {
      return a == b || (a->hash == b->hash && a->bytes == b->bytes);
    }
  };
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<const StatementText*, std::list<Entry>::iterator, KeyHash, KeyEqual> map_;
};

}  // namespace sluice::protocol
