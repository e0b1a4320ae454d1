#!/usr/bin/env python3
"""GETs one URL N times over one keep-alive HTTPS connection (certificate not
checked: the bench's own self-signed one) and fails unless every answer is 200.
Between runs of it the bench zeroes and dumps callgrind's counters, or counts
the server's system calls, so that a figure divided by N is one request's cost.

  keepalive_get.py URL N [COOKIE]
"""
import http.client
import ssl
import sys
import urllib.parse


def main():
    url, count = sys.argv[1], int(sys.argv[2])
    cookie = sys.argv[3] if len(sys.argv) > 3 else ""
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    body_bytes = 0
    for _ in range(count):
        connection.request("GET", parts.path or "/", headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        if answer.status != 200:
            sys.exit(f"{url}: {answer.status} {answer.reason}")
        body_bytes = len(body)
    connection.close()
    print(body_bytes)


if __name__ == "__main__":
    main()
