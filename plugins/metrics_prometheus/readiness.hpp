// /readyz: can sluice reach PostgreSQL? A TCP connect to every configured database's host:port,
// all in parallel, each bounded by a short timeout (no login: no credentials, no server slot used).
// A multi-host database ("h1,h2") is reachable when any of its hosts is. A Unix-socket database
// (host NULL in SHOW DATABASES) is reachable when one of its pools holds a server connection;
// otherwise it is reported "not checked" and does not fail readiness (the socket directory is not
// part of the host API). Not ready either while the daemon shuts down.
#pragma once

#include <string>

#include "sluice/abi.h"

namespace sluice::plugins::prometheus {

struct Readiness {
  bool ready = false;
  std::string report;  // one line per database, for the response body
};

Readiness check_ready(const sluice_host_api* api, int timeout_ms);

}  // namespace sluice::plugins::prometheus
