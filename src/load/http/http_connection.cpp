#include "http/http_connection.h"

#include <fmt/core.h>

#include <vector>

#include "mqtt/worker.h"
#include "run/clock.h"

namespace lampi::load::http {
namespace {

// Reads land here first; only an unfinished header is copied into the
// connection, so thousands of idle users do not each hold a read buffer.
constexpr std::size_t kScratchSize = std::size_t{64} * 1024;
constexpr int kReadRounds = 8;

}  // namespace

HttpConnection::HttpConnection(Worker& worker, const Endpoint& endpoint, HttpHandler& handler, std::size_t slot)
    : worker_(worker), endpoint_(endpoint), handler_(handler), slot_(static_cast<std::uint32_t>(slot)) {
    stream_.set_peer(Stream::kServer);
}

HttpConnection::~HttpConnection() {
    if (!endpoint_.budget) return;
    endpoint_.budget->forget(*this);
    if (holds_budget_socket_) endpoint_.budget->release();
}

void HttpConnection::send(std::string request, bool head) {
    request_ = std::move(request);
    out_pos_ = 0;
    head_ = head;
    awaiting_ = true;
    answer_started_ = false;
    parser_ = std::make_unique<ResponseParser>(head, keep_bodies_);
    if (stream_.fd() < 0) {
        open();
        return;
    }
    reused_ = true;
    if (endpoint_.budget) endpoint_.budget->forget(*this);  // no longer idle
    worker_.touch(*this);
}

void HttpConnection::open() {
    if (endpoint_.budget && !holds_budget_socket_) {
        if (!endpoint_.budget->acquire(*this)) return;  // waits: the budget's admit() opens it
        holds_budget_socket_ = true;
    }
    open_socket();
}

void HttpConnection::open_admitted() {
    holds_budget_socket_ = true;
    open_socket();
}

void HttpConnection::open_socket() {
    Metrics& metrics = worker_.metrics();
    metrics.add(Counter::connect_attempts);
    reused_ = false;
    connecting_ = true;
    connect_started_ns_ = now_ns();
    static const std::string kAny;
    const std::vector<std::string>& from = endpoint_.bind_addresses;
    const std::string& bind = from.empty() ? kAny : from[slot_ % from.size()];
    Status opened = stream_.open(endpoint_.url.host, endpoint_.url.port, bind, endpoint_.tls, "", "");
    if (!opened) {
        connecting_ = false;
        metrics.add(Counter::connect_failed);
        fail(opened.message());
        return;
    }
    worker_.watch(*this);
}

void HttpConnection::advance() {
    switch (stream_.advance()) {
        case Stream::Progress::pending: return;
        case Stream::Progress::failed:
            connecting_ = false;
            registered_fd = -1;
            write_armed = false;
            worker_.metrics().add(Counter::connect_failed);
            fail(stream_.error());
            return;
        case Stream::Progress::ready:
            connecting_ = false;
            worker_.metrics().add(Counter::connect_ok);
            worker_.metrics().connection_opened();
            worker_.metrics().record(Latency::connect, now_ns() - connect_started_ns_);
            flush();
            return;
    }
}

bool HttpConnection::wants_write() const {
    if (connecting_) return stream_.advance_wants_write();
    return awaiting_ && out_pos_ < request_.size();
}

void HttpConnection::write() {
    if (connecting_) {
        advance();
        return;
    }
    flush();
}

void HttpConnection::flush() {
    if (connecting_ || stream_.fd() < 0 || !awaiting_) return;
    while (out_pos_ < request_.size()) {
        Stream::Io io = stream_.write(request_.data() + out_pos_, request_.size() - out_pos_);
        if (io.kind == Stream::Io::ok) {
            out_pos_ += io.bytes;
            continue;
        }
        if (io.kind == Stream::Io::would_block) return;
        end_of_stream(fmt::format("connection lost while sending: {}", stream_.error()));
        return;
    }
}

void HttpConnection::read() {
    if (connecting_) {
        advance();
        return;
    }
    if (stream_.fd() < 0) return;
    thread_local std::vector<char> scratch(kScratchSize);
    for (int round = 0; round < kReadRounds || stream_.has_buffered_input(); ++round) {
        Stream::Io io = stream_.read(scratch.data(), scratch.size());
        if (io.kind == Stream::Io::would_block) return;
        if (io.kind != Stream::Io::ok) {
            end_of_stream(stream_.error());
            return;
        }
        if (!awaiting_) {
            fail("the server sent bytes nobody asked for");
            return;
        }
        take_input({scratch.data(), io.bytes});
        if (stream_.fd() < 0 || !awaiting_) return;
        if (io.bytes < scratch.size() && !stream_.has_buffered_input()) return;
    }
}

void HttpConnection::take_input(std::string_view data) {
    answer_started_ = true;
    const bool buffered = !in_.empty();
    if (buffered) in_.append(data);
    std::string_view input = buffered ? std::string_view(in_) : data;
    std::size_t used = parser_->feed(input);
    switch (parser_->state()) {
        case ResponseParser::State::malformed:
            fail(fmt::format("the server sent a malformed response: {}", parser_->error()));
            return;
        case ResponseParser::State::need_more:
            if (buffered) {
                in_.erase(0, used);
            } else {
                in_.assign(input.substr(used));
            }
            return;
        case ResponseParser::State::complete: break;
    }
    in_.clear();
    if (in_.capacity() > kScratchSize) in_.shrink_to_fit();
    awaiting_ = false;
    std::unique_ptr<ResponseParser> done = std::move(parser_);
    request_.clear();
    request_.shrink_to_fit();
    // Bytes past the response would answer nothing we asked: the server is confused.
    if (used < input.size() || !done->response().keep_alive) {
        close_socket();
    } else if (endpoint_.budget) {
        endpoint_.budget->idle(*this);  // first to go when another user needs a socket
    }
    handler_.on_response(*this, done->response());
}

void HttpConnection::end_of_stream(const std::string& why) {
    if (!awaiting_) {
        close_socket();  // an idle keep-alive connection the server closed: not an error
        return;
    }
    if (reused_ && !answer_started_) {
        close_socket();
        std::string request = std::move(request_);
        send(std::move(request), head_);  // on a fresh connection, so never twice
        return;
    }
    if (parser_ && answer_started_) {
        parser_->end_of_stream();
        if (parser_->state() == ResponseParser::State::complete) {
            awaiting_ = false;
            std::unique_ptr<ResponseParser> done = std::move(parser_);
            close_socket();
            handler_.on_response(*this, done->response());
            return;
        }
    }
    fail(why);
}

void HttpConnection::fail(const std::string& why) {
    close_socket();
    bool was_awaiting = awaiting_;
    awaiting_ = false;
    parser_.reset();
    request_.clear();
    if (was_awaiting) handler_.on_failure(*this, why);
}

void HttpConnection::close_socket() {
    if (stream_.fd() >= 0 && !connecting_) worker_.metrics().connection_closed();
    stream_.close();
    connecting_ = false;
    registered_fd = -1;
    write_armed = false;
    in_.clear();
    if (!endpoint_.budget) return;
    endpoint_.budget->forget(*this);  // off the idle list, or out of the queue
    if (holds_budget_socket_) {
        holds_budget_socket_ = false;
        endpoint_.budget->release();
    }
}

void HttpConnection::close() {
    awaiting_ = false;
    parser_.reset();
    request_.clear();
    close_socket();
}

}  // namespace lampi::load::http
