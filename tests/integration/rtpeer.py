#!/usr/bin/env python3
"""rtpeer.py - a small RTP phone for the call tests (standard library only).

Binds a UDP port on 127.0.0.1 (the port the phone put in its SDP), sends
G.711-sized RTP packets (160-byte payloads every 20 ms) to the PBX's port,
optionally RFC 4733 telephone-events, receives whatever arrives, and at the
end prints one JSON summary on stdout (or into --out):

  {"port": 30000, "remote": "127.0.0.1:16384",
   "sent": 150, "sent_dtmf": 11, "received": 148,
   "sources": {"127.0.0.1:16384": 148},   packets per source address
   "pts": {"0": 148},                     packets per payload type
   "sizes": {"160": 148},                 audio packets per payload size
   "first_bytes": {"ff": 148},            audio packets per first payload
                                          byte (hex)
   "ssrcs": 1, "seq_breaks": 0,           SSRCs seen; packets whose
                                          sequence number is not previous+1
                                          of their SSRC
   "markers": 1,                          packets with the marker bit
   "ts_breaks": 0,                        audio packets of one SSRC whose
                                          timestamp did not advance by
                                          their sequence distance * 160
   "dtmf": [{"digit": "5", "event": 5, "end_packets": 3,
             "duration": 1280, "volume": 10}],
   "digits": "5",                         the digits in order
   "first_rx": 0.12, "last_rx": 3.01,     seconds since start (or null)
   "bad": 0}                              datagrams that were not RTP

Sending starts when the PBX's address is known: --remote HOST:PORT, or
--remote-file FILE (polled until it holds "PORT" or "HOST:PORT"), and, with
--go FILE, once FILE exists (so that two peers start together, each bound
before the other sends; --ready FILE says when this one is bound). The
peer stops after --duration seconds of sending plus --linger seconds of
receiving, or at SIGTERM/SIGINT (then prints the summary at once).

Examples:
  rtpeer.py --port 30000 --remote 127.0.0.1:16384 --duration 3
  rtpeer.py --port 30002 --remote-file /tmp/p --pt 8 --byte d5 \\
            --dtmf 5 --dtmf-at 1.0 --duration 3 --linger 1
  rtpeer.py --port 30004 --no-send --duration 3      # listen only
"""
import argparse
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

DIGITS = "0123456789*#ABCD"


class Stop(Exception):
    pass


def parse_addr(text, default_host="127.0.0.1"):
    text = text.strip()
    if not text:
        return None
    if ":" in text:
        host, port = text.rsplit(":", 1)
    else:
        host, port = default_host, text
    try:
        port = int(port)
    except ValueError:
        return None
    if not 0 < port < 65536:
        return None
    return (host or default_host, port)


class Peer:
    def __init__(self, a):
        self.a = a
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((a.bind, a.port))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.remote = parse_addr(a.remote) if a.remote else None
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self.t0 = time.monotonic()
        self.send_t0 = None
        self.sent = 0
        self.sent_dtmf = 0
        self.received = 0
        self.bad = 0
        self.sources = {}
        self.pts = {}
        self.sizes = {}
        self.first_bytes = {}
        self.markers = 0
        self.streams = {}        # ssrc -> (last seq, last ts)
        self.seq_breaks = 0
        self.ts_breaks = 0
        self.ssrc_set = set()
        self.events = {}         # (ssrc, ts) -> event record
        self.event_order = []
        self.first_rx = None
        self.last_rx = None
        self.payload = bytes([a.byte]) * a.size
        # The DTMF plan: a list of (start offset s, digit).
        self.dtmf_plan = []
        t = a.dtmf_at
        for d in a.dtmf or "":
            self.dtmf_plan.append((t, d))
            t += a.dtmf_ms / 1000.0 + 0.1
        self.dtmf_cur = None     # [digit, ts, packets sent, end sent]
        self.go = False

    # ---- sending --------------------------------------------------------

    def rtp(self, pt, payload, marker=False, ts=None):
        b0 = 0x80
        b1 = (0x80 if marker else 0) | (pt & 0x7F)
        hdr = struct.pack("!BBHII", b0, b1, self.seq & 0xFFFF,
                          (self.ts if ts is None else ts) & 0xFFFFFFFF,
                          self.ssrc)
        self.seq = (self.seq + 1) & 0xFFFF
        self.sock.sendto(hdr + payload, self.remote)

    def tick(self, elapsed):
        """One 20 ms slot: an audio packet or a DTMF packet."""
        a = self.a
        if self.dtmf_cur is None and self.dtmf_plan and \
                elapsed >= self.dtmf_plan[0][0]:
            _, d = self.dtmf_plan.pop(0)
            self.dtmf_cur = [d, self.ts, 0, 0]
        if self.dtmf_cur is not None:
            d, ts, n, ends = self.dtmf_cur
            steps = max(1, a.dtmf_ms // 20)
            event = DIGITS.index(d.upper())
            if n < steps:
                dur = (n + 1) * 160
                payload = struct.pack("!BBH", event, a.dtmf_volume & 0x3F,
                                      dur)
                self.rtp(a.dtmf_pt, payload, marker=(n == 0), ts=ts)
                self.dtmf_cur[2] += 1
            else:
                dur = steps * 160
                payload = struct.pack("!BBH", event,
                                      0x80 | (a.dtmf_volume & 0x3F), dur)
                self.rtp(a.dtmf_pt, payload, ts=ts)
                self.dtmf_cur[3] += 1
                if self.dtmf_cur[3] >= 3:
                    self.dtmf_cur = None
            self.sent_dtmf += 1
            self.ts += 160
            return
        self.rtp(a.pt, self.payload, marker=(self.sent == 0))
        self.sent += 1
        self.ts += 160

    # ---- receiving ------------------------------------------------------

    def receive(self):
        while True:
            try:
                data, src = self.sock.recvfrom(4096)
            except (BlockingIOError, InterruptedError):
                return
            self.take(data, src)

    def take(self, data, src):
        now = time.monotonic() - self.t0
        if len(data) < 12 or (data[0] >> 6) != 2:
            self.bad += 1
            return
        b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
        off = 12 + 4 * (b0 & 0x0F)
        if b0 & 0x10:
            if len(data) < off + 4:
                self.bad += 1
                return
            off += 4 + 4 * struct.unpack("!H", data[off + 2:off + 4])[0]
        end = len(data)
        if b0 & 0x20 and end > off:
            end -= data[-1]
        if end < off:
            self.bad += 1
            return
        payload = data[off:end]
        pt = b1 & 0x7F
        self.received += 1
        if self.first_rx is None:
            self.first_rx = now
        self.last_rx = now
        key = "%s:%d" % src
        self.sources[key] = self.sources.get(key, 0) + 1
        self.pts[str(pt)] = self.pts.get(str(pt), 0) + 1
        if b1 & 0x80:
            self.markers += 1
        self.ssrc_set.add(ssrc)
        prev = self.streams.get(ssrc)
        if prev is not None:
            pseq, pts_, paudio = prev
            if seq != (pseq + 1) & 0xFFFF:
                self.seq_breaks += 1
        if pt == self.a.dtmf_pt:
            self.take_event(ssrc, ts, payload)
            self.streams[ssrc] = (seq, ts, prev[2] if prev else None)
            return
        self.sizes[str(len(payload))] = self.sizes.get(str(len(payload)),
                                                       0) + 1
        if payload:
            fb = "%02x" % payload[0]
            self.first_bytes[fb] = self.first_bytes.get(fb, 0) + 1
        # Audio timestamps: from the last audio packet of this SSRC the
        # timestamp moves by 160 per sequence step (events in between
        # count as steps too).
        if prev is not None and prev[2] is not None:
            aseq, ats = prev[2]
            steps = (seq - aseq) & 0xFFFF
            if steps and (ts - ats) & 0xFFFFFFFF != (steps * 160) & \
                    0xFFFFFFFF:
                self.ts_breaks += 1
        self.streams[ssrc] = (seq, ts, (seq, ts))

    def take_event(self, ssrc, ts, payload):
        if len(payload) < 4:
            self.bad += 1
            return
        ev, flags, dur = struct.unpack("!BBH", payload[:4])
        k = (ssrc, ts)
        rec = self.events.get(k)
        if rec is None:
            rec = {"event": ev,
                   "digit": DIGITS[ev] if ev < len(DIGITS) else None,
                   "packets": 0, "end_packets": 0, "duration": 0,
                   "volume": flags & 0x3F}
            self.events[k] = rec
            self.event_order.append(k)
        rec["packets"] += 1
        if flags & 0x80:
            rec["end_packets"] += 1
        rec["duration"] = max(rec["duration"], dur)

    # ---- main loop ------------------------------------------------------

    def poll_go(self):
        if self.go or not self.a.go:
            self.go = True
            return
        self.go = os.path.exists(self.a.go)

    def poll_remote(self):
        if self.remote or not self.a.remote_file:
            return
        try:
            with open(self.a.remote_file) as f:
                self.remote = parse_addr(f.read())
        except OSError:
            pass

    def run(self):
        a = self.a
        deadline_wait = self.t0 + a.wait
        next_tick = None
        n_ticks = a.count if a.count else int(round(a.duration * 1000 / 20))
        ticks = 0
        send_done_at = None
        while True:
            now = time.monotonic()
            if a.no_send:
                if send_done_at is None:
                    send_done_at = self.t0 + a.duration
            else:
                if self.remote is None:
                    self.poll_remote()
                if not self.go:
                    self.poll_go()
                if (self.remote is None or not self.go) and \
                        now > deadline_wait and send_done_at is None:
                    send_done_at = now
                if self.remote is not None and self.go and \
                        next_tick is None and send_done_at is None:
                    self.send_t0 = now
                    next_tick = now
                while next_tick is not None and now >= next_tick and \
                        ticks < n_ticks:
                    self.tick(now - self.send_t0)
                    ticks += 1
                    next_tick += a.interval / 1000.0
                if ticks >= n_ticks and send_done_at is None:
                    # Finish a digit in flight before stopping.
                    if self.dtmf_cur is None:
                        send_done_at = now
                    elif next_tick is not None and now >= next_tick:
                        self.tick(now - self.send_t0)
                        next_tick += a.interval / 1000.0
            if send_done_at is not None and now >= send_done_at + a.linger:
                break
            timeout = 0.02
            if next_tick is not None and send_done_at is None:
                timeout = max(0.0, min(timeout, next_tick - now))
            r, _, _ = select.select([self.sock], [], [], timeout)
            if r:
                self.receive()

    def summary(self):
        evs = []
        for k in self.event_order:
            evs.append(self.events[k])
        return {
            "port": self.port,
            "remote": "%s:%d" % self.remote if self.remote else None,
            "sent": self.sent, "sent_dtmf": self.sent_dtmf,
            "received": self.received,
            "sources": self.sources, "pts": self.pts, "sizes": self.sizes,
            "first_bytes": self.first_bytes,
            "ssrcs": len(self.ssrc_set), "seq_breaks": self.seq_breaks,
            "ts_breaks": self.ts_breaks, "markers": self.markers,
            "dtmf": evs,
            "digits": "".join(e["digit"] or "?" for e in evs),
            "first_rx": round(self.first_rx, 3)
            if self.first_rx is not None else None,
            "last_rx": round(self.last_rx, 3)
            if self.last_rx is not None else None,
            "bad": self.bad,
        }


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0,
                    help="local RTP port (0: any; printed in the summary)")
    ap.add_argument("--remote", help="HOST:PORT (or PORT) to send to")
    ap.add_argument("--remote-file",
                    help="file to poll for HOST:PORT (or PORT)")
    ap.add_argument("--wait", type=float, default=10.0,
                    help="seconds to wait for --remote-file and --go "
                    "(default 10)")
    ap.add_argument("--go", help="start sending once this file exists")
    ap.add_argument("--pt", type=int, default=0, help="audio payload type")
    ap.add_argument("--size", type=int, default=160, help="payload bytes")
    ap.add_argument("--byte", type=lambda s: int(s, 16), default=0xFF,
                    help="payload byte, hex (default ff: PCMU silence)")
    ap.add_argument("--interval", type=float, default=20.0,
                    help="ms between packets (default 20: 50 pps)")
    ap.add_argument("--duration", type=float, default=2.0,
                    help="seconds of sending (default 2)")
    ap.add_argument("--count", type=int, default=0,
                    help="packets to send instead of --duration")
    ap.add_argument("--linger", type=float, default=0.5,
                    help="seconds of receiving after sending (default 0.5)")
    ap.add_argument("--no-send", action="store_true",
                    help="only receive, for --duration + --linger seconds")
    ap.add_argument("--dtmf", help="digits to send as RFC 4733 events")
    ap.add_argument("--dtmf-at", type=float, default=0.5,
                    help="seconds after the first packet (default 0.5)")
    ap.add_argument("--dtmf-ms", type=int, default=100,
                    help="event duration in ms (default 100)")
    ap.add_argument("--dtmf-pt", type=int, default=101)
    ap.add_argument("--dtmf-volume", type=int, default=10)
    ap.add_argument("--out", help="write the JSON summary here")
    ap.add_argument("--ready", help="write the bound port here once bound")
    a = ap.parse_args()
    if a.dtmf:
        for d in a.dtmf:
            if d.upper() not in DIGITS:
                ap.error("--dtmf: bad digit %r" % d)

    peer = Peer(a)
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write("%d\n" % peer.port)
        os.rename(a.ready + ".tmp", a.ready)

    def on_signal(signum, frame):
        raise Stop()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        peer.run()
    except Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    text = json.dumps(peer.summary(), sort_keys=True)
    if a.out:
        with open(a.out + ".tmp", "w") as f:
            f.write(text + "\n")
        os.rename(a.out + ".tmp", a.out)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
