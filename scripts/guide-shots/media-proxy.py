#!/usr/bin/env python3
"""A pass-through in front of the Synapse peer for nheko, used only by
scripts/guide-screenshots.sh.

nheko 0.11 (Debian bookworm) fetches pictures over the old unauthenticated
media endpoints (/_matrix/media/v3/download|thumbnail/...). Synapse answers
those with 404 for media uploaded since it switched to authenticated media
(`enable_authenticated_media`, on by default), so nheko would show the room's
initial instead of the emblem treecast set. This proxy sends those requests to
the authenticated endpoints (/_matrix/client/v1/media/...) with the client's
own access token, and everything else through unchanged.

Usage: media-proxy.py LISTEN_PORT UPSTREAM_URL
The token for media requests that carry none comes from GUIDE_MEDIA_TOKEN.
"""
import http.client
import http.server
import os
import re
import sys
import urllib.parse

LEGACY = re.compile(r"^/_matrix/media/(?:v3|r0)/(download|thumbnail)/(.*)$")
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "host"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        up = urllib.parse.urlsplit(UPSTREAM)
        path = self.path
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        m = LEGACY.match(path)
        if m:
            path = f"/_matrix/client/v1/media/{m.group(1)}/{m.group(2)}"
            if "authorization" not in {k.lower() for k in headers} and os.environ.get("GUIDE_MEDIA_TOKEN"):
                headers["Authorization"] = "Bearer " + os.environ["GUIDE_MEDIA_TOKEN"]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
        try:
            conn.request(self.command, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
        except OSError as e:
            self.send_error(502, str(e))
            return
        finally:
            conn.close()
        self.send_response(r.status, r.reason)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = forward

    def log_message(self, fmt, *args):
        sys.stderr.write("media-proxy: " + (fmt % args) + "\n")


if __name__ == "__main__":
    port, UPSTREAM = int(sys.argv[1]), sys.argv[2]
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
