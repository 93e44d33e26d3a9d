// A client's tracked parameters (client_encoding, DateStyle, TimeZone, ... plus
// track_extra_parameters), stored compactly: every logged-in client has a handful of them for as
// long as it stays connected, idle or not, so they cost one small string instead of a vector of
// name/value string pairs. The names are not stored: a value's position is its name's index in
// the tracked list (RuntimeConfig::tracked_params, which outlives the session). A value the client
// never set falls back to the pool's welcome (the first server's ParameterStatus values, which
// never change and outlive the session), so a client that sets none of them stores nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

class ClientParams {
 public:
  // The tracked names; set once, before the first set(). Names outside this list are not stored.
  void set_names(const std::vector<std::string>* names) { names_ = names; }
  const std::vector<std::string>* names() const { return names_; }
  // The values for names never set, by the name's index (WelcomeView::tracked: the pool's
  // welcome); an entry may be null, and so may the whole list.
  using Defaults = std::vector<const std::string*>;
  void set_defaults(const Defaults* defaults) { defaults_ = defaults; }

  // The value of `name` (any spelling: GUC names are case-insensitive), the default when it was
  // never set, or nullopt when there is neither. The view's data() is NUL-terminated.
  std::optional<std::string_view> find(std::string_view name) const;
  // Sets `name` (a tracked name, any spelling) to `value`; a value must not contain NUL.
  void set(std::string_view name, std::string_view value);
  // fn(name, value) for every tracked name in order, with what find() would give for it: one
  // walk through the values instead of a find per name.
  template <class Fn>
  void visit(Fn&& fn) const {
    if (!names_) return;
    size_t pos = 0;
    for (size_t i = 0; i < names_->size(); ++i) {
      if (pos >= data_.size()) {
        fn((*names_)[i], default_of(i));
        continue;
      }
      const size_t next = next_entry(pos);
      fn((*names_)[i], value_at(pos, next, i));
      pos = next;
    }
  }

 private:
  // Index of `name` in names_, or -1.
  int index_of(std::string_view name) const;
  // The start of the entry after the one at `pos`.
  size_t next_entry(size_t pos) const;
  // The value of the entry at `pos` (ending at `next`) for tracked name `index`: the default
  // when the name was never set.
  std::optional<std::string_view> value_at(size_t pos, size_t next, size_t index) const;
  // The welcome's value for tracked name `index`, if any.
  std::optional<std::string_view> default_of(size_t index) const;

  const std::vector<std::string>* names_ = nullptr;
  const Defaults* defaults_ = nullptr;
  // One entry per tracked name up to the last one set, in names_ order: "\0" for a name never set,
  // "\1" value "\0" for a value.
  std::string data_;
};

// The ParamList API (pool/server_connection.hpp), for code that handles both kinds.
inline std::optional<std::string_view> find_param(const ClientParams& params,
                                                  std::string_view name) {
  return params.find(name);
}
inline void set_param(ClientParams& params, std::string_view name, std::string_view value) {
  params.set(name, value);
}

}  // namespace sluice
