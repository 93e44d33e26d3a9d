#include "protocol/statement_rewriter.hpp"

#include <string_view>
#include <vector>

#include "protocol/byte_reader.hpp"
#include "protocol/message_builder.hpp"

namespace sluice::protocol {

namespace {

void append_raw(std::string& out, std::span<const uint8_t> bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void queue(RewriteContext& ctx, char reply, PendingReply::Action action, StatementRef text = {},
           std::string server_name = {}, std::string client_name = {}) {
  ctx.replies.push_back(PendingReply{reply, action, ctx.segment, std::move(text),
                                     std::move(server_name), std::move(client_name)});
}

void send_close(RewriteContext& ctx, std::string_view name, PendingReply::Action action,
                std::string& out) {
  MessageBuilder(out).begin('C').byte('S').cstr(name).end();
  queue(ctx, '3', action);
}

// Records `text` on the server under a fresh name, closing what the LRU evicts; returns the name.
std::string add_to_server(RewriteContext& ctx, const StatementRef& text, std::string& out) {
  std::vector<std::string> evicted;
  std::string name = ctx.server.add(text, ctx.capacity, evicted);
  for (const auto& old : evicted) send_close(ctx, old, PendingReply::Action::Drop, out);
  return name;
}

void send_parse(RewriteContext& ctx, const std::string& name, const StatementRef& text,
                std::string& out) {
  MessageBuilder(out).begin('P').cstr(name).bytes(std::string_view(text->bytes)).end();
  ++ctx.server_parses;
}

// The client's statement `name`. Nullptr when it never prepared it: then PostgreSQL itself
// should answer (26000 `prepared statement "name" does not exist`, the session goes on), so the
// message is passed on unchanged - unless the name could be one of ours on the server, which
// closes the client as PgBouncer does.
const StatementRef* client_statement(RewriteContext& ctx, std::string_view name, bool& pass,
                                     RewriteError& error) {
  auto it = ctx.client.find(std::string(name));
  if (it != ctx.client.end()) return &it->second;
  if (name.substr(0, kServerNamePrefix.size()) == kServerNamePrefix) {
    error = {"26000", "prepared statement did not exist"};
  } else {
    pass = true;
    ctx.unknown_names = true;
  }
  return nullptr;
}

std::string ensure_on_server(RewriteContext& ctx, const StatementRef& text, std::string& out) {
  if (const std::string* have = ctx.server.find(text)) return *have;
  std::string name = add_to_server(ctx, text, out);
  send_parse(ctx, name, text, out);
  queue(ctx, '1', PendingReply::Action::Drop, text, name);
  return name;
}

bool malformed(RewriteError& error, char type) {
  error = {"08P01", std::string("invalid packet: malformed '") + type + "' message"};
  return false;
}

}  // namespace

bool rewrite_frontend_message(std::span<const uint8_t> whole, RewriteContext& ctx, std::string& out,
                              RewriteError& error) {
  const char type = static_cast<char>(whole[0]);
  ByteReader r(whole.subspan(5));
  switch (type) {
    case 'P': {  // Parse: name, query, int16 n, int32 oid[n]
      ++ctx.client_parses;
      auto name = r.cstr();
      if (!name) return malformed(error, type);
      if (name->empty()) {
        append_raw(out, whole);
        ++ctx.server_parses;
        queue(ctx, '1', PendingReply::Action::Forward);
        return true;
      }
      std::string client_name(*name);
      if (ctx.client.count(client_name)) {
        error = {"08P01", "prepared statement name is already in use"};
        return false;
      }
      StatementRef text = StatementText::make(r.rest());
      ctx.client.emplace(client_name, text);
      if (ctx.server.find(text)) {
        // Already prepared on this server: nothing to parse, but the client expects ParseComplete
        // exactly here.
        send_close(ctx, kNoopStatementName, PendingReply::Action::AsParseComplete, out);
        return true;
      }
      std::string server_name = add_to_server(ctx, text, out);
      send_parse(ctx, server_name, text, out);
      queue(ctx, '1', PendingReply::Action::Forward, text, server_name, client_name);
      return true;
    }
    case 'B': {  // Bind: portal, statement, then parameters (passed on unchanged)
      ++ctx.binds;
      auto portal = r.cstr();
      auto stmt = portal ? r.cstr() : std::nullopt;
      if (!stmt) return malformed(error, type);
      if (stmt->empty()) {
        append_raw(out, whole);
        return true;
      }
      bool pass = false;
      const StatementRef* text = client_statement(ctx, *stmt, pass, error);
      if (!text) {
        if (pass) append_raw(out, whole);
        return pass;
      }
      const StatementRef keep = *text;
      std::string server_name = ensure_on_server(ctx, keep, out);
      MessageBuilder(out).begin('B').cstr(*portal).cstr(server_name).bytes(r.rest()).end();
      return true;
    }
    case 'D': {  // Describe: 'S' statement or 'P' portal, name
      auto kind = r.byte();
      auto name = kind ? r.cstr() : std::nullopt;
      if (!name) return malformed(error, type);
      if (*kind != 'S' || name->empty()) {
        append_raw(out, whole);
        return true;
      }
      bool pass = false;
      const StatementRef* text = client_statement(ctx, *name, pass, error);
      if (!text) {
        if (pass) append_raw(out, whole);
        return pass;
      }
      const StatementRef keep = *text;
      std::string server_name = ensure_on_server(ctx, keep, out);
      MessageBuilder(out).begin('D').byte('S').cstr(server_name).end();
      return true;
    }
    case 'C': {  // Close: 'S' statement or 'P' portal, name
      auto kind = r.byte();
      auto name = kind ? r.cstr() : std::nullopt;
      if (!name) return malformed(error, type);
      if (*kind != 'S' || name->empty()) {
        append_raw(out, whole);
        queue(ctx, '3', PendingReply::Action::Forward);
        return true;
      }
      // The server-side statement stays for other clients (and this one, if it prepares the same
      // text again); the client still gets its CloseComplete in order.
      ctx.client.erase(std::string(*name));
      send_close(ctx, kNoopStatementName, PendingReply::Action::Forward, out);
      return true;
    }
    default:
      append_raw(out, whole);
      return true;
  }
}

void finish_segment(uint64_t done, ClientStatements& client, ServerStatementCache& server,
                    ReplyQueue& replies) {
  while (!replies.empty() && replies.front().segment < done) {
    PendingReply& p = replies.front();
    if (p.reply == '1' && p.text) {
      server.remove(p.text, p.server_name);
      if (!p.client_name.empty()) {
        auto it = client.find(p.client_name);
        if (it != client.end() && it->second == p.text) client.erase(it);
      }
    }
    replies.pop_front();
  }
}

bool discards_all_statements(std::span<const uint8_t> body) {
  std::string_view tag(reinterpret_cast<const char*>(body.data()), body.size());
  if (!tag.empty() && tag.back() == '\0') tag.remove_suffix(1);
  return tag == "DEALLOCATE ALL" || tag == "DISCARD ALL";
}

}  // namespace sluice::protocol
