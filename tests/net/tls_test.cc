// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// HTTPS / WSS with a self-signed certificate made at test time by the openssl CLI.

#include <cstdlib>
#include <string>

#include "codesphere/net/server.h"
#include "gtest/gtest.h"
#include "tests/net/net_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::net {
namespace {

using testing::EventLog;
using ::codesphere::testing::StatusIs;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = (dir_.path() / "cert.pem").string();
    key_ = (dir_.path() / "key.pem").string();
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" + key_ + "' -out '" +
        cert_ + "' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl CLI unavailable";
    ServerOptions o;
    o.tls = TlsOptions{cert_, key_};
    ASSERT_OK_AND_ASSIGN(server_, Server::Create(io_.executor(), o));
    server_->HandleWebSocket("/echo", [](const HttpRequest& req, UpgradeResponder r) {
      EXPECT_TRUE(req.secure);
      WebSocketHandlers h;
      h.on_message = [](WebSocket& ws, ByteSpan data, MessageKind kind) {
        EXPECT_TRUE(ws.Send(data, kind).ok());
      };
      r.Accept(std::move(h));
    });
    server_->Start();
  }

  void TearDown() override {
    if (server_ != nullptr) testing::StopAndWait(*server_);
  }

  std::string Url() { return "wss://localhost:" + std::to_string(server_->port()) + "/echo"; }

  ::codesphere::testing::TempDir dir_;
  std::string cert_;
  std::string key_;
  testing::IoThreads io_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsTest, SecureEchoWithVerifiedCertificate) {
  EventLog log;
  WebSocketClientOptions o;
  o.tls_ca_file = cert_;
  ASSERT_OK_AND_ASSIGN(auto ws, testing::ConnectSync(io_.executor(), Url(), &log, o));
  ASSERT_OK(ws->Send(AsBytes("secret"), MessageKind::kText));
  ASSERT_OK(ws->Send(AsBytes(std::string(100000, 's')), MessageKind::kBinary));
  ASSERT_TRUE(log.WaitMessages(2));
  EXPECT_EQ(log.Messages()[0].data, "secret");
  EXPECT_EQ(log.Messages()[1].data.size(), 100000u);
  ws->Close();
  ASSERT_TRUE(log.WaitClosed().has_value());
}

TEST_F(TlsTest, UntrustedCertificateIsRefused) {
  EventLog log;
  // The system store does not know our self-signed certificate.
  EXPECT_THAT(testing::ConnectSync(io_.executor(), Url(), &log),
              StatusIs(StatusCode::kUnavailable));
}

TEST_F(TlsTest, PlainClientOnTlsPortFailsCleanly) {
  EventLog log;
  WebSocketClientOptions o;
  o.connect_timeout = std::chrono::milliseconds(5000);
  Result<std::shared_ptr<WebSocket>> r = testing::ConnectSync(
      io_.executor(), "ws://127.0.0.1:" + std::to_string(server_->port()) + "/echo", &log, o);
  EXPECT_FALSE(r.has_value());
}

}  // namespace
}  // namespace codesphere::net
