// Protocol-level prepared statements on the relay (protocol/statement_rewriter.hpp has the
// scheme): framing the client's chunks, rewriting them for the linked server, and what the
// server's answers change in the maps.
#include <spdlog/spdlog.h>

#include "protocol/byte_reader.hpp"
#include "protocol/message_builder.hpp"
#include "protocol/message_parsers.hpp"
#include "server/shard.hpp"
#include "session/client_session.hpp"

namespace sluice {

namespace {
bool ends_segment(char type) {
  return type == 'S' || type == 'Q' || type == 'F';
}
}  // namespace

bool ClientSession::frame_client_chunk(std::span<const uint8_t> chunk, bool& terminate,
                                       size_t& bytes) {
  if (!ps_->framer.feed(chunk, ps_->pieces)) return false;
  const auto now = std::chrono::steady_clock::now();
  bytes = 0;
  for (size_t i = 0; i < ps_->pieces.size(); ++i) {
    const protocol::FramedPiece& p = ps_->pieces[i];
    if (p.type == 'X') {  // Terminate is for the pooler: forward what came before it
      terminate = true;
      ps_->pieces.resize(i);
      break;
    }
    if (p.type != 0) note_client_message(p.type, now);
    bytes += p.bytes.size();
  }
  return true;
}

bool ClientSession::rewrite_pieces(std::string& out, std::span<const uint8_t>& send,
                                   protocol::RewriteError& error) {
  // Nothing outstanding before this chunk, and nothing of this Sync segment sent before it (its
  // answers may have reached the client already): a request that may be retried.
  const bool lone_request =
      ps_->sent_segments == ps_->done_segments && outstanding_ == 1 && !ps_->segment_open;
  for (const auto& p : ps_->pieces) ps_->segment_open = !ends_segment(p.type);
  bool plain = true;
  for (const auto& p : ps_->pieces) {
    if (p.whole && !protocol::passes_unchanged(p.bytes)) {
      plain = false;
      break;
    }
  }
  protocol::RewriteContext ctx{ps_->statements, server_->statements, ps_->replies};
  ctx.capacity = ps_->capacity;
  if (plain) {
    // Nothing to rewrite (no named statement: say pgbench -M extended): the pieces are
    // consecutive bytes of the chunk (or of the framer's copy) and go as they are.
    for (const auto& p : ps_->pieces) {
      if (p.whole) {
        ctx.segment = ps_->sent_segments;
        protocol::note_unchanged(p.bytes, ctx);
      } else if (ends_segment(p.type)) {
        ++ps_->sent_segments;
      }
    }
    send = ps_->pieces.empty()
               ? std::span<const uint8_t>()
               : std::span<const uint8_t>(ps_->pieces.front().bytes.data(),
                                          static_cast<size_t>(ps_->pieces.back().bytes.data() +
                                                              ps_->pieces.back().bytes.size() -
                                                              ps_->pieces.front().bytes.data()));
    add_rewrite_stats(ctx);
    return true;
  }
  bool ok = true;
  for (const auto& p : ps_->pieces) {
    if (p.whole) {
      ctx.segment = ps_->sent_segments;
      if (!protocol::rewrite_frontend_message(p.bytes, ctx, out, error)) {
        ok = false;
        break;
      }
      continue;
    }
    out.append(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
    if (ends_segment(p.type)) ++ps_->sent_segments;
  }
  if (ok && lone_request && tx_status_ == 'I' && ctx.named_statements && !ctx.unknown_names)
    arm_retry();
  add_rewrite_stats(ctx);
  send = {reinterpret_cast<const uint8_t*>(out.data()), out.size()};
  return ok;
}

void ClientSession::add_rewrite_stats(const protocol::RewriteContext& ctx) {
  if (ctx.client_parses > 0)
    stats_->add(Stat::kClientParses, static_cast<int64_t>(ctx.client_parses));
  if (ctx.server_parses > 0)
    stats_->add(Stat::kServerParses, static_cast<int64_t>(ctx.server_parses));
  if (ctx.binds > 0) stats_->add(Stat::kBinds, static_cast<int64_t>(ctx.binds));
}

bool ClientSession::answer_closes_locally(std::string& answer) {
  size_t closes = 0, syncs = 0;  // (a lone Flush is forwarded: harmless, and rare)
  for (const auto& p : ps_->pieces) {
    if (p.whole && p.type == 'C') {
      protocol::ByteReader r(p.body());
      auto kind = r.byte();
      auto name = r.cstr();
      if (!name || kind != std::optional<uint8_t>('S') || name->empty()) return false;
      ++closes;
    } else if (p.whole || (p.type != 'S' && p.type != 'H')) {
      return false;
    } else if (p.type == 'S') {
      ++syncs;
    }
  }
  if (closes + syncs == 0 || tx_status_ != 'I') return false;
  for (const auto& p : ps_->pieces) {
    if (p.type == 'C') {
      protocol::ByteReader r(p.body().subspan(1));
      ps_->statements.erase(std::string(*r.cstr()));
      protocol::MessageBuilder(answer).begin('3').end();
    } else if (p.type == 'S') {
      protocol::MessageBuilder(answer).begin('Z').byte('I').end();
    }
  }
  // The Syncs were counted as requests for a server.
  outstanding_ -= static_cast<uint32_t>(std::min<size_t>(syncs, outstanding_));
  if (outstanding_ == 0) request_started_ = xact_started_ = kNever;
  return true;
}

void ClientSession::note_command_complete(std::span<const uint8_t> body) {
  // The server dropped every prepared statement, the shared ones included; the client asked to
  // forget its own.
  if (protocol::discards_all_statements(body) && server_)
    protocol::discard_all_statements(ps_->statements, server_->statements, ps_->replies);
}

void ClientSession::note_segment_done() {
  ++ps_->done_segments;
  if (server_)
    protocol::finish_segment(ps_->done_segments, ps_->statements, server_->statements,
                             ps_->replies);
}

void ClientSession::reset_prepared_link() {
  if (!ps_) return;
  end_retry();
  ps_->replies.clear();
  ps_->held.size = 0;
  ps_->sent_segments = ps_->done_segments = 0;
  ps_->segment_open = false;
}

// Armed only for exactly one Sync segment (that names a prepared statement: the caller checks), as
// one chunk, and not too big to keep: then nothing of it can have run when the error comes (the
// server loop checks that only answers that change nothing came before it).
void ClientSession::arm_retry() {
  if (ps_->pieces.empty() || ps_->pieces.back().type != 'S' || !ps_->framer.at_boundary()) return;
  size_t bytes = 0;
  for (size_t i = 0; i < ps_->pieces.size(); ++i) {
    const auto& p = ps_->pieces[i];
    if (!p.whole && p.type == 0) return;                              // part of a streamed message
    if (ends_segment(p.type) && i + 1 != ps_->pieces.size()) return;  // more than one segment
    bytes += p.bytes.size();
  }
  if (bytes > kMaxRetryBytes) return;
  ps_->retry_request.clear();
  for (const auto& p : ps_->pieces)
    ps_->retry_request.append(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
  ps_->retry_held.clear();
  ps_->retry = Retry::Armed;
}

bool ClientSession::retriable_error(std::span<const uint8_t> body) const {
  auto e = protocol::parse_error_fields(body);
  if (!e) return false;
  if (e->sqlstate == "26000") return true;  // prepared statement "..." does not exist
  return e->sqlstate == "0A000" && e->message == "cached plan must not change result type";
}

std::string ClientSession::retry_request_bytes() {
  protocol::FrontendFramer framer("PBDC", protocol::kLargeMessageLimit);
  std::vector<protocol::FramedPiece> pieces;
  const auto* data = reinterpret_cast<const uint8_t*>(ps_->retry_request.data());
  framer.feed({data, ps_->retry_request.size()}, pieces);
  std::string out;
  protocol::RewriteContext ctx{ps_->statements, server_->statements, ps_->replies};
  ctx.capacity = ps_->capacity;
  ctx.segment = ps_->sent_segments;
  // Every statement the request uses is closed on this server and prepared again.
  auto forget = [&](const protocol::StatementRef& text) {
    if (const auto* entry = server_->statements.find(text)) {
      const std::string old = entry->name;
      server_->statements.remove(text);
      protocol::MessageBuilder(out).begin('C').byte('S').cstr(old).end();
      ps_->replies.push_back({'3', protocol::PendingReply::Action::Drop, ctx.segment});
    }
  };
  for (const auto& p : pieces) {
    if (!p.whole || p.type == 'C') continue;
    protocol::ByteReader r(p.body());
    if (p.type == 'B') r.cstr();  // the portal
    if (p.type == 'D' && r.byte() != std::optional<uint8_t>('S')) continue;
    auto name = r.cstr();
    if (!name || name->empty()) continue;
    auto it = ps_->statements.find(std::string(*name));
    if (it == ps_->statements.end()) continue;
    forget(it->second);
    // The client's own Parse runs again: its name is free again until then.
    if (p.type == 'P') ps_->statements.erase(it);
  }
  protocol::RewriteError error;
  for (const auto& p : pieces) {
    if (!p.whole) {
      out.append(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
      if (ends_segment(p.type)) ++ps_->sent_segments;
      continue;
    }
    ctx.segment = ps_->sent_segments;
    // It was accepted the first time; the maps only lost what this request names.
    if (!protocol::rewrite_frontend_message(p.bytes, ctx, out, error)) break;
  }
  stats_->add(Stat::kServerParses, static_cast<int64_t>(ctx.server_parses));
  return out;
}

void ClientSession::end_retry() {
  if (!ps_ || ps_->retry == Retry::Off) return;  // (every link ends here: no timer call then)
  ps_->retry = Retry::Off;
  ps_->retry_request = {};
  ps_->retry_held = {};
  if (wakeup_) wakeup_->timer.cancel();  // the client loop may wait to send its next request
}

}  // namespace sluice
