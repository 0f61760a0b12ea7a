// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// CollabService's group commit: the adaptive commit interval, and what it does to broadcasts
// (driven by WebSocket clients speaking y-protocols to a real net::Server on port 0).
#include "codesphere/server/collab_service.h"

#include <future>
#include <limits>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "codesphere/net/client.h"
#include "codesphere/sync/protocol.h"
#include "gtest/gtest.h"
#include "tests/testing/local_edit.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::server {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(CommitIntervalTest, FollowsTheRoomsFanOutUpToTheCap) {
  CollabOptions o;  // 50 us per peer, at most 10 ms, at least 0
  EXPECT_EQ(CommitInterval(o, 0), microseconds(0));
  EXPECT_EQ(CommitInterval(o, 2), microseconds(100));
  EXPECT_EQ(CommitInterval(o, 50), microseconds(2500));
  EXPECT_EQ(CommitInterval(o, 200), microseconds(10000));
  EXPECT_EQ(CommitInterval(o, 100000), microseconds(10000));
  o.min_commit_interval = milliseconds(5);
  EXPECT_EQ(CommitInterval(o, 2), microseconds(5000));
  EXPECT_EQ(CommitInterval(o, 200), microseconds(10000));
  o.commit_interval_per_peer = microseconds(0);
  EXPECT_EQ(CommitInterval(o, 200), microseconds(5000));
}

TEST(CommitIntervalTest, SaturatesInsteadOfOverflowing) {
  CollabOptions o;
  o.commit_interval_per_peer = std::chrono::hours(1000000);
  EXPECT_EQ(CommitInterval(o, std::numeric_limits<std::size_t>::max()), microseconds(10000));
  o.max_commit_interval = microseconds(0);
  EXPECT_EQ(CommitInterval(o, 200), microseconds(0));
  o.max_commit_interval = microseconds(-5);
  EXPECT_EQ(CommitInterval(o, 200), microseconds(0));
}

using ::codesphere::testing::LocalEdit;

class CollabServiceTest : public ::testing::Test {
 protected:
  void Start(CollabOptions options) {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    options.data_dir = dir_.path();
    ASSERT_OK_AND_ASSIGN(server_, net::Server::Create(io_.get_executor(), net::ServerOptions{}));
    ASSERT_OK_AND_ASSIGN(collab_, CollabService::Create(io_.get_executor(), options));
    collab_->Register(*server_, "/");
    server_->Start();
  }

  // Connects to `room` and waits for the server's SyncStep1 (sent once the peer has joined).
  std::shared_ptr<net::WebSocket> Join(std::string_view room, net::WebSocketMessageQueue& q) {
    auto ws = net::ConnectWebSocketSync(
        io_.get_executor(), "ws://127.0.0.1:" + std::to_string(server_->port()) + "/" +
                                std::string(room),
        {}, q.Handlers());
    EXPECT_TRUE(ws.ok()) << ws.error();
    if (!ws.ok()) return nullptr;
    auto first = q.Receive(milliseconds(10000));
    EXPECT_TRUE(first.ok()) << first.error();
    if (first.ok()) {
      auto m = sync::DecodeMessage(first->data);
      EXPECT_TRUE(m.ok() && std::holds_alternative<sync::SyncStep1Message>(*m));
    }
    return *ws;
  }

  void TearDown() override {
    if (server_ != nullptr) {
      std::promise<void> stopped;
      server_->Stop([&stopped] { stopped.set_value(); });
      stopped.get_future().wait();
    }
    if (collab_ != nullptr) collab_->Shutdown();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  testing::TempDir dir_;
  // Clients' inboxes: they outlive the connections (closed in TearDown at the latest).
  net::WebSocketMessageQueue author_queue;
  net::WebSocketMessageQueue reader_queue;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::vector<std::thread> threads_;
  std::unique_ptr<net::Server> server_;
  std::unique_ptr<CollabService> collab_;
};

TEST_F(CollabServiceTest, UpdatesArrivingWithinTheIntervalShareOneBroadcast) {
  // Two peers: a commit interval of min(2 x 1 s, 2 s) = 2 s. The first update finds no batch
  // within the last interval and goes out at once. The next two are sent after it was
  // delivered, so no batch is in flight: without the interval each would be a batch of its
  // own; with it the room waits, and both reach the peers as one merged update.
  CollabOptions options;
  options.commit_interval_per_peer = milliseconds(1000);
  options.max_commit_interval = milliseconds(2000);
  Start(options);
  auto author = Join("room", author_queue);
  auto reader = Join("room", reader_queue);
  ASSERT_NE(author, nullptr);
  ASSERT_NE(reader, nullptr);

  crdt::Doc local(crdt::DocOptions{.client_id = 7});
  crdt::Doc seen(crdt::DocOptions{.client_id = 8});
  std::vector<std::string> after_each;
  auto read_until = [&](std::string_view text) {
    while (seen.GetText("t").ToString() != text) {
      ASSERT_OK_AND_ASSIGN(auto message, reader_queue.Receive(milliseconds(10000)));
      ASSERT_OK_AND_ASSIGN(auto decoded, sync::DecodeMessage(message.data));
      auto* update = std::get_if<sync::UpdateMessage>(&decoded);
      ASSERT_NE(update, nullptr) << "expected only document updates";
      ASSERT_OK(crdt::ApplyUpdate(seen, update->update));
      after_each.push_back(seen.GetText("t").ToString());
    }
  };
  ASSERT_OK(author->Send(sync::EncodeUpdate(LocalEdit(local, "a"))));
  read_until("a");
  ASSERT_OK(author->Send(sync::EncodeUpdate(LocalEdit(local, "b"))));
  ASSERT_OK(author->Send(sync::EncodeUpdate(LocalEdit(local, "c"))));
  read_until("abc");
  EXPECT_EQ(after_each, (std::vector<std::string>{"a", "abc"}));
  author->Close();
  reader->Close();
}

}  // namespace
}  // namespace codesphere::server
