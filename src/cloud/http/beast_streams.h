// The Beast stream types of lampi-cloud's HTTP server, shared by the server and
// the MQTT relay it hands WebSocket upgrades to. Internal to lampi_cloud_http:
// nothing outside src/cloud/http includes Beast.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

namespace lampi::cloud::http {

using Executor = boost::asio::strand<boost::asio::io_context::executor_type>;
using TcpStream = boost::beast::basic_stream<boost::asio::ip::tcp, Executor>;
using TlsStream = boost::beast::ssl_stream<TcpStream>;
inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable_t<Executor>{});

}  // namespace lampi::cloud::http
