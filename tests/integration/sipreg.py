#!/usr/bin/env python3
"""sipreg.py - a small, independent SIP REGISTER/OPTIONS client for tests.

Python standard library only (socket, hashlib). It sends a request, answers
a 401/407 digest challenge (MD5, SHA-256, SHA-512-256; RFC 7616/8760, qop
"auth" or none) and prints what a user would look at, one item a line:

  RESPONSE <code> <reason>      every final response, in order
  CHALLENGE <header value>      every WWW-Authenticate of each 401/407
  AUTH <algorithm>              sent an Authorization with that algorithm
  STATUS <code>                 the last final response
  CONTACT <value>               each Contact of the last response
  HDR <Name>: <value>           every header of the last response

Exit status: 0 after a final response (1 with --expect CODE when the last
status differs), 2 on timeout or network error, 3 if no offered challenge
could be answered (e.g. --algorithm SHA-256 but only MD5 offered).

Examples:
  sipreg.py --server 127.0.0.1:5060 --user 1001 --password secret1x
  sipreg.py ... --algorithm SHA-256 --expires 120 \\
      --contact '<sip:1001@127.0.0.1:5099>;q=0.5' --contact '<sip:1001@h2>'
  sipreg.py ... --star --expires 0          # remove every binding
  sipreg.py ... --no-contact                # list the bindings
  sipreg.py ... --method OPTIONS --no-auth
"""
import argparse
import hashlib
import os
import random
import re
import signal
import socket
import sys
import time

COMPACT = {"m": "Contact", "i": "Call-ID", "v": "Via", "f": "From",
           "t": "To", "l": "Content-Length", "k": "Supported",
           "c": "Content-Type", "e": "Content-Encoding", "s": "Subject"}

HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def H(alg, text):
    return hashlib.new(HASHES[alg], text.encode("utf-8")).hexdigest()


def rand_token(n=10):
    return "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                   for _ in range(n))


def split_commas(value):
    """Split a header value on commas outside <...> and quotes."""
    out, cur, depth, quoted = [], "", 0, False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_auth_params(value):
    """'Digest a="b", c=d' -> ('Digest', {'a': 'b', 'c': 'd'})."""
    scheme, _, rest = value.strip().partition(" ")
    params = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)',
                         rest):
        params[m.group(1).lower()] = (m.group(3) if m.group(3) is not None
                                      else m.group(2))
    return scheme, params


class Message:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.start = lines[0]
        self.headers = []       # (Name, value) in order
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                n, v = self.headers[-1]
                self.headers[-1] = (n, v + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            name = name.strip()
            name = COMPACT.get(name.lower(), name) if len(name) == 1 else name
            self.headers.append((name, value.strip()))
        parts = self.start.split(" ", 2)
        self.is_response = parts[0].startswith("SIP/")
        self.code = int(parts[1]) if self.is_response else 0
        self.reason = parts[2] if self.is_response and len(parts) > 2 else ""

    def get_all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def get(self, name):
        v = self.get_all(name)
        return v[0] if v else None


class Transport:
    def __init__(self, kind, server, local_ip, local_port, timeout):
        self.kind = kind
        self.server = server
        self.timeout = timeout
        self.buf = b""
        if kind == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((local_ip, local_port))
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((local_ip, local_port))
            self.sock.settimeout(timeout)
            self.sock.connect(server)
        self.local = self.sock.getsockname()

    def send(self, data):
        if self.kind == "udp":
            self.sock.sendto(data, self.server)
        else:
            self.sock.sendall(data)

    def _tcp_frame(self):
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode("utf-8", "replace")
        m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
        clen = int(m.group(1)) if m else 0
        total = end + 4 + clen
        if len(self.buf) < total:
            return None
        frame, self.buf = self.buf[:total], self.buf[total:]
        return frame

    def recv(self, deadline):
        """One message, or None at <deadline>."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if self.kind == "tcp":
                frame = self._tcp_frame()
                if frame is not None:
                    return frame.decode("utf-8", "replace")
            self.sock.settimeout(left)
            try:
                if self.kind == "udp":
                    data, _ = self.sock.recvfrom(65535)
                    return data.decode("utf-8", "replace")
                data = self.sock.recv(65535)
                if not data:
                    raise ConnectionError("server closed the connection")
                self.buf += data
            except socket.timeout:
                return None


class Client:
    def __init__(self, a):
        self.a = a
        host, _, port = a.server.rpartition(":")
        self.server = (host, int(port))
        self.tp = Transport(a.transport, self.server, a.local_ip,
                            a.local_port, a.timeout)
        self.call_id = a.call_id or "%s@sipreg" % rand_token(16)
        self.cseq = a.cseq
        self.from_tag = rand_token(8)
        self.nc = 0

    def log(self, prefix, text):
        if self.a.verbose:
            for line in text.rstrip("\r\n").split("\r\n"):
                sys.stderr.write("%s %s\n" % (prefix, line))

    def build(self, auth=None):
        a = self.a
        lhost, lport = self.tp.local
        tpt = a.transport.upper()
        ruri = a.ruri or "sip:%s" % a.domain
        aor_user = a.to_user or a.user
        aor = ("sip:%s@%s" % (aor_user, a.domain) if aor_user
               else "sip:%s" % a.domain)
        lines = [
            "%s %s SIP/2.0" % (a.method, ruri),
            "Via: SIP/2.0/%s %s:%d;branch=z9hG4bK%s;rport"
            % (tpt, lhost, lport, rand_token(12)),
            "Max-Forwards: 70",
            "From: <%s>;tag=%s" % (aor, self.from_tag),
            "To: <%s>" % aor,
            "Call-ID: %s" % self.call_id,
            "CSeq: %d %s" % (self.cseq, a.method),
        ]
        if a.method == "REGISTER":
            if a.star:
                lines.append("Contact: *")
            elif not a.no_contact:
                contacts = a.contact or ["<sip:%s@%s:%d%s>" % (
                    a.user, lhost, lport,
                    ";transport=tcp" if a.transport == "tcp" else "")]
                for c in contacts:
                    if "<" not in c and c != "*":
                        c = "<%s>" % c
                    lines.append("Contact: %s" % c)
            if a.expires is not None:
                lines.append("Expires: %s" % a.expires)
        if auth:
            lines.append("%s: %s" % (
                "Proxy-Authorization" if self.proxy else "Authorization",
                auth))
        if a.user_agent:
            lines.append("User-Agent: %s" % a.user_agent)
        for h in a.header or []:
            lines.append(h)
        lines.append("Content-Length: 0")
        return "\r\n".join(lines) + "\r\n\r\n"

    def digest(self, ch, alg):
        a = self.a
        ruri = a.ruri or "sip:%s" % a.domain
        realm = ch.get("realm", "")
        nonce = ch.get("nonce", "")
        user = a.auth_user or a.user
        ha1 = H(alg, "%s:%s:%s" % (user, realm, a.password))
        ha2 = H(alg, "%s:%s" % (a.method, ruri))
        qops = [q.strip() for q in ch.get("qop", "").split(",") if q.strip()]
        parts = ['username="%s"' % user, 'realm="%s"' % realm,
                 'nonce="%s"' % nonce, 'uri="%s"' % ruri]
        if "auth" in qops:
            self.nc += 1
            nc = "%08x" % self.nc
            cnonce = rand_token(16)
            resp = H(alg, "%s:%s:%s:%s:auth:%s" % (ha1, nonce, nc, cnonce,
                                                    ha2))
            parts += ['response="%s"' % resp, "algorithm=%s" % alg,
                      'cnonce="%s"' % cnonce, "qop=auth", "nc=%s" % nc]
        else:
            resp = H(alg, "%s:%s:%s" % (ha1, nonce, ha2))
            parts += ['response="%s"' % resp, "algorithm=%s" % alg]
        if "opaque" in ch:
            parts.append('opaque="%s"' % ch["opaque"])
        return "Digest " + ", ".join(parts)

    def pick(self, msg):
        """The challenge to answer: (params, algorithm) or None."""
        hname = ("Proxy-Authenticate" if msg.code == 407
                 else "WWW-Authenticate")
        offered = []
        for v in msg.get_all(hname):
            scheme, p = parse_auth_params(v)
            if scheme.lower() != "digest":
                continue
            alg = p.get("algorithm", "MD5").upper()
            if alg in HASHES:
                offered.append((p, alg))
        if self.a.algorithm:
            offered = [o for o in offered
                       if o[1] == self.a.algorithm.upper()]
        return offered[0] if offered else None

    def transaction(self, auth=None):
        """Send one request (retransmitted on UDP) and return its final
        response, or None on timeout."""
        data = self.build(auth)
        self.log(">", data)
        self.tp.send(data.encode("utf-8"))
        deadline = time.monotonic() + self.a.timeout
        t1 = 0.5
        next_rt = time.monotonic() + t1
        provisional = False
        while True:
            wait_to = deadline
            if self.a.transport == "udp" and not provisional:
                wait_to = min(deadline, next_rt)
            raw = self.tp.recv(wait_to)
            now = time.monotonic()
            if raw is None:
                if now >= deadline:
                    return None
                self.tp.send(data.encode("utf-8"))
                self.log(">", "(retransmission)")
                t1 = min(t1 * 2, 4.0)
                next_rt = now + t1
                continue
            self.log("<", raw)
            msg = Message(raw)
            if not msg.is_response:
                continue
            cseq = (msg.get("CSeq") or "").split()
            if msg.get("Call-ID") != self.call_id or \
                    not cseq or cseq[0] != str(self.cseq):
                continue
            if msg.code < 200:
                provisional = True
                continue
            return msg

    def run(self):
        a = self.a
        auth = None
        alg_sent = None
        if a.preauth_nonce is not None:
            ch = {"realm": a.preauth_realm or a.domain,
                  "nonce": a.preauth_nonce, "qop": "auth"}
            alg_sent = (a.algorithm or "MD5").upper()
            self.proxy = False
            auth = self.digest(ch, alg_sent)
        self.proxy = False
        tries = 0
        last = None
        while True:
            if auth:
                print("AUTH %s" % alg_sent)
            msg = self.transaction(auth)
            if msg is None:
                print("TIMEOUT after %ss" % a.timeout)
                return 2
            last = msg
            print("RESPONSE %d %s" % (msg.code, msg.reason))
            if msg.code in (401, 407):
                for v in msg.get_all("Proxy-Authenticate" if msg.code == 407
                                     else "WWW-Authenticate"):
                    print("CHALLENGE %s" % v)
                if a.no_auth or tries >= a.max_auth or a.password is None:
                    break
                chosen = self.pick(msg)
                if not chosen:
                    self.final(msg)
                    print("NOCHALLENGE no usable challenge offered")
                    return 3
                tries += 1
                if a.auth_delay and tries == 1:
                    time.sleep(a.auth_delay)
                self.proxy = msg.code == 407
                self.cseq += 1
                alg_sent = chosen[1]
                auth = self.digest(chosen[0], alg_sent)
                continue
            break
        self.final(last)
        if a.expect is not None and last.code != a.expect:
            return 1
        return 0

    def final(self, msg):
        print("STATUS %d" % msg.code)
        for v in msg.get_all("Contact"):
            for c in split_commas(v):
                print("CONTACT %s" % c)
        for n, v in msg.headers:
            print("HDR %s: %s" % (n, v))


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="HOST:PORT of the registrar")
    ap.add_argument("--transport", choices=["udp", "tcp"], default="udp")
    ap.add_argument("--method", default="REGISTER")
    ap.add_argument("--user", default="", help="the AoR user (extension)")
    ap.add_argument("--to-user", help="AoR user in From/To if not --user")
    ap.add_argument("--auth-user", help="digest username if not --user")
    ap.add_argument("--password")
    ap.add_argument("--domain", default="pbx.local")
    ap.add_argument("--ruri", help="Request-URI (default sip:DOMAIN)")
    ap.add_argument("--contact", action="append",
                    help="a Contact value, repeatable ('<uri>;q=0.5')")
    ap.add_argument("--no-contact", action="store_true",
                    help="send no Contact (query the bindings)")
    ap.add_argument("--star", action="store_true", help="Contact: *")
    ap.add_argument("--expires", help="Expires header value")
    ap.add_argument("--call-id")
    ap.add_argument("--cseq", type=int, default=1)
    ap.add_argument("--user-agent", default="sipreg.py")
    ap.add_argument("--header", action="append",
                    help="an extra header line, repeatable")
    ap.add_argument("--algorithm", help="answer only this challenge algorithm")
    ap.add_argument("--no-auth", action="store_true",
                    help="stop at the first 401/407")
    ap.add_argument("--max-auth", type=int, default=2,
                    help="challenges to answer at most (stale retries)")
    ap.add_argument("--preauth-nonce",
                    help="send an Authorization with this nonce at once")
    ap.add_argument("--preauth-realm")
    ap.add_argument("--auth-delay", type=float, default=0,
                    help="seconds to wait before answering the first "
                    "challenge (to let its nonce expire)")
    ap.add_argument("--local-ip", default="127.0.0.1")
    ap.add_argument("--local-port", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--expect", type=int, help="exit 1 unless this status")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print the messages on stderr")
    a = ap.parse_args()
    if a.method == "REGISTER" and not a.user:
        ap.error("--user is required for REGISTER")
    random.seed(os.urandom(16))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        rc = Client(a).run()
    except (OSError, ConnectionError) as e:
        print("ERROR %s" % e)
        rc = 2
    sys.stdout.flush()
    sys.exit(rc)


if __name__ == "__main__":
    main()
