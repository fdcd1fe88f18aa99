#!/usr/bin/env python3
"""An OTLP/HTTP collector stand-in for benchmarks: accepts every POST to /v1/traces with 200 and
an empty ExportTraceServiceResponse, counts the requests and bytes received, and writes the
counts to the file named by its second argument on SIGTERM.

Usage: otlp_sink.py PORT COUNTS_FILE
"""
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = {"requests": 0, "bytes": 0}


class Sink(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the handler's name is http.server's)
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        received["requests"] += 1
        received["bytes"] += length
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    port, counts = int(sys.argv[1]), sys.argv[2]

    def stop(*_):
        with open(counts, "w") as f:
            f.write(f"{received['requests']} {received['bytes']}\n")
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    ThreadingHTTPServer(("127.0.0.1", port), Sink).serve_forever()


if __name__ == "__main__":
    main()
