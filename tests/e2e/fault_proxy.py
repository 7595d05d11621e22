#!/usr/bin/env python3
"""A faulty HTTP proxy for the registry tests: listens on 127.0.0.1:LISTEN and forwards each
request to 127.0.0.1:UPSTREAM on a connection of its own ("Connection: close"), except that
at random (seeded, PERCENT of the requests, at most MAX faults in all) it drops the connection
without an answer or answers 503 with Retry-After: 0, taking turns. With CUT > 0, every answer
whose Content-Length is larger than CUT is cut: its head and CUT bytes of its body are sent,
then the connection is reset. Each fault is printed as one line ("fault drop", "fault 503",
"fault cut").
Usage: fault_proxy.py LISTEN UPSTREAM SEED PERCENT MAX [CUT]"""
import random
import socket
import socketserver
import struct
import sys
import threading

listen_port, upstream_port, seed, percent, max_faults = (int(a) for a in sys.argv[1:6])
cut = int(sys.argv[6]) if len(sys.argv) > 6 else 0
chance = random.Random(seed)
lock = threading.Lock()
faults = 0


def pick_fault():
    global faults
    with lock:
        roll = chance.randrange(100)
        if faults < max_faults and roll < percent:
            faults += 1
            return "drop" if faults % 2 else "503"
    return None


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return head, rest


def content_length(head):
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return -1


def send_cut(upstream, client):
    """Forwards the answer's head and at most CUT bytes of its body; True when it was cut."""
    head, body = read_head(upstream)
    if head is None:
        return True
    client.sendall(head + b"\r\n\r\n")
    length = content_length(head)
    if length <= cut:
        client.sendall(body)
        return False  # the rest is pumped as usual
    while len(body) < cut:
        chunk = upstream.recv(65536)
        if not chunk:
            break
        body += chunk
    print("fault cut", flush=True)
    client.sendall(body[:cut])
    return True


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        client = self.request
        head, rest = read_head(client)
        if head is None:
            return
        fault = pick_fault()
        if fault:
            print("fault " + fault, flush=True)
            if fault == "503":
                client.sendall(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\n"
                               b"Connection: close\r\n\r\n")
            client.close()
            return
        lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"connection:")]
        head = b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n"
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
        upstream.sendall(head + rest)

        def pump_body():
            try:
                while True:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    upstream.sendall(chunk)
            except OSError:
                pass

        threading.Thread(target=pump_body, daemon=True).start()
        if cut > 0 and send_cut(upstream, client):
            upstream.close()
            # A reset, as a dying peer or middlebox sends: SO_LINGER 0, pump_body's recv woken first.
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.shutdown(socket.SHUT_RD)
            client.close()
            return
        try:
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                client.sendall(chunk)
        except OSError:
            pass
        upstream.close()
        client.close()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


with Server(("127.0.0.1", listen_port), Handler) as server:
    server.serve_forever()
