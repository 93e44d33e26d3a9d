// Collects what an admin command writes through sluice_result_writer and renders it as protocol
// messages: NoticeResponse*, RowDescription + DataRow* (when columns were added), then
// CommandComplete, or an ErrorResponse (S=ERROR, C, M only, as PgBouncer's console sends).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sluice/abi.h"

namespace sluice::admin {

class ResultBuilder {
 public:
  ResultBuilder();
  const sluice_result_writer* writer() const { return &writer_; }

  // The messages for the client, without ReadyForQuery.
  std::string render() const;
  // The same in the two parts the extended protocol sends apart: RowDescription (or NoData) for
  // Describe, then notices, DataRows and CommandComplete (or the ErrorResponse) for Execute.
  std::string render_description() const;
  std::string render_execution() const;
  // The command closed the connection itself (SHUTDOWN): send nothing.
  void set_no_reply() { no_reply_ = true; }
  bool no_reply() const { return no_reply_; }
  bool failed() const { return error_.has_value(); }
  const std::string& tag() const { return tag_; }

  // For the host's own answers.
  void add_column(const std::string& name, uint32_t type_oid);
  void add_row(std::vector<std::optional<std::string>> values);
  void set_tag(std::string tag) { tag_ = std::move(tag); }
  // `detail`, when given, goes in the D field (psql prints it as DETAIL).
  void set_error(std::string sqlstate, std::string message, std::string detail = {});
  void add_notice(std::string message, std::string detail);

 private:
  struct Column {
    std::string name;
    uint32_t type_oid;
  };
  struct Notice {
    std::string message, detail;
  };
  sluice_result_writer writer_{};
  std::vector<Column> columns_;
  std::vector<std::vector<std::optional<std::string>>> rows_;
  std::vector<Notice> notices_;
  std::string tag_;
  struct Error {
    std::string sqlstate, message, detail;
  };
  std::optional<Error> error_;
  bool bad_row_ = false;  // a row whose width differs from the columns
  bool no_reply_ = false;
};

}  // namespace sluice::admin
