"""Stand-ins for broken nameservers, for the tests of nsupd's failure paths:
a primary that accepts TCP and never answers, and a resolver that answers
queries late or refuses them. Real nameservers are in named.py.
Only 127.0.0.1, ephemeral ports."""

import socket
import threading

import dns.message
import dns.rcode


class HungPrimary:
    """A TCP listener that accepts and reads UPDATE messages but never
    answers (a hung primary). Counts the connections it accepted."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.received = 0
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.05)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                c.setblocking(False)
                self.conns.append(c)
            except OSError:
                pass
            for c in list(self.conns):
                try:
                    data = c.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    with self.lock:
                        self.received += len(data)

    def bytes_received(self):
        with self.lock:
            return self.received

    def close(self):
        self.stop = True
        self.thread.join(5)
        for c in self.conns:
            c.close()
        self.sock.close()


class SlowResolver:
    """A UDP nameserver that answers every query late (NOERROR, no records),
    or at once with REFUSED. Counts the queries it got."""

    def __init__(self, delay=0.0, rcode=dns.rcode.NOERROR):
        self.delay = delay
        self.rcode = rcode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        self.lock = threading.Lock()
        self.stop = False
        self.timers = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                continue
            try:
                q = dns.message.from_wire(data)
            except Exception:
                continue
            with self.lock:
                self.queries += 1
            r = dns.message.make_response(q)
            r.set_rcode(self.rcode)
            wire = r.to_wire()
            t = threading.Timer(self.delay, self._send, (wire, peer))
            t.daemon = True
            self.timers.append(t)
            t.start()

    def _send(self, wire, peer):
        try:
            self.sock.sendto(wire, peer)
        except OSError:
            pass

    def count(self):
        with self.lock:
            return self.queries

    def close(self):
        self.stop = True
        self.thread.join(5)
        for t in self.timers:
            t.cancel()
        self.sock.close()
