#include "mqtt/session.h"

#include <fmt/core.h>

#include <algorithm>

#include "mqtt/codec.h"
#include "run/clock.h"

namespace lampi::load {
namespace {

// Reads go here first; only the unfinished tail of the last packet is copied
// into the session, so 50 000 idle sessions do not each hold a read buffer.
constexpr std::size_t kScratchSize = 64 * 1024;
// Reads per readiness event on a plain socket: epoll is level-triggered, so
// what is left is read on the next turn, after the other sessions had theirs.
constexpr int kReadRounds = 8;

}  // namespace

std::string connack_text(int rc) { return std::string(mqtt::connack_text(rc)); }

Session::Session(std::size_t index, std::string client_id, SessionHandler& handler)
    : index_(index), client_id_(std::move(client_id)), handler_(handler) {}

void Session::configure(const ClientOptions& options, std::shared_ptr<TlsContext> tls) {
    options_ = &options;
    tls_ = std::move(tls);
}

void Session::set_client_certificate(std::string cert_file, std::string key_file) {
    cert_file_ = std::move(cert_file);
    key_file_ = std::move(key_file);
}

void Session::set_will(std::string topic, std::string payload, int qos, bool retain) {
    will_topic_ = std::move(topic);
    will_payload_ = std::move(payload);
    will_qos_ = qos;
    will_retain_ = retain;
}

Status Session::start_connect(const std::string& bind_address) {
    close_quietly();
    phase_ = Phase::opening;
    was_connected_ = false;
    connect_started_ns_ = now_ns();
    Status opened = stream_.open(options_->host, options_->port, bind_address, tls_, cert_file_, key_file_);
    if (!opened) {
        phase_ = Phase::closed;
        return opened;
    }
    mqtt::Connect c;
    c.client_id = client_id_;
    c.keepalive_s = static_cast<std::uint16_t>(std::clamp(options_->keepalive_seconds, 0, 65535));
    c.clean_session = options_->clean_session;
    if (!options_->username.empty()) {
        c.username = options_->username;
        if (!options_->password.empty()) c.password = options_->password;
    }
    if (will_qos_ >= 0) c.will = mqtt::Will{will_topic_, will_payload_, will_qos_, will_retain_};
    mqtt::encode_connect(out_, c);  // written once the connection (and TLS) is up
    return Status::ok();
}

std::uint16_t Session::next_packet_id() {
    if (++last_packet_id_ == 0) last_packet_id_ = 1;
    return last_packet_id_;
}

bool Session::publish(std::string_view topic, std::string_view payload, int qos, bool retain, int* mid) {
    if (phase_ != Phase::connected) return false;
    std::uint16_t id = next_packet_id();  // QoS 0 too: it names the message in on_publish
    mqtt::encode_publish(out_, topic, payload, qos, retain, id);
    if (qos == 0) qos0_ends_.emplace_back(written_total_ + (out_.size() - out_pos_), id);
    if (mid) *mid = id;
    return true;
}

bool Session::subscribe(std::string_view filter, int qos, int* mid) {
    if (phase_ != Phase::connected) return false;
    std::uint16_t id = next_packet_id();
    mqtt::encode_subscribe(out_, id, filter, qos);
    if (mid) *mid = id;
    return true;
}

void Session::disconnect() {
    switch (phase_) {
        case Phase::opening:
        case Phase::awaiting_connack:
            close_quietly();
            handler_.on_disconnect(*this, Status::ok());
            break;
        case Phase::connected:
            // DISCONNECT goes out after whatever is queued (acks included).
            phase_ = Phase::disconnecting;
            break;
        default:
            break;
    }
}

void Session::abort() { close_quietly(); }

void Session::close_quietly() {
    stream_.close();
    // Closing the socket took it out of the worker's epoll set.
    registered_fd = -1;
    write_armed = false;
    if (phase_ != Phase::idle) phase_ = Phase::closed;
    ++generation_;
    out_.clear();
    out_pos_ = 0;
    written_total_ = 0;
    qos0_ends_.clear();
    qos0_head_ = 0;
    in_.clear();
    if (in_.capacity() > kScratchSize) in_.shrink_to_fit();
    awaiting_pubrel_.clear();
    ping_outstanding_ = false;
    disconnect_queued_ = false;
}

void Session::lose(std::string why) {
    close_quietly();
    handler_.on_disconnect(*this, Status::error(std::move(why)));
}

Session::State Session::state() const {
    switch (phase_) {
        case Phase::idle: return State::idle;
        case Phase::opening:
        case Phase::awaiting_connack: return State::connecting;
        case Phase::connected:
        case Phase::disconnecting: return State::connected;
        case Phase::closed: break;
    }
    return State::closed;
}

bool Session::wants_write() const {
    switch (phase_) {
        case Phase::opening: return stream_.advance_wants_write();
        case Phase::awaiting_connack:
        case Phase::connected: return out_pos_ < out_.size();
        case Phase::disconnecting: return true;
        default: return false;
    }
}

void Session::advance() {
    switch (stream_.advance()) {
        case Stream::Progress::pending: return;
        case Stream::Progress::failed: lose(stream_.error()); return;
        case Stream::Progress::ready:
            phase_ = Phase::awaiting_connack;
            flush();  // the CONNECT queued by start_connect()
            return;
    }
}

void Session::read() {
    if (phase_ == Phase::opening) {
        advance();
        return;
    }
    if (socket() < 0) return;
    thread_local std::vector<char> scratch(kScratchSize);
    for (int round = 0; round < kReadRounds || stream_.has_buffered_input(); ++round) {
        Stream::Io io = stream_.read(scratch.data(), scratch.size());
        if (io.kind == Stream::Io::would_block) return;
        if (io.kind != Stream::Io::ok) {
            lose(phase_ == Phase::awaiting_connack
                     ? fmt::format("the broker at {}:{} closed the connection before CONNACK ({}): its log says why",
                                   options_->host, options_->port, stream_.error())
                     : fmt::format("connection lost: {}", stream_.error()));
            return;
        }
        take_input({scratch.data(), io.bytes});
        if (socket() < 0) return;
        if (io.bytes < scratch.size() && !stream_.has_buffered_input()) return;
    }
}

void Session::take_input(std::string_view data) {
    const std::uint64_t generation = generation_;
    const bool buffered = !in_.empty();
    if (buffered) in_.append(data);
    std::string_view input = buffered ? std::string_view(in_) : data;
    std::size_t used = 0;
    while (true) {
        mqtt::Decoded d = mqtt::decode(input.substr(used));
        if (d.status == mqtt::DecodeStatus::need_more) break;
        if (d.status == mqtt::DecodeStatus::malformed) {
            lose(fmt::format("connection dropped: the broker sent a malformed packet ({})", d.error));
            return;
        }
        used += d.size;
        if (!dispatch(d.packet) || generation_ != generation) return;
    }
    if (buffered) {
        in_.erase(0, used);
    } else {
        in_.assign(input.substr(used));
    }
}

bool Session::dispatch(const mqtt::Packet& p) {
    using mqtt::PacketType;
    const std::uint64_t generation = generation_;
    if (phase_ == Phase::awaiting_connack && p.type != PacketType::connack) {
        lose(fmt::format("connection dropped: the broker sent packet type {} before CONNACK", static_cast<int>(p.type)));
        return false;
    }
    switch (p.type) {
        case PacketType::connack:
            if (phase_ != Phase::awaiting_connack) {
                lose("connection dropped: the broker sent a second CONNACK");
                return false;
            }
            if (p.return_code != 0) {
                handler_.on_connect(*this, p.return_code);
                close_quietly();
                return false;
            }
            phase_ = Phase::connected;
            was_connected_ = true;
            last_write_ns_ = now_ns();
            handler_.on_connect(*this, 0);
            break;
        case PacketType::publish:
            if (p.qos == 2) {
                // Delivered once: a resent PUBLISH with an id awaiting PUBREL is a duplicate.
                bool seen = std::find(awaiting_pubrel_.begin(), awaiting_pubrel_.end(), p.packet_id) !=
                            awaiting_pubrel_.end();
                mqtt::encode_ack(out_, PacketType::pubrec, p.packet_id);
                if (seen) break;
                awaiting_pubrel_.push_back(p.packet_id);
            }
            handler_.on_message(*this, Message{p.topic, p.payload, p.qos, p.retain});
            if (p.qos == 1 && generation_ == generation) mqtt::encode_ack(out_, PacketType::puback, p.packet_id);
            break;
        case PacketType::puback:
        case PacketType::pubcomp:
            handler_.on_publish(*this, p.packet_id);
            break;
        case PacketType::pubrec:
            mqtt::encode_ack(out_, PacketType::pubrel, p.packet_id);
            break;
        case PacketType::pubrel:
            std::erase(awaiting_pubrel_, p.packet_id);
            mqtt::encode_ack(out_, PacketType::pubcomp, p.packet_id);
            break;
        case PacketType::suback:
            handler_.on_subscribe(*this, p.packet_id, static_cast<std::uint8_t>(p.granted[0]) != 0x80);
            break;
        case PacketType::pingresp:
            ping_outstanding_ = false;
            break;
        case PacketType::unsuback:
            break;
        default:
            lose(fmt::format("connection dropped: the broker sent packet type {}, which only clients send",
                             static_cast<int>(p.type)));
            return false;
    }
    return generation_ == generation;
}

void Session::write() {
    if (phase_ == Phase::opening) {
        advance();
        return;
    }
    flush();
}

void Session::flush() {
    if (phase_ != Phase::awaiting_connack && phase_ != Phase::connected && phase_ != Phase::disconnecting) return;
    const std::uint64_t generation = generation_;
    // A few rounds: QoS 0 confirmations may queue more publishes as they fire.
    for (int round = 0; round < 4; ++round) {
        if (phase_ == Phase::disconnecting && !disconnect_queued_) {
            mqtt::encode_disconnect(out_);
            disconnect_queued_ = true;
        }
        bool blocked = false;
        while (out_pos_ < out_.size()) {
            Stream::Io io = stream_.write(out_.data() + out_pos_, out_.size() - out_pos_);
            if (io.kind == Stream::Io::ok) {
                out_pos_ += io.bytes;
                written_total_ += io.bytes;
                continue;
            }
            if (io.kind == Stream::Io::would_block) {
                blocked = true;
                break;
            }
            lose(fmt::format("connection lost: {}", stream_.error()));
            return;
        }
        if (out_pos_ > 0) last_write_ns_ = now_ns();
        if (out_pos_ == out_.size()) {
            out_.clear();
            out_pos_ = 0;
        } else if (out_pos_ > kScratchSize) {
            out_.erase(0, out_pos_);
            out_pos_ = 0;
        }
        if (phase_ == Phase::disconnecting && out_.empty()) {
            close_quietly();
            handler_.on_disconnect(*this, Status::ok());
            return;
        }
        confirm_written();
        if (generation_ != generation || blocked || out_pos_ == out_.size()) return;
    }
}

void Session::confirm_written() {
    const std::uint64_t generation = generation_;
    while (qos0_head_ < qos0_ends_.size() && qos0_ends_[qos0_head_].first <= written_total_) {
        int mid = qos0_ends_[qos0_head_++].second;
        handler_.on_publish(*this, mid);
        if (generation_ != generation) return;
    }
    if (qos0_head_ == qos0_ends_.size()) {
        qos0_ends_.clear();
        qos0_head_ = 0;
    }
}

void Session::housekeeping(std::int64_t now) {
    if (phase_ != Phase::connected || options_->keepalive_seconds <= 0) return;
    const std::int64_t keepalive = static_cast<std::int64_t>(options_->keepalive_seconds) * 1'000'000'000;
    if (ping_outstanding_) {
        if (now - ping_sent_ns_ > keepalive) {
            lose(fmt::format("connection lost: no PINGRESP within {} s (the broker stopped answering)",
                             options_->keepalive_seconds));
        }
        return;
    }
    // Well before the broker's 1.5 x keepalive, though housekeeping runs only once a second.
    if (now - last_write_ns_ >= keepalive * 3 / 4) {
        mqtt::encode_pingreq(out_);
        ping_outstanding_ = true;
        ping_sent_ns_ = now;
    }
}

}  // namespace lampi::load
