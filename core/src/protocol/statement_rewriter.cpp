#include "protocol/statement_rewriter.hpp"

#include <optional>
#include <string_view>
#include <vector>

#include "protocol/byte_reader.hpp"
#include "protocol/message_builder.hpp"

namespace sluice::protocol {

namespace {

void append_raw(std::string& out, std::span<const uint8_t> bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

PendingReply& queue(RewriteContext& ctx, char reply, PendingReply::Action action) {
  PendingReply r;
  r.reply = reply;
  r.action = action;
  r.segment = ctx.segment;
  ctx.replies.push_back(std::move(r));
  return ctx.replies.back();
}

PendingReply& send_close(RewriteContext& ctx, std::string_view name, PendingReply::Action action,
                         std::string& out) {
  MessageBuilder(out).begin('C').byte('S').cstr(name).end();
  return queue(ctx, '3', action);
}

void send_parse(RewriteContext& ctx, const std::string& name, const StatementRef& text,
                std::string& out) {
  MessageBuilder(out).begin('P').cstr(name).bytes(std::string_view(text->bytes)).end();
  ++ctx.server_parses;
}

// Records `text` on the server under a fresh name, first closing what the LRU evicts (and
// evicted statements whose Close an error skipped before).
ServerStatementCache::Entry& add_to_server(RewriteContext& ctx, const StatementRef& text,
                                           std::string& out) {
  std::vector<std::string> evicted = std::move(ctx.server.to_close);
  ctx.server.to_close.clear();
  ServerStatementCache::Entry& e = ctx.server.add(text, ctx.capacity, ctx.segment, evicted);
  for (const auto& old : evicted)
    send_close(ctx, old, PendingReply::Action::Drop, out).server_name = old;
  return e;
}

// An entry this message may count on: confirmed, or parsed earlier in this same Sync segment (if
// an error skips that Parse, it skips this message too).
bool usable(const ServerStatementCache::Entry& e, const RewriteContext& ctx) {
  return e.confirmed || e.segment == ctx.segment;
}

// Parses `text` again under the entry's name in this segment: its Parse in an earlier segment is
// still unanswered and may be skipped. The Close makes it harmless if it was not.
void parse_again(RewriteContext& ctx, ServerStatementCache::Entry& e, std::string& out) {
  send_close(ctx, e.name, PendingReply::Action::Drop, out);
  send_parse(ctx, e.name, e.text, out);
  e.segment = ctx.segment;
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

// The statement's name on this server, preparing it there first (its ParseComplete dropped) when
// it is not there yet.
std::string ensure_on_server(RewriteContext& ctx, const StatementRef& text, std::string& out) {
  if (ServerStatementCache::Entry* e = ctx.server.find(text)) {
    if (!usable(*e, ctx)) {
      parse_again(ctx, *e, out);
      PendingReply& r = queue(ctx, '1', PendingReply::Action::Drop);
      r.text = text;
      r.server_name = e->name;
    }
    return e->name;
  }
  ServerStatementCache::Entry& e = add_to_server(ctx, text, out);
  send_parse(ctx, e.name, text, out);
  PendingReply& r = queue(ctx, '1', PendingReply::Action::Drop);
  r.text = text;
  r.server_name = e.name;
  return e.name;
}

// Bind/Describe of the client's statement `name`: its server-side name, prepared on this server
// first when needed. Nullopt when the client never prepared it: then the message went to `out`
// unchanged (`ok`), or the client must be closed (`ok` false, `error` set).
std::optional<std::string> server_name_for(RewriteContext& ctx, std::string_view name,
                                           std::span<const uint8_t> whole, std::string& out,
                                           bool& ok, RewriteError& error) {
  bool pass = false;
  const StatementRef* text = client_statement(ctx, name, pass, error);
  if (!text) {
    if (pass) append_raw(out, whole);
    ok = pass;
    return std::nullopt;
  }
  const StatementRef keep = *text;  // ensure_on_server may not invalidate what it reads
  ctx.named_statements = true;
  return ensure_on_server(ctx, keep, out);
}

bool malformed(RewriteError& error, char type) {
  error = {"08P01", std::string("invalid packet: malformed '") + type + "' message"};
  return false;
}

bool rewrite_parse(ByteReader& r, std::span<const uint8_t> whole, RewriteContext& ctx,
                   std::string& out, RewriteError& error) {
  ++ctx.client_parses;
  auto name = r.cstr();
  if (!name) return malformed(error, 'P');
  std::string client_name(*name);  // (not empty: passes_unchanged took the unnamed statement)
  if (ctx.client.count(client_name)) {
    error = {"08P01", "prepared statement name is already in use"};
    return false;
  }
  StatementRef text = StatementText::make(r.rest());
  ctx.client.emplace(client_name, text);
  PendingReply* reply = nullptr;
  if (ServerStatementCache::Entry* e = ctx.server.find(text)) {
    if (usable(*e, ctx)) {
      // Already prepared on this server: nothing to parse, but the client expects ParseComplete
      // exactly here.
      reply = &send_close(ctx, kNoopStatementName, PendingReply::Action::AsParseComplete, out);
    } else {
      parse_again(ctx, *e, out);
      reply = &queue(ctx, '1', PendingReply::Action::Forward);
      reply->server_name = e->name;
    }
  } else {
    ServerStatementCache::Entry& added = add_to_server(ctx, text, out);
    send_parse(ctx, added.name, text, out);
    reply = &queue(ctx, '1', PendingReply::Action::Forward);
    reply->server_name = added.name;
  }
  reply->text = text;
  reply->client_name = std::move(client_name);
  return true;
}

}  // namespace

bool passes_unchanged(std::span<const uint8_t> whole) {
  ByteReader r(whole.subspan(5));
  switch (static_cast<char>(whole[0])) {
    case 'P': {
      auto name = r.cstr();
      return name && name->empty();
    }
    case 'B': {
      auto portal = r.cstr();
      auto stmt = portal ? r.cstr() : std::nullopt;
      return stmt && stmt->empty();
    }
    case 'D':
    case 'C': {
      auto kind = r.byte();
      auto name = kind ? r.cstr() : std::nullopt;
      return name && (*kind != 'S' || name->empty());
    }
    default:
      return true;
  }
}

void note_unchanged(std::span<const uint8_t> whole, RewriteContext& ctx) {
  switch (static_cast<char>(whole[0])) {
    case 'P':  // the unnamed statement: parsed on the server as the client asked
      ++ctx.client_parses;
      ++ctx.server_parses;
      queue(ctx, '1', PendingReply::Action::Forward);
      break;
    case 'B':
      ++ctx.binds;
      break;
    case 'C':  // a portal or the unnamed statement
      queue(ctx, '3', PendingReply::Action::Forward);
      break;
    default:
      break;
  }
}

bool rewrite_frontend_message(std::span<const uint8_t> whole, RewriteContext& ctx, std::string& out,
                              RewriteError& error) {
  if (passes_unchanged(whole)) {
    append_raw(out, whole);
    note_unchanged(whole, ctx);
    return true;
  }
  const char type = static_cast<char>(whole[0]);
  ByteReader r(whole.subspan(5));
  switch (type) {
    case 'P':  // Parse: name, query, int16 n, int32 oid[n]
      return rewrite_parse(r, whole, ctx, out, error);
    case 'B': {  // Bind: portal, statement, then parameters (passed on unchanged)
      ++ctx.binds;
      auto portal = r.cstr();
      auto stmt = portal ? r.cstr() : std::nullopt;
      if (!stmt) return malformed(error, type);
      bool ok = true;
      const std::optional<std::string> server_name =
          server_name_for(ctx, *stmt, whole, out, ok, error);
      if (!server_name) return ok;
      const uint32_t length = load_be32(whole.data() + 1);
      if (whole.size() == size_t{length} + 1) {
        MessageBuilder(out).begin('B').cstr(*portal).cstr(*server_name).bytes(r.rest()).end();
        return true;
      }
      // The head of a large Bind (frontend_framer.hpp): its parameters follow unchanged, so the
      // length is adjusted for the new name here.
      const uint32_t new_length =
          length - static_cast<uint32_t>(stmt->size()) + static_cast<uint32_t>(server_name->size());
      out.push_back('B');
      for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<char>((new_length >> shift) & 0xff));
      out.append(*portal).push_back('\0');
      out.append(*server_name).push_back('\0');
      out.append(reinterpret_cast<const char*>(r.rest().data()), r.rest().size());
      return true;
    }
    case 'D': {  // Describe: 'S' statement or 'P' portal, name
      auto kind = r.byte();
      auto name = kind ? r.cstr() : std::nullopt;
      if (!name) return malformed(error, type);
      bool ok = true;
      const std::optional<std::string> server_name =
          server_name_for(ctx, *name, whole, out, ok, error);
      if (!server_name) return ok;
      MessageBuilder(out).begin('D').byte('S').cstr(*server_name).end();
      return true;
    }
    case 'C': {  // Close: 'S' statement or 'P' portal, name
      auto kind = r.byte();
      auto name = kind ? r.cstr() : std::nullopt;
      if (!name) return malformed(error, type);
      // The server-side statement stays for other clients (and this one, if it prepares the same
      // text again); the client still gets its CloseComplete in order.
      PendingReply& reply = send_close(ctx, kNoopStatementName, PendingReply::Action::Forward, out);
      auto it = ctx.client.find(std::string(*name));
      if (it != ctx.client.end()) {
        reply.undo_close = true;
        reply.client_name = it->first;
        reply.text = it->second;
        ctx.client.erase(it);
      }
      return true;
    }
    default:
      return true;  // (passes_unchanged took every other type)
  }
}

void finish_segment(uint64_t done, ClientStatements& client, ServerStatementCache& server,
                    ReplyQueue& replies) {
  while (!replies.empty() && replies.front().segment < done) {
    // Never answered: an error made the server skip the message. Undo what sending it changed.
    PendingReply& p = replies.front();
    auto drop_client_name = [&] {
      auto it = client.find(p.client_name);
      if (it != client.end() && it->second == p.text) client.erase(it);
    };
    if (p.reply == '1' && p.text) {
      server.forget_unparsed(p.text, p.server_name, p.segment);
      if (!p.client_name.empty()) drop_client_name();
    } else if (p.action == PendingReply::Action::AsParseComplete && p.text) {
      drop_client_name();
    } else if (p.undo_close && p.text) {
      client.emplace(p.client_name, p.text);
    } else if (p.action == PendingReply::Action::Drop && !p.server_name.empty()) {
      server.to_close.push_back(p.server_name);  // an evicted statement is still there
    }
    replies.pop_front();
  }
}

bool discards_all_statements(std::span<const uint8_t> body) {
  std::string_view tag(reinterpret_cast<const char*>(body.data()), body.size());
  if (!tag.empty() && tag.back() == '\0') tag.remove_suffix(1);
  return tag == "DEALLOCATE ALL" || tag == "DISCARD ALL";
}

void discard_all_statements(ClientStatements& client, ServerStatementCache& server,
                            const ReplyQueue& replies) {
  server.drop_confirmed();
  server.to_close.clear();
  ClientStatements keep;
  replies.for_each([&](const PendingReply& p) {
    if (p.client_name.empty() || p.undo_close) return;
    auto it = client.find(p.client_name);
    if (it != client.end()) keep.insert(*it);
  });
  client.swap(keep);
}

}  // namespace sluice::protocol
