#include "session/client_params.hpp"

#include <strings.h>

namespace sluice {

int ClientParams::index_of(std::string_view name) const {
  if (!names_) return -1;
  // Callers usually pass the tracked list's own strings: found by address, no comparison.
  for (size_t i = 0; i < names_->size(); ++i) {
    const std::string& n = (*names_)[i];
    if (n.data() == name.data() && n.size() == name.size()) return static_cast<int>(i);
  }
  for (size_t i = 0; i < names_->size(); ++i) {
    const std::string& n = (*names_)[i];
    if (n.size() == name.size() && ::strncasecmp(n.data(), name.data(), n.size()) == 0)
      return static_cast<int>(i);
  }
  return -1;
}

size_t ClientParams::next_entry(size_t pos) const {
  return data_[pos] == '\0' ? pos + 1 : data_.find('\0', pos + 1) + 1;
}

std::optional<std::string_view> ClientParams::default_of(size_t index) const {
  if (!defaults_ || index >= defaults_->size() || !(*defaults_)[index]) return std::nullopt;
  return std::string_view(*(*defaults_)[index]);
}

std::optional<std::string_view> ClientParams::value_at(size_t pos, size_t next,
                                                       size_t index) const {
  if (data_[pos] == '\0') return default_of(index);  // "\0": never set
  return std::string_view(data_).substr(pos + 1, next - pos - 2);
}

std::optional<std::string_view> ClientParams::find(std::string_view name) const {
  const int index = index_of(name);
  if (index < 0) return std::nullopt;
  const auto i = static_cast<size_t>(index);
  size_t pos = 0;
  for (size_t k = 0; k < i && pos < data_.size(); ++k) pos = next_entry(pos);
  if (pos >= data_.size()) return default_of(i);
  return value_at(pos, next_entry(pos), i);
}

void ClientParams::set(std::string_view name, std::string_view value) {
  const int index = index_of(name);
  if (index < 0) return;
  // Values are C strings on the wire: a NUL cannot come from a client or a server.
  value = value.substr(0, value.find('\0'));
  size_t pos = 0;
  int i = 0;
  for (; i < index && pos < data_.size(); ++i) pos = next_entry(pos);
  const size_t end = pos < data_.size() ? next_entry(pos) : pos;
  // Rebuilt at its exact size: set only at login and when a server reports a new value.
  std::string out;
  out.reserve(data_.size() - (end - pos) + static_cast<size_t>(index - i) + value.size() + 2);
  out.append(data_, 0, pos);
  out.append(static_cast<size_t>(index - i), '\0');  // tracked names before it never set
  out += '\1';
  out.append(value);
  out += '\0';
  out.append(data_, end);
  out.shrink_to_fit();
  data_ = std::move(out);
}

}  // namespace sluice
