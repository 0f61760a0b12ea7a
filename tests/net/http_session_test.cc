// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// HttpSession lifetime at shutdown: a session told to stop before it started must not come
// alive afterwards (a reader stored on a closing transport made a session <-> transport cycle
// that outlived the io_context; LeakSanitizer found it when a platform stopped while its own
// file agent was connecting).

#include <memory>

#include "asio.hpp"
#include "gtest/gtest.h"
#include "net/server_impl.h"
#include "net/transport.h"

namespace codesphere::net::internal {
namespace {

TEST(HttpSessionTest, StartAfterShutdownForStopLeavesNothingAlive) {
  std::weak_ptr<HttpSession> weak_session;
  std::weak_ptr<Transport> weak_transport;
  {
    asio::io_context io;  // destroyed last: its pending operations go with it
    {
      auto impl = std::make_shared<Server::Impl>(io.get_executor(), ServerOptions{});
      asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
      asio::ip::tcp::socket client(io);
      client.connect(acceptor.local_endpoint());
      Strand strand = asio::make_strand(io.get_executor());
      asio::ip::tcp::socket accepted(strand);
      acceptor.accept(accepted);
      auto transport = std::make_shared<Transport>(std::move(accepted), /*tls=*/nullptr,
                                                   /*server_side=*/true, "127.0.0.1:test");
      auto session = std::make_shared<HttpSession>(impl, /*id=*/1, strand, transport);
      weak_session = session;
      weak_transport = transport;
      // The order Server::Impl::OnAccepted produces when Stop() runs between the accept and
      // the session's start: the stop reaches the strand first.
      session->ShutdownForStop();
      asio::dispatch(strand, [session] { session->Start(); });
      session.reset();
      transport.reset();
      io.poll();
      // The client still holds its end open: the closing transport keeps a read pending.
    }
    EXPECT_TRUE(weak_session.expired()) << "the stopped session is owned by nobody but the "
                                           "operations still pending on the io_context";
  }
  EXPECT_TRUE(weak_session.expired());
  EXPECT_TRUE(weak_transport.expired());
}

}  // namespace
}  // namespace codesphere::net::internal
