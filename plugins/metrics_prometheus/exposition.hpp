// The Prometheus text exposition format (version 0.0.4): metric families with # HELP and # TYPE
// lines, samples with escaped label values. Spec:
// prometheus.io/docs/instrumenting/exposition_formats
// ("Text format details": label values escape backslash, double quote and line feed; HELP text
// escapes backslash and line feed; all samples of a family are contiguous).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::plugins::prometheus {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
// Shortest text that reads back as the same double; NaN, +Inf, -Inf as Prometheus spells them.
std::string format_value(double v);

class Exposition {
 public:
  // Starts a family; `type` is "counter", "gauge" or "untyped".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, const Labels& labels, int64_t value);
  // A family with a single unlabelled sample.
  void single(std::string_view name, std::string_view type, std::string_view help, double value) {
    family(name, type, help);
    sample(name, {}, value);
  }

  const std::string& text() const { return out_; }

 private:
  void sample_prefix(std::string_view name, const Labels& labels);
  std::string out_;
};

}  // namespace sluice::plugins::prometheus
