// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram of newline-separated
// VAR=VALUE assignments sent to the Unix socket named by $NOTIFY_SOCKET. A name starting with '@'
// is an abstract socket (the '@' stands for the leading NUL byte).
#pragma once

#include <string_view>

namespace sluice::systemd {

// Sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET. Returns false when the variable is unset or
// empty (not started by systemd with Type=notify), malformed, or the send failed. Never throws and
// never blocks: the datagram is sent with MSG_DONTWAIT.
bool notify(std::string_view state);

// READY=1: start-up finished (listening, pidfile written), or a reload finished.
bool notify_ready();
// RELOADING=1 with MONOTONIC_USEC=<CLOCK_MONOTONIC in microseconds>, before re-reading the config.
bool notify_reloading();
// STOPPING=1: shutdown began.
bool notify_stopping();

}  // namespace sluice::systemd
