// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Network namespace: the sandbox gets its own, with only `lo` up (NetworkMode::kNone). The
// supervisor reaches ports inside by creating a socket from a helper thread that has joined
// that namespace: a socket stays bound to the namespace it was created in.
#include "sandbox/linux/net_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "sandbox/linux/child.h"

namespace codesphere::sandbox::internal {

int BringUpLoopback() {
  int fd = static_cast<int>(syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd < 0) return errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, "lo", 3);
  int err = 0;
  if (syscall(SYS_ioctl, fd, SIOCGIFFLAGS, &ifr) != 0) {
    err = errno;
  } else {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (syscall(SYS_ioctl, fd, SIOCSIFFLAGS, &ifr) != 0) err = errno;
  }
  syscall(SYS_close, fd);
  return err;
}

Result<UniqueFd> ConnectInNetns(int ns_pidfd, uint16_t port, std::chrono::milliseconds timeout) {
  // setns(CLONE_NEWNET) switches only the calling thread, so a short-lived thread creates
  // the socket and the supervisor's own threads never leave the host namespace.
  int fd = -1;
  int err = 0;
  std::thread helper([&] {
    if (setns(ns_pidfd, CLONE_NEWNET) != 0) {
      err = errno;
      return;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) err = errno;
  });
  helper.join();
  if (fd < 0) return ErrnoToStatus(err, "creating a socket in the sandbox's network namespace");
  return ConnectLoopback(UniqueFd(fd), port, timeout);
}

Result<UniqueFd> ConnectLoopback(UniqueFd sock, uint16_t port, std::chrono::milliseconds timeout) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int so_error = 0;
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    so_error = errno;
    if (so_error == EINPROGRESS) {
      struct pollfd pfd = {sock.get(), POLLOUT, 0};
      int n;
      do {
        n = poll(&pfd, 1, static_cast<int>(timeout.count()));
      } while (n < 0 && errno == EINTR);
      if (n == 0) return DeadlineExceededError("connecting to port " + std::to_string(port) + " timed out");
      if (n < 0) return ErrnoToStatus(errno, "poll");
      socklen_t len = sizeof(so_error);
      getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
    }
  }
  if (so_error == ECONNREFUSED) {
    return UnavailableError("nothing listens on port " + std::to_string(port));
  }
  if (so_error != 0) return ErrnoToStatus(so_error, "connect");
  // Hand out a blocking socket, like a plain connect() would.
  fcntl(sock.get(), F_SETFL, fcntl(sock.get(), F_GETFL) & ~O_NONBLOCK);
  return sock;
}

}  // namespace codesphere::sandbox::internal
