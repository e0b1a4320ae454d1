#include "http/response_parser.h"

#include <boost/beast/http/basic_parser.hpp>

#include <cctype>

namespace lampi::load::http {
namespace {

namespace beast_http = boost::beast::http;
using boost::beast::error_code;

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::uint64_t kBodyLimit = 64ull * 1024 * 1024;

// The Set-Cookie value's name and value, or empty names for nonsense.
std::pair<std::string, std::string> cookie_pair(std::string_view set_cookie) {
    std::string_view first = set_cookie.substr(0, set_cookie.find(';'));
    std::size_t eq = first.find('=');
    if (eq == std::string_view::npos) return {};
    auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
        return s;
    };
    std::string_view value = trim(first.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return {std::string(trim(first.substr(0, eq))), std::string(value)};
}

}  // namespace

class ResponseParser::Impl : public beast_http::basic_parser<false> {
public:
    Impl(Response& response, bool keep_body) : response_(response), keep_body_(keep_body) {}

private:
    void on_request_impl(beast_http::verb, boost::beast::string_view, boost::beast::string_view, int,
                         error_code&) override {}
    void on_response_impl(int code, boost::beast::string_view reason, int, error_code&) override {
        response_.status = code;
        response_.reason.assign(reason.data(), reason.size());
    }
    void on_field_impl(beast_http::field name, boost::beast::string_view name_text, boost::beast::string_view value,
                       error_code&) override {
        if (keep_body_) {
            std::string lower(name_text.data(), name_text.size());
            for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            response_.headers.emplace_back(std::move(lower), std::string(value.data(), value.size()));
        }
        if (name == beast_http::field::set_cookie) {
            auto cookie = cookie_pair(std::string_view(value.data(), value.size()));
            if (!cookie.first.empty()) response_.set_cookies.push_back(std::move(cookie));
        } else if (name == beast_http::field::location) {
            response_.location.assign(value.data(), value.size());
        }
    }
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
    std::size_t on_body_impl(boost::beast::string_view body, error_code&) override { return take_body(body); }
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code&) override {
        return take_body(body);
    }
    std::size_t take_body(boost::beast::string_view body) {
        response_.body_bytes += body.size();
        if (keep_body_) response_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_finish_impl(error_code&) override {}

    Response& response_;
    bool keep_body_;
};

ResponseParser::ResponseParser(bool head_request, bool keep_body)
    : impl_(std::make_unique<Impl>(response_, keep_body)) {
    impl_->eager(true);
    impl_->skip(head_request);
    impl_->header_limit(kHeaderLimit);
    impl_->body_limit(kBodyLimit);
}

ResponseParser::~ResponseParser() = default;

std::size_t ResponseParser::feed(std::string_view data) {
    std::size_t used = 0;
    while (state_ == State::need_more && used < data.size()) {
        error_code ec;
        std::size_t n = impl_->put(boost::asio::const_buffer(data.data() + used, data.size() - used), ec);
        used += n;
        // Beast waits for more bytes; offering it the same ones again breaks its bookkeeping.
        if (ec == beast_http::error::need_more) break;
        if (ec) {
            state_ = State::malformed;
            error_ = ec.message();
        } else if (impl_->is_done()) {
            state_ = State::complete;
            response_.keep_alive = impl_->keep_alive();
        } else if (n == 0) {
            break;
        }
    }
    return used;
}

void ResponseParser::end_of_stream() {
    if (state_ != State::need_more) return;
    if (!impl_->got_some()) {
        state_ = State::malformed;
        error_ = "the connection closed before a response";
        return;
    }
    error_code ec;
    impl_->put_eof(ec);
    if (ec || !impl_->is_done()) {
        state_ = State::malformed;
        error_ = ec ? ec.message() : "the connection closed in the middle of a response";
        return;
    }
    state_ = State::complete;
    response_.keep_alive = false;
}

}  // namespace lampi::load::http
