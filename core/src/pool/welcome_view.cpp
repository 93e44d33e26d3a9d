#include "pool/welcome_view.hpp"

#include "config/value_parser.hpp"
#include "protocol/backend_messages.hpp"

namespace sluice {

WelcomeView make_welcome_view(const ParamList& welcome, const std::vector<std::string>& names) {
  WelcomeView view;
  view.names = names;
  view.tracked.assign(names.size(), nullptr);
  for (const auto& [name, value] : welcome) {
    bool tracked = false;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!config::iequals(names[i], name)) continue;
      if (!view.tracked[i]) view.tracked[i] = &value;
      tracked = true;
    }
    if (!tracked) protocol::append_parameter_status(view.untracked_status, name, value);
  }
  return view;
}

}  // namespace sluice
