// RuntimeConfig construction.
#include <strings.h>

#include <algorithm>

#include "server/daemon_context.hpp"

namespace sluice {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// Parameters PostgreSQL reports with ParameterStatus that the pooler keeps per client and applies
// to whichever server the client gets (PgBouncer's varcache, reference §5.3).
std::vector<std::string> tracked_parameter_names(const config::Config& cfg) {
  std::vector<std::string> names{"client_encoding", "DateStyle", "TimeZone",
                                 "standard_conforming_strings", "application_name"};
  const std::string& extra = cfg.str("track_extra_parameters");
  size_t pos = 0;
  while (pos <= extra.size()) {
    size_t end = extra.find_first_of(", ", pos);
    if (end == std::string::npos) end = extra.size();
    std::string name = extra.substr(pos, end - pos);
    if (!name.empty() &&
        std::none_of(names.begin(), names.end(), [&](const auto& n) { return iequals(n, name); }))
      names.push_back(name);
    pos = end + 1;
  }
  return names;
}

}  // namespace

std::shared_ptr<const RuntimeConfig> make_runtime(std::shared_ptr<const config::Config> config,
                                                  std::shared_ptr<const config::Userlist> userlist,
                                                  std::shared_ptr<const plugin::Registry> plugins) {
  auto rt = std::make_shared<RuntimeConfig>();
  rt->tracked_params = tracked_parameter_names(*config);
  rt->config = std::move(config);
  rt->userlist = std::move(userlist);
  rt->plugins = std::move(plugins);
  return rt;
}

}  // namespace sluice
