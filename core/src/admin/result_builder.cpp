// ResultBuilder: the admin command result writer.
#include "admin/result_builder.hpp"

#include "protocol/message_builder.hpp"

namespace sluice::admin {

namespace {
ResultBuilder* self(void* ctx) {
  return static_cast<ResultBuilder*>(ctx);
}

int16_t type_len(uint32_t oid) {
  switch (oid) {
    case SLUICE_TYPE_INT4:
      return 4;
    case SLUICE_TYPE_INT8:
      return 8;
    default:
      return -1;  // text, numeric: variable length
  }
}
}  // namespace

ResultBuilder::ResultBuilder() {
  writer_.struct_size = sizeof writer_;
  writer_.writer_ctx = this;
  writer_.add_column = [](void* ctx, const char* name, uint32_t oid) -> sluice_status {
    if (!name) return SLUICE_ERROR;
    self(ctx)->add_column(name, oid);
    return SLUICE_OK;
  };
  writer_.add_row = [](void* ctx, const char* const* values, uint32_t count) -> sluice_status {
    std::vector<std::optional<std::string>> row;
    row.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      if (values && values[i]) {
        row.emplace_back(values[i]);
      } else {
        row.emplace_back(std::nullopt);
      }
    }
    self(ctx)->add_row(std::move(row));
    return SLUICE_OK;
  };
  writer_.set_command_tag = [](void* ctx, const char* tag) -> sluice_status {
    self(ctx)->set_tag(tag ? tag : "");
    return SLUICE_OK;
  };
  writer_.set_error = [](void* ctx, const char* sqlstate, const char* message) -> sluice_status {
    self(ctx)->set_error(sqlstate ? sqlstate : "08P01", message ? message : "error");
    return SLUICE_OK;
  };
  writer_.add_notice = [](void* ctx, const char* message, const char* detail) -> sluice_status {
    self(ctx)->add_notice(message ? message : "", detail ? detail : "");
    return SLUICE_OK;
  };
}

void ResultBuilder::add_column(const std::string& name, uint32_t type_oid) {
  columns_.push_back({name, type_oid});
}

void ResultBuilder::add_row(std::vector<std::optional<std::string>> values) {
  if (values.size() != columns_.size()) bad_row_ = true;
  rows_.push_back(std::move(values));
}

void ResultBuilder::set_error(std::string sqlstate, std::string message, std::string detail) {
  error_ = Error{std::move(sqlstate), std::move(message), std::move(detail)};
}

void ResultBuilder::add_notice(std::string message, std::string detail) {
  notices_.push_back({std::move(message), std::move(detail)});
}

namespace {
void append_console_error(std::string& out, std::string_view code, std::string_view message,
                          std::string_view detail = {}) {
  protocol::MessageBuilder b(out);
  b.begin('E').byte('S').cstr("ERROR").byte('C').cstr(code).byte('M').cstr(message);
  if (!detail.empty()) b.byte('D').cstr(detail);
  b.byte(0).end();
}
}  // namespace

std::string ResultBuilder::render_description() const {
  std::string out;
  if (error_ || bad_row_) return out;  // the error comes with the execution
  if (columns_.empty()) {
    protocol::MessageBuilder(out).begin('n').end();  // NoData
    return out;
  }
  protocol::MessageBuilder b(out);
  b.begin('T').int16(static_cast<uint16_t>(columns_.size()));
  for (const auto& c : columns_) {
    b.cstr(c.name).int32(0).int16(0).int32(c.type_oid);
    b.int16(static_cast<uint16_t>(type_len(c.type_oid))).int32(0xffffffffu).int16(0);
  }
  b.end();
  return out;
}

std::string ResultBuilder::render_execution() const {
  std::string out;
  if (error_) {
    append_console_error(out, error_->sqlstate, error_->message, error_->detail);
    return out;
  }
  if (bad_row_) {
    append_console_error(out, "XX000",
                         "admin command produced a row that does not match its columns");
    return out;
  }
  for (const auto& n : notices_) {
    protocol::MessageBuilder b(out);
    b.begin('N').byte('S').cstr("NOTICE").byte('C').cstr("00000").byte('M').cstr(n.message);
    if (!n.detail.empty()) b.byte('D').cstr(n.detail);
    b.byte(0).end();
  }
  for (const auto& row : rows_) {
    protocol::MessageBuilder r(out);
    r.begin('D').int16(static_cast<uint16_t>(row.size()));
    for (const auto& v : row) {
      if (!v) {
        r.int32(0xffffffffu);
      } else {
        r.int32(static_cast<uint32_t>(v->size())).bytes(std::string_view(*v));
      }
    }
    r.end();
  }
  protocol::MessageBuilder(out).begin('C').cstr(tag_.empty() ? "SHOW" : tag_).end();
  return out;
}

// Simple query: notices, RowDescription (only when there are columns), rows, CommandComplete.
std::string ResultBuilder::render() const {
  if (error_ || bad_row_) return render_execution();
  std::string out;
  std::string exec = render_execution();
  if (columns_.empty()) return exec;
  // Notices go first, as PgBouncer sends them before the result set.
  size_t notices_end = 0;
  for (size_t i = 0; i < notices_.size(); ++i) {
    uint32_t len = (static_cast<uint8_t>(exec[notices_end + 1]) << 24) |
                   (static_cast<uint8_t>(exec[notices_end + 2]) << 16) |
                   (static_cast<uint8_t>(exec[notices_end + 3]) << 8) |
                   static_cast<uint8_t>(exec[notices_end + 4]);
    notices_end += 1 + len;
  }
  out = exec.substr(0, notices_end) + render_description() + exec.substr(notices_end);
  return out;
}

}  // namespace sluice::admin
