// Runs a simple query on a server connection the pooler itself controls (reset, SET, checks).
#pragma once

#include <optional>
#include <string_view>

#include "pool/pool_settings.hpp"
#include "pool/server_connection.hpp"
#include "server/asio.hpp"

namespace sluice {

class TlsChannel;

struct QueryOutcome {
  std::optional<ServerError> error;  // first ErrorResponse, if any
  char tx_status = 'I';              // from the closing ReadyForQuery
};

// Sends Query(sql) and reads up to ReadyForQuery, applying ParameterStatus to `params`, through
// `tls` when not null. Throws on I/O or protocol errors (the connection is then unusable).
Awaitable<QueryOutcome> run_server_query(Socket& sock, TlsChannel* tls, std::string_view sql,
                                         ParamList& params, uint32_t max_packet_size);

}  // namespace sluice
