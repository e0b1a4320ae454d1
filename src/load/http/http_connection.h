// HttpConnection: one HTTP/1.1 client connection with keep-alive, plain or
// TLS, driven by a Worker's epoll loop like an MQTT Session.
//
// send() queues one request and, when no connection is open (the first
// request, or the server closed the last one), opens one first; the next
// request reuses it. One request is outstanding at a time. The handler hears
// of each complete response, or of the failure that ended the request. A
// connection the server closed while idle is just closed: the next send()
// opens a new one. A request that finds its reused connection already closed
// by the server, before any byte of the answer, is sent again once on a fresh
// one, as HTTP clients do. Connects, connection counts and connect times go to
// the worker's Metrics. With the endpoint's ConnectionBudget (more users than
// sockets), opening waits for a socket of the budget, and an idle connection may
// be closed to free one (http/connection_budget.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/connection_budget.h"
#include "http/response_parser.h"
#include "http/url.h"
#include "mqtt/stream.h"
#include "mqtt/tls_context.h"
#include "run/connection.h"

namespace lampi::load {
class Worker;
}

namespace lampi::load::http {

class HttpConnection;

class HttpHandler {
public:
    virtual ~HttpHandler() = default;
    virtual void on_response(HttpConnection& connection, const Response& response) = 0;
    // No (whole) response: the words say why (connect refused, TLS, reset, malformed).
    virtual void on_failure(HttpConnection& connection, const std::string& why) = 0;
};

// What every connection of one worker shares; must outlive them.
struct Endpoint {
    Url url;
    std::shared_ptr<TlsContext> tls;  // null for http://
    // Source addresses, one per connection round-robin; empty lets the kernel choose.
    std::vector<std::string> bind_addresses;
    // More users than descriptors (HttpOptions::max_connections): the sockets the
    // worker's connections share. Null: every user keeps its own.
    std::shared_ptr<ConnectionBudget> budget;
};

class HttpConnection : public Connection {
public:
    // `slot` picks this connection's source address from the endpoint's.
    HttpConnection(Worker& worker, const Endpoint& endpoint, HttpHandler& handler, std::size_t slot);
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;
    ~HttpConnection() override;

    // Queues `request` (complete bytes). `head`: the answer has no body.
    // Failures are reported through the handler, never here.
    void send(std::string request, bool head = false);
    // Closes without callbacks; an outstanding request is forgotten.
    void close();
    bool busy() const { return awaiting_; }
    // Responses keep their body and headers (for a scenario's checks), not only their size.
    void keep_bodies(bool keep) { keep_bodies_ = keep; }

    int socket() const override { return stream_.fd(); }
    bool wants_write() const override;
    void read() override;
    void write() override;
    void flush() override;

private:
    friend class ConnectionBudget;
    enum class BudgetList { none, idle, waiting };

    void open();
    void open_socket();
    // The budget's: its socket is free to open now.
    void open_admitted();
    void advance();
    void take_input(std::string_view data);
    void end_of_stream(const std::string& why);
    void fail(const std::string& why);
    void close_socket();

    Worker& worker_;
    const Endpoint& endpoint_;
    HttpHandler& handler_;
    std::uint32_t slot_;
    Stream stream_;
    bool connecting_ = false;
    bool awaiting_ = false;
    bool head_ = false;
    bool keep_bodies_ = false;
    bool reused_ = false;          // the request went out on a connection that served one before
    bool answer_started_ = false;  // a byte of the answer arrived
    std::int64_t connect_started_ns_ = 0;
    std::string request_;  // kept until answered, to resend on a stale connection
    std::size_t out_pos_ = 0;
    std::string in_;  // an unfinished response header
    std::unique_ptr<ResponseParser> parser_;
    // With a budget: whether this connection holds one of its sockets, and on which of its lists it is.
    bool holds_budget_socket_ = false;
    BudgetList budget_list_ = BudgetList::none;
    ConnectionBudget::Place budget_place_;
};

}  // namespace lampi::load::http
