#include "protocol/statement_cache.hpp"

#include <atomic>
#include <cstring>
#include <functional>

namespace sluice::protocol {

StatementRef StatementText::make(std::span<const uint8_t> after_name) {
  auto t = std::make_shared<StatementText>();
  t->bytes.assign(reinterpret_cast<const char*>(after_name.data()), after_name.size());
  t->hash = std::hash<std::string>{}(t->bytes);
  return t;
}

std::string_view StatementText::query() const {
  std::string_view all(bytes);
  return all.substr(0, all.find('\0'));
}

std::string next_server_statement_name() {
  static std::atomic<uint64_t> counter{0};
  return "sluice_" + std::to_string(counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

const std::string* ServerStatementCache::find(const StatementRef& text) {
  auto it = map_.find(text.get());
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->name;
}

std::string ServerStatementCache::add(const StatementRef& text, size_t capacity,
                                      std::vector<std::string>& evicted) {
  if (capacity == 0) capacity = 1;
  auto found = map_.find(text.get());
  if (found != map_.end()) {  // replaced: the old one is closed like an evicted one
    evicted.push_back(found->second->name);
    lru_.erase(found->second);
    map_.erase(found);
  }
  while (map_.size() >= capacity) {
    Entry& last = lru_.back();
    evicted.push_back(last.name);
    map_.erase(last.text.get());
    lru_.pop_back();
  }
  lru_.push_front(Entry{text, next_server_statement_name()});
  map_.emplace(lru_.front().text.get(), lru_.begin());
  return lru_.front().name;
}

void ServerStatementCache::remove(const StatementRef& text, const std::string& name) {
  auto it = map_.find(text.get());
  if (it == map_.end() || it->second->name != name) return;
  lru_.erase(it->second);
  map_.erase(it);
}

void ServerStatementCache::clear() {
  map_.clear();
  lru_.clear();
}

}  // namespace sluice::protocol
