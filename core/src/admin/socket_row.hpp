// One row of SHOW CLIENTS / SHOW SERVERS as the host collects it (owning strings), turned into a
// sluice_socket_info for the admin plugins.
#pragma once

#include <sys/socket.h>
#include <chrono>
#include <cstdint>
#include <string>

#include "sluice/abi.h"

namespace sluice {

struct SocketRow {
  char type = 'C';
  std::string user, database, state, addr, local_addr, application_name, tls;
  int32_t port = 0, local_port = 0;
  int64_t connect_time_us = 0, request_time_us = 0, wait_us = 0;
  int32_t close_needed = 0;
  uint64_t ptr = 0, link = 0;
  int32_t remote_pid = 0;
  int32_t prepared_statements = 0;
  int64_t id = 0;

  sluice_socket_info info() const;
};

// Wall-clock microseconds for a steady_clock time point (0 stays 0).
int64_t wall_us(std::chrono::steady_clock::time_point t);

// "addr"/"port" of a socket's local end ("unix", 0 for Unix sockets).
void local_address(int fd, std::string* addr, int32_t* port);

}  // namespace sluice
