// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// websocketpp 0.8 adapter for client connections, compiled as C++17 (it does not build as
// C++20 on GCC 12). The iostream transport turns websocketpp into a pure byte-in/byte-out state
// machine; every websocketpp call that can throw is wrapped here and turned into a failed
// connection. Accepted (server) connections use our own engine, websocket_server_engine.cc.

#include "net/websocket_engine.h"

#include <exception>
#include <string>
#include <utility>

#include <websocketpp/client.hpp>
#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/core_client.hpp>
#include <websocketpp/logger/stub.hpp>

namespace codesphere::net::internal {
namespace {

// Settings: no locking (each connection is strand-bound), no logging (we log ourselves from the
// end info), a small per-connection read buffer (larger reads are fed in 1 KiB steps).
template <typename Base, bool kExtensions>
struct EngineConfig : public Base {
  typedef EngineConfig type;
  typedef Base base;
  typedef websocketpp::concurrency::none concurrency_type;
  typedef websocketpp::log::stub elog_type;
  typedef websocketpp::log::stub alog_type;

  struct transport_config : public base::transport_config {
    typedef websocketpp::concurrency::none concurrency_type;
    typedef websocketpp::log::stub elog_type;
    typedef websocketpp::log::stub alog_type;
    static bool const enable_multithreading = false;
  };
  typedef websocketpp::transport::iostream::endpoint<transport_config> transport_type;

  static bool const enable_multithreading = false;
  static const size_t connection_read_buffer_size = 1024;
  // The client must keep extension parsing on: websocketpp 0.8 fails every client handshake
  // with extensions compiled out.
  static const bool enable_extensions = kExtensions;
};

using ClientConfig = EngineConfig<websocketpp::config::core_client, true>;
using ClientEndpoint = websocketpp::client<ClientConfig>;

class ClientEngine final : public WebSocketEngine {
 public:
  using connection_ptr = ClientEndpoint::connection_ptr;
  using message_ptr = ClientEndpoint::message_ptr;

  ClientEngine(WebSocketEngineEvents* events, std::unique_ptr<ClientEndpoint> owned_endpoint)
      : events_(events), owned_endpoint_(std::move(owned_endpoint)) {}

  ~ClientEngine() override {
    // Break websocketpp's self-references (its pending read handler holds the connection)
    // without calling back into an owner that is going away.
    events_ = nullptr;
    if (con_ && !ended_) {
      try {
        con_->fatal_error();
      } catch (const std::exception&) {
      }
    }
  }

  void Wire(connection_ptr con, const EngineParams& p) {
    con_ = std::move(con);
    con_->set_max_message_size(p.max_message_size);
    con_->set_secure(p.secure);
    con_->set_remote_endpoint(p.remote_address);
    con_->set_write_handler([this](websocketpp::connection_hdl, const char* data, size_t size) {
      if (events_ != nullptr) events_->OnEngineWrite(data, size);
      return websocketpp::lib::error_code();
    });
    con_->set_vector_write_handler(
        [this](websocketpp::connection_hdl,
               const std::vector<websocketpp::transport::buffer>& bufs) {
          if (events_ != nullptr) {
            for (const auto& b : bufs) events_->OnEngineWrite(b.buf, b.len);
          }
          return websocketpp::lib::error_code();
        });
    con_->set_shutdown_handler([this](websocketpp::connection_hdl) {
      if (events_ != nullptr) events_->OnEngineShutdown();
      return websocketpp::lib::error_code();
    });
    con_->set_open_handler([this](websocketpp::connection_hdl) {
      open_ = true;
      if (events_ != nullptr) events_->OnEngineOpen();
    });
    con_->set_message_handler([this](websocketpp::connection_hdl, message_ptr msg) {
      if (events_ == nullptr) return;
      const std::string& payload = msg->get_payload();
      events_->OnEngineMessage(static_cast<int>(msg->get_opcode()), payload.data(),
                               payload.size());
    });
    con_->set_close_handler([this](websocketpp::connection_hdl) { End(false); });
    con_->set_fail_handler([this](websocketpp::connection_hdl) { End(true); });
  }

  // WebSocketEngine
  void Start() override {
    Guard([&] { owned_endpoint_->connect(con_); });
  }

  size_t Feed(const char* data, size_t size) override {
    size_t total = 0;
    Guard([&] {
      while (total < size && !ended_) {
        size_t n = con_->read_some(data + total, size - total);
        if (n == 0) break;
        total += n;
      }
    });
    return total;
  }

  void Eof() override {
    Guard([&] { con_->eof(); });
  }
  void Fail() override {
    Guard([&] { con_->fatal_error(); });
  }

  bool Send(int opcode, const char* data, size_t size) override {
    bool ok = false;
    Guard([&] {
      if (con_->get_state() != websocketpp::session::state::open) return;
      websocketpp::lib::error_code ec =
          con_->send(data, size, static_cast<websocketpp::frame::opcode::value>(opcode));
      ok = !ec;
    });
    return ok;
  }

  void Ping() override {
    Guard([&] {
      websocketpp::lib::error_code ec;
      con_->ping(std::string(), ec);
    });
  }

  void Close(int code, const std::string& reason) override {
    Guard([&] {
      if (con_->get_state() != websocketpp::session::state::open) return;
      websocketpp::lib::error_code ec;
      con_->close(static_cast<websocketpp::close::status::value>(code), reason, ec);
    });
  }

  bool IsOpen() const override {
    return !ended_ && con_->get_state() == websocketpp::session::state::open;
  }
  std::string Subprotocol() const override {
    // websocketpp's client does not record the server's choice.
    return con_->get_response_header("Sec-WebSocket-Protocol");
  }
  int LocalCloseCode() const override { return con_->get_local_close_code(); }
  std::string LocalCloseReason() const override { return con_->get_local_close_reason(); }

 private:
  // Runs `f`, converting any exception websocketpp throws into a failed connection.
  template <typename F>
  void Guard(F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      if (!ended_) {
        EngineEndInfo info;
        info.failed = !open_;
        info.error = e.what();
        Finish(info);
      }
    }
  }

  void End(bool failed) {
    EngineEndInfo info;
    info.failed = failed;
    info.local_code = con_->get_local_close_code();
    info.local_reason = con_->get_local_close_reason();
    info.remote_code = con_->get_remote_close_code();
    info.remote_reason = con_->get_remote_close_reason();
    websocketpp::lib::error_code ec = con_->get_ec();
    info.clean = !ec && !failed;
    if (ec) info.error = ec.message();
    if (failed) {
      info.http_status = static_cast<int>(con_->get_response_code());
      info.http_body = con_->get_response().get_body();
    }
    Finish(info);
  }

  void Finish(const EngineEndInfo& info) {
    ended_ = true;
    if (events_ != nullptr) events_->OnEngineEnd(info);
  }

  WebSocketEngineEvents* events_;
  // Each client engine owns its endpoint (it holds the RNG used for masking).
  std::unique_ptr<ClientEndpoint> owned_endpoint_;
  connection_ptr con_;
  bool open_ = false;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<WebSocketEngine> NewWsppClientEngine(WebSocketEngineEvents* events,
                                                     const EngineParams& p, std::string* error) {
  try {
    auto endpoint = std::make_unique<ClientEndpoint>();
    endpoint->set_user_agent("codesphere");
    endpoint->clear_access_channels(websocketpp::log::alevel::all);
    endpoint->clear_error_channels(websocketpp::log::elevel::all);
    websocketpp::lib::error_code ec;
    ClientEndpoint::connection_ptr con = endpoint->get_connection(p.uri, ec);
    if (ec || !con) {
      *error = "websocket uri \"" + p.uri + "\": " + (ec ? ec.message() : "rejected");
      return nullptr;
    }
    for (const auto& h : p.headers) con->append_header(h.first, h.second);
    for (const auto& s : p.subprotocols) {
      con->add_subprotocol(s, ec);
      if (ec) {
        *error = "websocket subprotocol \"" + s + "\": " + ec.message();
        return nullptr;
      }
    }
    auto engine = std::make_unique<ClientEngine>(events, std::move(endpoint));
    EngineParams client_params = p;
    client_params.subprotocol.clear();
    engine->Wire(std::move(con), client_params);
    return engine;
  } catch (const std::exception& e) {
    *error = std::string("websocket client: ") + e.what();
    return nullptr;
  }
}

}  // namespace codesphere::net::internal
