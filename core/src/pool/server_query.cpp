// Pooler-issued simple queries.
#include "pool/server_query.hpp"

#include <stdexcept>

#include "protocol/backend_messages.hpp"
#include "protocol/frontend_messages.hpp"
#include "protocol/message_builder.hpp"
#include "protocol/message_parsers.hpp"
#include "server/message_io.hpp"

namespace sluice {

Awaitable<QueryOutcome> run_server_query(Socket& sock, TlsChannel* tls, std::string_view sql,
                                         ParamList& params, uint32_t max_packet_size) {
  std::string out;
  protocol::append_query(out, sql);
  co_await write_all(sock, tls, out);
  QueryOutcome outcome;
  for (;;) {
    Message m = co_await read_message(sock, tls, max_packet_size);
    switch (m.type) {
      case 'E':
        if (!outcome.error) {
          auto f = protocol::parse_error_fields(m.bytes());
          outcome.error = f ? ServerError{f->sqlstate, f->message}
                            : ServerError{"08P01", "malformed error from server"};
        }
        break;
      case 'S':
        if (auto p = protocol::parse_parameter_status(m.bytes()))
          set_param(params, p->first, p->second);
        break;
      case 'Z': {
        auto st = protocol::parse_ready_for_query(m.bytes());
        if (!st) throw std::runtime_error("malformed ReadyForQuery");
        outcome.tx_status = *st;
        co_return outcome;
      }
      case 'G':  // CopyInResponse: refuse to feed data to a pooler-issued query
      case 'W': {
        std::string fail;
        protocol::MessageBuilder(fail).begin('f').cstr("COPY not allowed here").end();
        co_await write_all(sock, tls, fail);
        break;
      }
      default:  // RowDescription, DataRow, CommandComplete, NoticeResponse, CopyOut data...
        break;
    }
  }
}

}  // namespace sluice
