"""bench/calls/pbxbench.py - what bench/calls/run and bench/calls/rtp_calls
share: /proc figures, the sandbox (private PostgreSQL + pbxd), SIPp runs,
the REST API, Kamailio started from bench/calls/kamailio.cfg. Loopback
only; every process started here is stopped here, by its PID.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
SANDBOX = os.path.join(ROOT, "tests", "integration", "sandbox")
HZ = os.sysconf("SC_CLK_TCK")
REALM = "pbx.local"
FIRST_CALLER = 100000          # callers 100000.., password "pw<ext>"
CALLEE_PW = "pwcallee"


def log(msg):
    print(msg, flush=True)


# ---- /proc ------------------------------------------------------------------

def proc_stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rfind(")") + 2:].split()


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


def children_of(ppid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and int(st[1]) == ppid:
                out.append(int(d))
    return out


def cpu_ticks(pids):
    t = 0
    for p in pids:
        st = proc_stat(p)
        if st:
            t += int(st[11]) + int(st[12])      # utime + stime
    return t


def all_ticks():
    """pid -> utime+stime of every process (to see the other tenants)."""
    d = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            st = proc_stat(int(pid))
            if st:
                d[int(pid)] = int(st[11]) + int(st[12])
    return d


def thread_ticks(pid, prefix=None, tid=None):
    """utime+stime of <pid>'s threads named <prefix>..., or of thread
    <tid> (the main thread: tid = pid)."""
    t = 0
    try:
        tids = [str(tid)] if tid else os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0
    for x in tids:
        try:
            if prefix:
                with open("/proc/%d/task/%s/comm" % (pid, x)) as f:
                    if not f.read().startswith(prefix):
                        continue
            with open("/proc/%d/task/%s/stat" % (pid, x)) as f:
                s = f.read()
            st = s[s.rfind(")") + 2:].split()
            t += int(st[11]) + int(st[12])
        except OSError:
            continue
    return t


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def box_ticks():
    """Busy jiffies of the whole machine (all cores)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v[:8]) - v[3] - v[4]


def cpu_pct(ticks, wall):
    return round(100.0 * ticks / HZ / wall, 1) if wall > 0 else 0.0


class Meter:
    """CPU of some processes over an interval, and of everyone else."""

    def __init__(self, groups, ours=()):
        self.groups = groups          # name -> callable returning pids
        self.ours = set(ours)
        self.t0 = time.time()
        self.pids0 = {k: f() for k, f in groups.items()}
        self.a0 = all_ticks()
        self.b0 = box_ticks()

    def stop(self, extra_ours=()):
        wall = time.time() - self.t0
        a1 = all_ticks()
        b1 = box_ticks()
        res = {"wall_s": round(wall, 2)}
        mine = set(self.ours) | set(extra_ours) | {os.getpid()}
        for k, f in self.groups.items():
            pids = sorted(set(self.pids0[k]) | set(f()))
            mine |= set(pids)
            # processes that exited meanwhile are lost; ours do not.
            d = sum(a1.get(p, 0) - self.a0.get(p, 0) for p in pids
                    if p in a1)
            res[k + "_cpu_pct"] = cpu_pct(d, wall)
        others = sum(a1[p] - self.a0[p] for p in a1
                     if p in self.a0 and p not in mine)
        res["others_cpu_pct"] = cpu_pct(others, wall)
        # the whole machine (% of one core, 200 = both cores busy), with
        # the short-lived processes of other tenants (compilers, tests)
        # that others_cpu_pct cannot see. Kept in the jsonl as a noise
        # marker only: on this VM /proc/stat can read below the sum of
        # the per-process figures.
        res["box_cpu_pct"] = cpu_pct(b1 - self.b0, wall)
        return res


# ---- misc -------------------------------------------------------------------

def free_ports(n, udp_only=False):
    got, held = [], []
    for _ in range(200 + n * 4):
        if len(got) == n:
            break
        t = socket.socket()
        t.bind(("127.0.0.1", 0))
        p = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p))
            got.append(p)
            held += [t, u]
        except OSError:
            t.close()
            u.close()
    for s in held:
        s.close()
    if len(got) < n:
        raise RuntimeError("no free ports")
    return got


def sipp_time(s):
    p = s.split(":")
    if len(p) == 4:
        return int(p[0]) * 3600 + int(p[1]) * 60 + int(p[2]) + int(p[3]) / 1e6
    if len(p) == 3:
        return int(p[0]) * 3600 + int(p[1]) * 60 + int(p[2])
    return 0.0


def parse_stat(path):
    with open(path) as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    hdr = lines[0].rstrip(";").split(";")
    return [dict(zip(hdr, l.rstrip(";").split(";"))) for l in lines[1:]]


def rt_pct(last, q, name="ResponseTimeRepartition1"):
    """sipp's response-time buckets (ms): the one holding quantile q."""
    buckets = []
    for k, v in last.items():
        if k.startswith(name + "_"):
            buckets.append((k[len(name) + 1:], int(v or 0)))

    def bound(b):
        return float("inf") if b[0].startswith(">=") else float(b[0][1:])
    buckets.sort(key=bound)
    total = sum(c for _, c in buckets)
    acc = 0
    for b, c in buckets:
        acc += c
        if total and acc >= q * total:
            return b
    return ""


def taskset_args(cpus):
    return ["taskset", "-c", cpus] if cpus and shutil.which("taskset") else []


def pin(pid, cpus):
    """Pin every thread of <pid> (and its future threads) to <cpus>."""
    if cpus and shutil.which("taskset"):
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---- build ------------------------------------------------------------------

def find_pbxd():
    for c in (os.environ.get("PBXD"),
              os.environ.get("PBX_BUILDDIR") and
              os.path.join(os.environ["PBX_BUILDDIR"], "core", "pbxd"),
              os.path.join(ROOT, "build", "core", "pbxd"),
              os.path.join(ROOT, "core", "pbxd")):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


def build_dir():
    if os.environ.get("PBX_BUILDDIR"):
        return os.path.abspath(os.environ["PBX_BUILDDIR"])
    return os.path.join(ROOT, "build")


def ensure_built():
    """Bring the build tree up to date (configure build/ first if needed);
    with $PBXD set, use that binary as it is."""
    if os.environ.get("PBXD"):
        return find_pbxd()
    build = build_dir()
    if not os.path.exists(os.path.join(build, "Makefile")):
        if not os.path.exists(os.path.join(ROOT, "configure")):
            subprocess.run(["autoreconf", "-fi"], cwd=ROOT, check=True)
        os.makedirs(build, exist_ok=True)
        subprocess.run([os.path.join(ROOT, "configure"), "-q"], cwd=build,
                       check=True)
    subprocess.run(["make", "-s", "-j2"], cwd=build, check=True)
    return find_pbxd()


def pbxd_version(pbxd):
    return subprocess.run([pbxd, "--version"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True).stdout.strip()


# ---- sandbox ----------------------------------------------------------------

class Sandbox:
    """tests/integration/sandbox: private PostgreSQL + pbxd on loopback."""

    def __init__(self, pbxd, opts):
        self.dir = tempfile.mkdtemp(prefix="pbxd-bench.")
        os.chmod(self.dir, 0o755)
        self.dir_sbx = os.path.join(self.dir, "sandbox")
        os.makedirs(os.path.join(self.dir, "spool"))
        self.pbxd = pbxd
        self.opts = list(opts) + [
            "cdr.spool_dir=" + os.path.join(self.dir, "spool"),
            "paths.dialplans=" + os.path.join(ROOT, "dialplans"),
            "paths.sounds=" + os.path.join(ROOT, "sounds")]
        args = [SANDBOX, "start", self.dir_sbx]
        for o in self.opts:
            args += ["-o", o]
        out = subprocess.run(args, env=dict(os.environ, PBXD=pbxd),
                             stdout=subprocess.PIPE, text=True, timeout=120)
        self.started = True
        if out.returncode != 0:
            self.stop(keep=True)
            raise RuntimeError("sandbox start failed (log in %s)"
                               % self.dir_sbx)
        self.env = {}
        for line in out.stdout.splitlines():
            k, _, v = line.partition("=")
            self.env[k] = v.strip("'")
        self.sip = (self.env["PBX_SIP_HOST"], int(self.env["PBX_SIP_PORT"]))

    def restart_pbxd(self, opts=()):
        args = [SANDBOX, "restart-pbxd", self.dir_sbx]
        for o in opts:
            args += ["-o", o]
        subprocess.run(args, stdout=subprocess.DEVNULL, check=True,
                       timeout=120)

    def psql(self, sql):
        return subprocess.run(
            ["psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", self.env["PBX_PG_PORT"],
             "-U", "pbxd", "-d", "pbxd", "-c", sql],
            check=True, stdout=subprocess.PIPE, text=True,
            timeout=120).stdout.strip()

    def pbxd_pid(self):
        try:
            with open(os.path.join(self.dir_sbx, "pbxd.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return 0

    def pg_pids(self):
        try:
            with open(os.path.join(self.dir_sbx, "pg", "postmaster.pid")) as f:
                main = int(f.readline().strip())
        except (OSError, ValueError):
            return []
        return [main] + children_of(main)

    def log_path(self):
        return os.path.join(self.dir_sbx, "pbxd.log")

    def log_size(self):
        try:
            return os.path.getsize(self.log_path())
        except OSError:
            return 0

    def log_since(self, offset, limit=20):
        """Distinct warning/error lines logged since <offset> (counted)."""
        counts = {}
        try:
            with open(self.log_path(), errors="replace") as f:
                f.seek(offset)
                for line in f:
                    line = line.rstrip("\n")
                    # strip the time stamp and call ids to group lines
                    key = " ".join(w for w in line.split()[2:]
                                   if not any(ch.isdigit() for ch in w))
                    key = key[:120]
                    if key not in counts:
                        counts[key] = [0, line[:300]]
                    counts[key][0] += 1
        except OSError:
            return []
        items = sorted(counts.values(), key=lambda v: -v[0])
        return ["%dx %s" % (n, l) for n, l in items[:limit]]

    def rest(self, method, path, body=None, timeout=30):
        url = self.env["PBX_REST_URL"] + path
        data = json.dumps(body).encode() if body is not None else None
        rq = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": "Bearer " + self.env["PBX_TOKEN"],
            "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(rq, timeout=timeout) as r:
                txt = r.read().decode()
                return r.status, (json.loads(txt) if txt else None)
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read().decode())
            except ValueError:
                return e.code, None

    def add_users(self, first, count, callee_ext=None):
        """Callers first..first+count-1 (password pw<ext>), and the callee."""
        self.psql(
            "INSERT INTO users (extension, display_name, realm, ha1_md5,"
            " ha1_sha256) SELECT e::text, 'Bench ' || e, '%s',"
            " md5(e || ':%s:pw' || e),"
            " encode(sha256(convert_to(e || ':%s:pw' || e, 'UTF8')), 'hex')"
            " FROM generate_series(%d, %d) AS e"
            % (REALM, REALM, REALM, first, first + count - 1))
        if callee_ext:
            self.psql(
                "INSERT INTO users (extension, display_name, realm, ha1_md5,"
                " ha1_sha256) VALUES ('%s', 'Bench callee', '%s',"
                " md5('%s:%s:%s'),"
                " encode(sha256(convert_to('%s:%s:%s', 'UTF8')), 'hex'))"
                % (callee_ext, REALM, callee_ext, REALM, CALLEE_PW,
                   callee_ext, REALM, CALLEE_PW))

    def stop(self, keep=False):
        if self.started:
            subprocess.run([SANDBOX, "stop", self.dir_sbx], timeout=120)
            self.started = False
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def dialplan_stats(sbx):
    """GET /api/v1/dialplan, or None while pbxd has no such route."""
    try:
        st, body = sbx.rest("GET", "/api/v1/dialplan", timeout=10)
    except OSError:
        return None
    return body if st == 200 and isinstance(body, dict) else None


def decide_us(d0, d1):
    """Average µs per route() decision between two /api/v1/dialplan reads:
    from a total if pbxd gives one, else from the running averages."""
    if not d0 or not d1:
        return None, 0
    n = (d1.get("routes") or 0) - (d0.get("routes") or 0)
    if n <= 0:
        return None, 0
    for key, scale in (("decide_ns", 1e-3), ("decide_ns_total", 1e-3),
                       ("decide_us_total", 1.0)):
        if key in d1 and key in d0:
            return round((d1[key] - d0[key]) * scale / n, 2), n
    a0, a1 = d0.get("decide_us_avg"), d1.get("decide_us_avg")
    if a1 is None:
        return None, n
    tot = a1 * d1["routes"] - (a0 or 0) * (d0.get("routes") or 0)
    return round(tot / n, 2), n


# ---- SIPp -------------------------------------------------------------------

class Sipp:
    """One sipp run, reaped with wait4 for its own CPU time."""

    def __init__(self, args, logpath, cpus=None):
        self.args = taskset_args(cpus) + args
        self.logf = open(logpath, "w")
        self.p = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=self.logf)
        self.pid = self.p.pid
        self.rc = None
        self.cpu = 0.0

    def poll(self):
        if self.rc is not None:
            return True
        pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.rc = os.waitstatus_to_exitcode(status)
        self.p.returncode = self.rc
        self.cpu = ru.ru_utime + ru.ru_stime
        self.logf.close()
        return True

    def wait(self, timeout):
        end = time.time() + timeout
        while not self.poll():
            if time.time() > end:
                return False
            time.sleep(0.1)
        return True

    def stop(self):
        if self.rc is None:
            self.p.terminate()             # only the sipp we started
            if not self.wait(5):
                self.p.kill()
                while not self.poll():
                    time.sleep(0.1)


def sipp_common(port, mport, stf):
    return ["-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
            "-mp", str(mport), "-t", "u1", "-nostdin",
            "-buff_size", "4194304",
            "-trace_stat", "-stf", stf, "-fd", "1",
            "-trace_err", "-error_file", stf.replace(".csv", "_err.log")]


def sipp_summary(stf, prefix=""):
    """The last line of a sipp statistics file as a few figures."""
    rows = parse_stat(stf)
    last = rows[-1]
    res = {
        prefix + "success": int(last["SuccessfulCall(C)"]),
        prefix + "failed": int(last["FailedCall(C)"]),
        prefix + "retrans": int(last["Retransmissions(C)"]),
        prefix + "timeouts": int(last.get("FailedMaxUDPRetrans(C)", 0) or 0) +
        int(last.get("FailedTimeoutOnRecv(C)", 0) or 0),
        prefix + "unexpected": int(last.get("FailedUnexpectedMessage(C)", 0)
                                   or 0),
        prefix + "watchdog": int(last.get("WatchdogMinor(C)", 0) or 0) +
        int(last.get("WatchdogMajor(C)", 0) or 0),
    }
    return res, rows, last


def sipp_errors(stf, limit=5):
    """The first distinct lines of a sipp error file."""
    path = stf.replace(".csv", "_err.log")
    seen, out = set(), []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                key = line.split(":", 3)[-1][:100]
                if key in seen:
                    continue
                seen.add(key)
                out.append(line[:240])
                if len(out) >= limit:
                    break
    except OSError:
        pass
    return out


def register(target, port, user, password, work, label, cpus=None):
    """Register <user>'s contact 127.0.0.1:<port> (the callee's own
    address) with one bounded sipp run; True on a 200."""
    csv = os.path.join(work, "reg_%s.csv" % label)
    with open(csv, "w") as f:
        f.write("SEQUENTIAL\n%s;%s\n" % (user, password))
    stf = os.path.join(work, "reg_%s.csv.stat" % label)
    s = Sipp(["sipp", "%s:%d" % target, "-sf", os.path.join(HERE, "reg.xml"),
              "-inf", csv, "-auth_uri", REALM, "-m", "1", "-r", "1",
              "-timeout", "10s", "-timeout_error"] +
             sipp_common(port, free_ports(1)[0], stf),
             stf + ".log", cpus)
    if not s.wait(20):
        s.stop()
    return s.rc == 0


# ---- Kamailio ---------------------------------------------------------------

class Kamailio:
    """kamailio -DD -E on bench/calls/kamailio.cfg, on a free loopback port."""

    def __init__(self, work, children=4, shm_mb=1024, cpus=None):
        if not shutil.which("kamailio"):
            raise RuntimeError("kamailio not installed (apt-get install"
                               " kamailio)")
        self.port = free_ports(1)[0]
        self.logpath = os.path.join(work, "kamailio.log")
        self.logf = open(self.logpath, "w")
        self.p = subprocess.Popen(
            taskset_args(cpus) +
            ["kamailio", "-f", os.path.join(HERE, "kamailio.cfg"),
             "-DD", "-E", "-m", str(shm_mb), "-M", "8",
             "-A", "KAM_LISTEN=udp:127.0.0.1:%d" % self.port,
             "-A", "NCHILDREN=%d" % children,
             "-A", 'SIPDOMAIN="%s"' % REALM],
            stdin=subprocess.DEVNULL, stdout=self.logf, stderr=self.logf)
        self.sip = ("127.0.0.1", self.port)
        end = time.time() + 15
        while time.time() < end:
            if self.p.poll() is not None:
                raise RuntimeError("kamailio exited at start-up; see %s"
                                   % self.logpath)
            if len(self.pids()) >= children + 1 and self._bound():
                return
            time.sleep(0.2)
        raise RuntimeError("kamailio did not come up; see %s" % self.logpath)

    def _bound(self):
        out = subprocess.run(["ss", "-Hlun", "sport = :%d" % self.port],
                             stdout=subprocess.PIPE, text=True).stdout
        return bool(out.strip())

    def pids(self):
        if self.p.poll() is not None:
            return []
        return [self.p.pid] + children_of(self.p.pid)

    def mem_kb(self):
        pids = self.pids()
        return sum(rss_kb(p) for p in pids), sum(pss_kb(p) for p in pids)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()    # main process: it stops its children
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.logf.close()
