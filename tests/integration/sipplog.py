#!/usr/bin/env python3
"""sipplog.py - read a SIPp message log (-trace_msg -message_file FILE).

  sipplog.py FILE
      one line per message, in order:
        recv INVITE sip:1002@127.0.0.1:5072 SIP/2.0 [CSeq 1 INVITE]
        sent SIP/2.0 180 Ringing [CSeq 1 INVITE]
      Retransmissions show as separate lines, as they were on the wire.

  sipplog.py FILE --dir recv --start INVITE [--cseq INVITE] [--index N]
             --show first|msg|body|time|sdp_port|sdp_ip|sdp_codecs|
                    sdp_dir|header:NAME
      the selected message (default: the first that matches; --index -1
      the last) and what to print of it. --start is a prefix of the first
      line ("INVITE", "SIP/2.0 200", "BYE"), --cseq the CSeq method.
      Exit status 1 when no message matches.

  sipplog.py FILE --count [--dir D] [--start S] [--cseq M]
      how many messages match.

  sipplog.py FILE -q 'DIR|START|CSEQ|INDEX|SHOW' [-q ...]
      several selections at once, one output line each (empty when no
      message matches); SHOW may also be "count" (INDEX is then ignored).
      E.g. -q 'recv|SIP/2.0 200|INVITE|0|sdp_port' -q 'recv|BYE|||count'
"""
import argparse
import re
import sys

SEP = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$")
KIND = re.compile(r"^(UDP|TCP|TLS|SCTP) message (received|sent)")


def parse(path):
    msgs = []
    cur = None
    with open(path, "r", encoding="utf-8", errors="replace",
              newline="") as f:
        text = f.read()
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = SEP.match(lines[i].rstrip("\r"))
        if m and i + 1 < len(lines) and KIND.match(lines[i + 1]):
            if cur:
                msgs.append(cur)
            d = KIND.match(lines[i + 1]).group(2)
            cur = {"time": m.group(1),
                   "dir": "recv" if d == "received" else "sent",
                   "lines": []}
            i += 3          # separator, kind, blank line
            continue
        if cur is not None:
            cur["lines"].append(lines[i])
        i += 1
    if cur:
        msgs.append(cur)
    out = []
    for m in msgs:
        raw = "\n".join(m["lines"])
        raw = raw.replace("\r\n", "\n").replace("\r", "")
        head, _, body = raw.lstrip("\n").partition("\n\n")
        hl = head.split("\n")
        if not hl or not hl[0].strip():
            continue
        hdrs = []
        for h in hl[1:]:
            if ":" in h:
                k, _, v = h.partition(":")
                hdrs.append((k.strip(), v.strip()))
        m["first"] = hl[0].strip()
        m["headers"] = hdrs
        m["body"] = body.strip("\n")
        m["head"] = head
        out.append(m)
    return out


COMPACT = {"i": "call-id", "m": "contact", "f": "from", "t": "to",
           "v": "via", "l": "content-length", "c": "content-type"}


def header(m, name):
    name = name.lower()
    for k, v in m["headers"]:
        k = COMPACT.get(k.lower(), k.lower())
        if k == name:
            return v
    return None


def cseq_method(m):
    v = header(m, "cseq") or ""
    parts = v.split()
    return parts[1] if len(parts) > 1 else ""


def sdp(m, what):
    body = m["body"]
    if what == "sdp_port":
        r = re.search(r"^m=audio (\d+)", body, re.M)
        return r.group(1) if r else None
    if what == "sdp_ip":
        r = re.search(r"^c=IN IP[46] (\S+)", body, re.M)
        return r.group(1) if r else None
    if what == "sdp_codecs":
        r = re.search(r"^m=audio \d+ \S+ ?(.*)$", body, re.M)
        return r.group(1).strip() if r else None
    if what == "sdp_dir":
        r = re.search(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$",
                      body, re.M)
        return r.group(1) if r else "sendrecv"
    return None


def show(m, w):
    """What --show W prints of message m, or None."""
    if w == "first":
        return m["first"]
    if w == "msg":
        return m["head"] + "\n\n" + m["body"]
    if w == "body":
        return m["body"]
    if w == "time":
        return m["time"]
    if w.startswith("sdp_"):
        return sdp(m, w)
    if w.startswith("header:"):
        return header(m, w[7:])
    raise ValueError("unknown --show %r" % w)


def select(msgs, d, start, cseq):
    return [m for m in msgs
            if (not d or m["dir"] == d)
            and (not start or m["first"].startswith(start))
            and (not cseq or cseq_method(m) == cseq)]


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--dir", choices=["recv", "sent"])
    ap.add_argument("--start")
    ap.add_argument("--cseq")
    ap.add_argument("--index", type=int, default=0)
    ap.add_argument("--show")
    ap.add_argument("--count", action="store_true")
    ap.add_argument("-q", action="append", default=[],
                    help="DIR|START|CSEQ|INDEX|SHOW")
    a = ap.parse_args()
    try:
        msgs = parse(a.file)
    except OSError as e:
        sys.stderr.write("sipplog: %s\n" % e)
        return 2
    if a.q:
        for q in a.q:
            parts = (q.split("|") + [""] * 5)[:5]
            d, start, cseq, idx, w = parts
            sel = select(msgs, d, start, cseq)
            if w == "count":
                print(len(sel))
                continue
            i = int(idx or 0)
            v = show(sel[i], w) if -len(sel) <= i < len(sel) else None
            print("" if v is None else v.replace("\n", " "))
        return 0
    sel = select(msgs, a.dir, a.start, a.cseq)
    if a.count:
        print(len(sel))
        return 0
    if not a.show:
        for m in sel:
            print("%s %s [CSeq %s]" % (m["dir"], m["first"],
                                       header(m, "cseq") or "?"))
        return 0
    if not sel or not -len(sel) <= a.index < len(sel):
        return 1
    try:
        v = show(sel[a.index], a.show)
    except ValueError as e:
        ap.error(str(e))
    if v is None:
        return 1
    print(v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
