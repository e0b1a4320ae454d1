// An answer's bytes on the wire: what Beast's serializer wrote before (status
// line, the handler's fields in order, then Connection and Content-Length), in
// one buffer.
#include <gtest/gtest.h>

#include "http/response_wire.h"

namespace lampi::cloud::http {
namespace {

Response answer(int status, std::string body) {
    Response r = text(status, std::move(body));
    r.add("Set-Cookie", "a=1");
    r.add("Set-Cookie", "b=2");
    return r;
}

TEST(ResponseWire, KeepAliveOnHttp11SaysNothingAndEndsWithTheLength) {
    EXPECT_EQ(to_wire(answer(200, "hi\r\n"), 11, true),
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
              "Content-Length: 4\r\n\r\nhi\r\n");
}

TEST(ResponseWire, ClosingSaysSoBeforeTheLength) {
    EXPECT_EQ(to_wire(text(404, "no"), 11, false),
              "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
              "Content-Length: 2\r\n\r\nno");
}

TEST(ResponseWire, Http10KeepAliveIsAskedForAndCloseIsTheDefault) {
    EXPECT_EQ(to_wire(redirect("/x"), 10, true),
              "HTTP/1.0 302 Found\r\nLocation: /x\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(to_wire(redirect("/x"), 10, false), "HTTP/1.0 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseWire, NotModifiedAndNoContentCarryNoBodyNorLength) {
    Response r = text(304, "ignored");
    r.set("ETag", "\"1\"");
    EXPECT_EQ(to_wire(std::move(r), 11, true),
              "HTTP/1.1 304 Not Modified\r\nContent-Type: text/plain; charset=utf-8\r\nETag: \"1\"\r\n\r\n");
    Response none;
    none.status = 204;
    EXPECT_EQ(to_wire(std::move(none), 11, false), "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
}

TEST(ResponseWire, TheServerOwnsLengthAndConnection) {
    Response r = text(200, "abc");
    r.set("Content-Length", "999");
    r.set("connection", "keep-alive");
    EXPECT_EQ(to_wire(std::move(r), 11, false),
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
              "Content-Length: 3\r\n\r\nabc");
}

TEST(ResponseWire, AnUnlistedStatusKeepsItsNumber) {
    Response r;
    r.status = 599;
    EXPECT_EQ(to_wire(std::move(r), 11, true).substr(0, 13), "HTTP/1.1 599 ");
}

}  // namespace
}  // namespace lampi::cloud::http
