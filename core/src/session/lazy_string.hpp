// A string that costs one pointer while it is empty: for text most sessions never get (why a
// client was closed), kept in every session for as long as it is connected.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace sluice {

class LazyString {
 public:
  LazyString() = default;
  LazyString(const LazyString&) = delete;
  LazyString& operator=(const LazyString&) = delete;
  ~LazyString() = default;

  LazyString& operator=(std::string_view text) {
    if (text.empty()) {
      value_.reset();
    } else if (value_) {
      value_->assign(text);
    } else {
      value_ = std::make_unique<std::string>(text);
    }
    return *this;
  }
  bool empty() const { return !value_; }
  const std::string& str() const { return value_ ? *value_ : empty_string(); }
  operator const std::string&() const { return str(); }  // NOLINT(google-explicit-constructor)
  operator std::string_view() const { return str(); }    // NOLINT(google-explicit-constructor)

 private:
  static const std::string& empty_string() {
    static const std::string kEmpty;
    return kEmpty;
  }
  std::unique_ptr<std::string> value_;
};

}  // namespace sluice
