#include "protocol/statement_cache.hpp"

#include <atomic>
#include <cstring>
#include <functional>
#include <iterator>

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

ServerStatementCache::Entry* ServerStatementCache::find(const StatementRef& text) {
  auto it = map_.find(text.get());
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &*it->second;
}

void ServerStatementCache::erase(std::list<Entry>::iterator it) {
  map_.erase(it->text.get());
  lru_.erase(it);
}

ServerStatementCache::Entry& ServerStatementCache::add(const StatementRef& text, size_t capacity,
                                                       uint64_t segment,
                                                       std::vector<std::string>& evicted) {
  if (capacity == 0) capacity = 1;
  auto found = map_.find(text.get());
  if (found != map_.end()) {  // replaced: the old one is closed like an evicted one
    evicted.push_back(found->second->name);
    erase(found->second);
  }
  while (map_.size() >= capacity) {
    evicted.push_back(lru_.back().name);
    erase(std::prev(lru_.end()));
  }
  lru_.push_front(Entry{text, next_server_statement_name(), false, segment});
  map_.emplace(lru_.front().text.get(), lru_.begin());
  return lru_.front();
}

void ServerStatementCache::confirm(const StatementRef& text, const std::string& name) {
  auto it = map_.find(text.get());
  if (it != map_.end() && it->second->name == name) it->second->confirmed = true;
}

void ServerStatementCache::forget_unparsed(const StatementRef& text, const std::string& name,
                                           uint64_t segment) {
  auto it = map_.find(text.get());
  if (it == map_.end() || it->second->name != name) return;
  if (it->second->confirmed || it->second->segment > segment) return;
  erase(it->second);
}

void ServerStatementCache::remove(const StatementRef& text) {
  auto it = map_.find(text.get());
  if (it != map_.end()) erase(it->second);
}

void ServerStatementCache::drop_confirmed() {
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->confirmed) erase(it);
    it = next;
  }
}

void ServerStatementCache::clear() {
  map_.clear();
  lru_.clear();
  to_close.clear();
}

}  // namespace sluice::protocol
