// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include "net/net_metrics.h"

namespace codesphere::net::internal {

std::shared_ptr<NetMetrics> NetMetrics::Create(MetricsRegistry* registry, std::string_view name) {
  auto m = std::make_shared<NetMetrics>();
  m->registry = registry;
  m->name = std::string(name);
  if (registry == nullptr) return m;
  MetricLabels labels = {{"server", m->name}};
  m->connections_total =
      &registry->AddCounter("net_connections_total", "Accepted or opened TCP connections", labels);
  m->connections_open = &registry->AddGauge("net_connections_open", "Open TCP connections", labels);
  m->websockets_open =
      &registry->AddGauge("net_websockets_open", "Open WebSocket connections", labels);
  m->http_requests_total =
      &registry->AddCounter("net_http_requests_total", "HTTP requests routed", labels);
  m->messages_received = &registry->AddCounter("net_messages_received_total",
                                               "WebSocket messages received", labels);
  m->messages_sent =
      &registry->AddCounter("net_messages_sent_total", "WebSocket messages queued", labels);
  m->bytes_received =
      &registry->AddCounter("net_bytes_received_total", "Bytes read from sockets", labels);
  m->bytes_sent = &registry->AddCounter("net_bytes_sent_total", "Bytes written to sockets", labels);
  return m;
}

void NetMetrics::Disconnect(std::string_view reason) const {
  if (registry == nullptr) return;
  registry
      ->AddCounter("net_disconnects_total", "Connections ended, by reason",
                   {{"server", name}, {"reason", std::string(reason)}})
      .Increment();
}

}  // namespace codesphere::net::internal
