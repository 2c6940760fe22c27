"""A TCP proxy for Kafka connections that loses and delays responses on purpose (stdlib only).

It reads the size-prefixed frames in both directions, remembers each request's API key by
correlation id, and for the responses to the API keys it is told to disturb (Produce by
default) it may
  - drop: close both sides instead of forwarding the response (the broker did the work, the
    client never hears of it and retries: the case idempotence exists for), every `drop_every`th
    such response;
  - delay: hold the response `delay_ms` first, every `delay_every`th such response.
Faults are counted, deterministic (every Nth, not random) and can be switched off with
`calm()` so a test can finish cleanly. Used by test_idempotence.py; the broker must advertise
the proxy's address (advertised.listeners) so every connection of the client goes through it."""

import socket
import struct
import threading
import time


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _read_frame(sock):
    head = _recv_exact(sock, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">i", head)
    if size < 0 or size > 128 << 20:
        return None
    body = _recv_exact(sock, size)
    return None if body is None else head + body


class FaultyProxy:
    def __init__(self, target_host, target_port, api_keys=(0,), drop_every=0, delay_every=0,
                 delay_ms=0, listen_port=0):
        self.target = (target_host, target_port)
        self.api_keys = set(api_keys)
        self.drop_every = drop_every
        self.delay_every = delay_every
        self.delay_ms = delay_ms
        self.dropped = 0
        self.delayed = 0
        self.seen = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", listen_port))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def calm(self):
        """No more faults from now on."""
        with self._lock:
            self.drop_every = 0
            self.delay_every = 0

    def close(self):
        self._stop.set()
        try:
            self._server.close()
        except OSError:
            pass

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self.connections += 1
            pending = {}  # correlation id -> api key, of requests forwarded
            lock = threading.Lock()
            threading.Thread(target=self._up, args=(client, upstream, pending, lock),
                             daemon=True).start()
            threading.Thread(target=self._down, args=(client, upstream, pending, lock),
                             daemon=True).start()

    @staticmethod
    def _close(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def _up(self, client, upstream, pending, lock):
        try:
            while True:
                f = _read_frame(client)
                if f is None:
                    break
                if len(f) >= 12:
                    api_key, _, corr = struct.unpack(">hhi", f[4:12])
                    with lock:
                        pending[corr] = api_key
                upstream.sendall(f)
        except OSError:
            pass
        self._close(client, upstream)

    def _down(self, client, upstream, pending, lock):
        try:
            while True:
                f = _read_frame(upstream)
                if f is None:
                    break
                (corr,) = struct.unpack(">i", f[4:8])
                with lock:
                    api_key = pending.pop(corr, None)
                if api_key in self.api_keys:
                    with self._lock:
                        self.seen += 1
                        drop = self.drop_every and self.seen % self.drop_every == 0
                        delay = (not drop and self.delay_every
                                 and self.seen % self.delay_every == 0)
                        if drop:
                            self.dropped += 1
                        if delay:
                            self.delayed += 1
                    if drop:
                        break
                    if delay:
                        time.sleep(self.delay_ms / 1000.0)
                client.sendall(f)
        except OSError:
            pass
        self._close(client, upstream)
