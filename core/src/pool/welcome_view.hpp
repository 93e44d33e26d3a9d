// The pool's welcome (its first server's ParameterStatus values) in the form a client's login
// needs it, for one list of tracked names: the ParameterStatus messages of the untracked
// parameters, ready to send as they are, and the welcome's value of each tracked name by index.
// Built once per pool and tracked list, so a login copies one string and looks nothing up.
#pragma once

#include <string>
#include <vector>

#include "pool/server_connection.hpp"

namespace sluice {

struct WelcomeView {
  std::vector<std::string> names;  // the tracked names it was built for
  // Per tracked name, the welcome's value (found in any spelling), or null; points into the
  // pool's welcome, which never changes.
  std::vector<const std::string*> tracked;
  // ParameterStatus messages of every welcome parameter that is not tracked, in welcome order.
  std::string untracked_status;
};

WelcomeView make_welcome_view(const ParamList& welcome, const std::vector<std::string>& names);

}  // namespace sluice
