#!/usr/bin/env python3
"""Scale-out check (issue 13): many API servers and render workers on one PostgreSQL queue.

Two measurable bars, against the real binary on loopback, with a throwaway PostgreSQL 15 cluster (initdb into a
temporary folder, trust auth, a free loopback port; stopped and deleted at the end, also on failure or Ctrl-C):

--chaos       2 API nodes (`serve --role api`) and 3 worker nodes (`serve --role worker --workers 1 --lease 3`) share
              the database and one --data-dir. TASKS cheap submissions (yellowflower.jpg, make_instrumental, 10 s,
              1 version) alternate between the API nodes, each with a webhook_url to a signature-checking receiver.
              While they run, a random worker node (preferably one that is rendering) gets `kill -9` at random
              times and is restarted after ~1 s; its render-worker children are looked for afterwards (they should
              exit on their own when their stdin closes) and killed if they survived. Then it checks: every task
              COMPLETED and none IN_PROGRESS (byId, and the tasks table through psql); every expected webhook
              (per COMPLETED task: one `conversion` per version and one `cover`; lyrics only for sung requests;
              per FAILED task: one `failure` per version) arrived, de-duplicated by X-Chromasong-Delivery; every
              signature valid (X-Chromasong-Signature and the Standard Webhooks one); exactly once (no conversion
              or cover got two different delivery ids for the same event, no task both completed and failed);
              every result file byId lists downloadable from BOTH API nodes (Range bytes=0-99 -> 206 and 100
              bytes, also with a URL one node signed fetched from the other) plus one full GET per task whose size
              matches the Content-Range total and the file in the shared folder; /metrics on every node. Why:
              a lease that runs out must put a killed worker's task back, once, and the fleet must still deliver
              each result exactly once from either front end.
--throughput  One API node and 1, then 2, then 3 worker processes (`--role worker --workers 1`: one render at a
              time each, "one core's worth"), N tasks (default 24; 30 s instrumental, 1 version) submitted at once,
              tasks/minute from the first submission to the last completion (byId `updatedAt`), in the order
              --order (default 1,2,3,3,2,1, median per count), with the machine's CPU use from /proc/stat sampled
              during each run: on a 2-core machine the third worker has no core of its own, and that is the point.

    python3 Benchmarks/scale_check.py --bin .build/release/chromasong [--chaos] [--throughput] [--tasks 200]
    python3 Benchmarks/scale_check.py --smoke --tasks 5     # the same checks against one SQLite node (any build)

Writes Benchmarks/results/scale_check.md and .json (a section is kept from the previous run when only the other
one runs); node logs, the PostgreSQL log and every webhook received go to Benchmarks/work/scale_check/<time>/.
Stdlib only; traffic goes to 127.0.0.1 only. Exits non-zero on any failed check.
"""
import argparse
import base64
import concurrent.futures
import contextlib
import datetime
import hashlib
import hmac
import http.server
import json
import os
import platform
import pwd
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_common import API, EXAMPLE, RESULTS, ROOT, free_port, get_json, post_multipart  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
WORK = ROOT / "Benchmarks" / "work" / "scale_check"
SECRET = "scale-check-secret"
FINAL = ("COMPLETED", "FAILED")
METRIC_NAMES = ("chromasong_queue_depth", "chromasong_tasks{", "chromasong_render_seconds",
                "chromasong_webhook_attempts_total")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------------------------------------------------------
# A throwaway PostgreSQL 15 cluster


class Postgres:
    """initdb (as the `postgres` user when run as root: initdb refuses root), a unix socket in the temporary folder
    and a free loopback TCP port, trust authentication, superuser `chromasong`."""

    USER = "chromasong"

    def __init__(self, log_dir: Path):
        self.root = Path(tempfile.mkdtemp(prefix="chromasong-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.port = free_port()
        self.log_dir = log_dir
        self.run_as: list[str] = []
        self.started = False
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *cmd: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(self.run_as + list(cmd), capture_output=True, text=True, check=check, timeout=timeout,
                              cwd=str(self.root))

    def start(self) -> None:
        self._run("mkdir", str(self.socket_dir))
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.USER, "-E", "UTF8",
                  "--no-sync")
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=300")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "postgres.log"), "-w",
                  "-t", "60", "-o", options, "start")
        self.started = True

    def createdb(self, name: str) -> str:
        """A fresh database; returns the URL the nodes get."""
        self._run(str(PG_BIN / "createdb"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", self.USER, name)
        return f"postgres://{self.USER}@127.0.0.1:{self.port}/{name}"

    def query(self, db: str, sql: str) -> tuple[list[list[str]], str]:
        """(rows as lists of text, error text or "")."""
        done = subprocess.run(["psql", "-X", "-h", str(self.socket_dir), "-p", str(self.port), "-U", self.USER,
                               "-d", db, "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            return [], done.stderr.strip()
        return [line.split("\t") for line in done.stdout.splitlines() if line], ""

    def stop(self) -> None:
        try:
            if self.started:
                ctl = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30"]
                if self._run(*ctl, "-m", "fast", "stop", check=False).returncode != 0:
                    self._run(*ctl, "-m", "immediate", "stop", check=False)
            with contextlib.suppress(OSError):
                self.log_dir.mkdir(parents=True, exist_ok=True)
                shutil.copy(self.root / "postgres.log", self.log_dir / "postgres.log")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------------------
# The webhook receiver


class WebhookReceiver:
    """A threaded http.server on loopback that checks every signature, keeps each delivery once (by
    X-Chromasong-Delivery; copies are counted) and answers 200."""

    def __init__(self, secret: str, log_path: Path):
        self.secret = secret.encode()
        self.lock = threading.Lock()
        self.deliveries: dict[str, dict] = {}
        self.bad: list[dict] = []
        self.posts = 0
        self.log_file = open(log_path, "w")
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.record(dict(self.headers.items()), body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def signature_problems(self, headers: dict, body: bytes) -> list[str]:
        """The problems of a delivery's two signatures (empty when both are valid)."""
        h = {k.lower(): v for k, v in headers.items()}
        problems = []
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(h.get("x-chromasong-signature", ""), expected):
            problems.append(f"X-Chromasong-Signature {h.get('x-chromasong-signature')!r}")
        wid, ts = h.get("webhook-id", ""), h.get("webhook-timestamp", "")
        standard = "v1," + base64.b64encode(hmac.new(self.secret, f"{wid}.{ts}.".encode() + body,
                                                     hashlib.sha256).digest()).decode()
        offered = h.get("webhook-signature", "").split()
        if not any(hmac.compare_digest(o, standard) for o in offered):
            problems.append(f"webhook-signature {h.get('webhook-signature')!r}")
        if wid != h.get("x-chromasong-delivery"):
            problems.append("webhook-id differs from X-Chromasong-Delivery")
        return problems

    def record(self, headers: dict, body: bytes) -> None:
        h = {k.lower(): v for k, v in headers.items()}
        now = time.time()
        problems = self.signature_problems(headers, body)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {}
            problems.append("body is not JSON")
        delivery = h.get("x-chromasong-delivery", "")
        if not delivery:
            problems.append("no X-Chromasong-Delivery")
        entry = {"at": now, "delivery": delivery, "event": h.get("x-chromasong-event"),
                 "attempt": h.get("x-chromasong-attempt"), "task_id": payload.get("task_id"),
                 "conversion_id": payload.get("conversion_id"), "problems": problems}
        with self.lock:
            self.posts += 1
            self.log_file.write(json.dumps(dict(entry, payload=payload)) + "\n")
            self.log_file.flush()
            if problems:
                self.bad.append(entry)
            known = self.deliveries.get(delivery)
            if known is None:
                self.deliveries[delivery] = dict(entry, copies=1, attempts=[entry["attempt"]])
            else:
                known["copies"] += 1
                known["attempts"].append(entry["attempt"])

    def snapshot(self) -> tuple[dict, list, int]:
        with self.lock:
            return dict(self.deliveries), list(self.bad), self.posts

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.log_file.close()


# ----------------------------------------------------------------------------------------------------------------
# chromasong serve nodes


def process_alive(pid: int) -> bool:
    """True while pid exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(pid: int) -> list[int]:
    """Every descendant of pid (children are listed under the thread that started them)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for listing in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                for child in listing.read_text().split():
                    if int(child) not in found:
                        found.append(int(child))
                        todo.append(int(child))
    return found


class Node:
    """One `chromasong serve` process with command-line flags; restartable under the same port and log."""

    def __init__(self, name: str, binary: Path, flags: list[str], log_dir: Path):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cmd = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--public-url",
                    self.base, *flags]
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.expected_exit = False

    def start(self) -> None:
        with open(self.log_path, "a") as out:
            out.write(f"\n===== {self.name} start {self.starts + 1} at {time.strftime('%H:%M:%S')}: "
                      f"{shlex.join(self.cmd)}\n")
        self.log = open(self.log_path, "a")
        # A session of its own: Ctrl-C reaches this script only, which then stops the nodes in order.
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=str(ROOT),
                                     start_new_session=True)
        self.starts += 1
        self.expected_exit = False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float = 90) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive():
                return False
            with contextlib.suppress(OSError):
                status, _ = get_json(f"{self.base}/health", timeout=2)
                if status == 200:
                    return True
            time.sleep(0.2)
        return False

    def render_children(self) -> list[int]:
        return descendants(self.proc.pid) if self.alive() else []

    def kill9(self) -> list[int]:
        """SIGKILL to the node only; returns the descendants it had just before."""
        kids = descendants(self.proc.pid)
        self.expected_exit = True
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()
        return kids

    def stop(self) -> None:
        if self.proc is None:
            return
        self.expected_exit = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(Exception):
            self.log.close()

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def start_all(nodes: list[Node]) -> list[str]:
    """Starts the nodes together (as a fleet would), waits for /health; a node that dies during start-up is
    reported and started once more."""
    problems = []
    for node in nodes:
        node.start()
    for node in nodes:
        if not node.wait_ready():
            problems.append(f"{node.name} not ready (exit {node.proc.poll()}); log tail:\n{node.log_tail()}")
            node.stop()
            node.start()
            if not node.wait_ready():
                raise RuntimeError(f"{node.name} does not start; log: {node.log_path}\n{node.log_tail()}")
    return problems


# ----------------------------------------------------------------------------------------------------------------
# The API client side


def request_fields(duration: int, versions: int, seed: int, webhook_url: str | None) -> dict:
    fields = {"prompt": "scale check", "make_instrumental": "true", "duration": str(duration),
              "versions": str(versions), "seed": str(seed)}
    if webhook_url:
        fields["webhook_url"] = webhook_url
    return fields


def submit(node: Node, fields: dict, image: Path, tries: int = 60) -> dict:
    """POST image_to_song; retries 429 and connection errors (a second apart). Returns the 200 body."""
    last = None
    for _ in range(tries):
        try:
            status, body = post_multipart(f"{node.base}{API}/image_to_song", fields, {"image_file": image},
                                          timeout=60)
        except OSError as error:
            status, body = -1, {"error": str(error)}
        if status == 200 and body.get("task_id"):
            return body
        last = (status, body)
        if status not in (-1, 429, 500, 502, 503):
            break
        time.sleep(1.0)
    raise RuntimeError(f"submission to {node.name} refused: {last}")


def by_id(node: Node, task_id: str) -> tuple[int, dict]:
    try:
        status, body = get_json(f"{node.base}{API}/byId?conversionType=IMAGE_TO_SONG&task_id={task_id}", timeout=15)
    except OSError as error:
        return -1, {"error": str(error)}
    return status, body.get("conversion") or body


def iso_seconds(text: str | None) -> float | None:
    with contextlib.suppress(Exception):
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    return None


def wait_final(api_nodes: list[Node], task_ids: list[str], timeout: float, interval: float,
               on_round=None) -> dict[str, dict]:
    """Polls byId (alternating the API nodes each round) until every task is COMPLETED or FAILED or the timeout;
    returns {task_id: last conversion seen}."""
    last: dict[str, dict] = {}
    pending = list(task_ids)
    deadline = time.time() + timeout
    round_no = 0
    while pending and time.time() < deadline:
        node = api_nodes[round_no % len(api_nodes)]
        for task_id in list(pending):
            status, conversion = by_id(node, task_id)
            if status == 200:
                last[task_id] = conversion
                if conversion.get("status") in FINAL:
                    pending.remove(task_id)
        if on_round:
            on_round(len(task_ids) - len(pending), len(task_ids))
        round_no += 1
        if pending:
            time.sleep(interval)
    for task_id in pending:
        last.setdefault(task_id, {"status": "TIMEOUT"})
    return last


def file_urls(conversion: dict) -> list[str]:
    names = [k for k in conversion if k.startswith(("conversion_path", "album_cover_path", "album_cover_thumbnail"))]
    return [conversion[k] for k in sorted(names) if isinstance(conversion.get(k), str) and conversion[k]]


def fetch(url: str, range_header: str | None = None, timeout: float = 60) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Range": range_header} if range_header else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()
    except OSError as error:
        return -1, {}, str(error).encode()


def check_task_files(task_id: str, api_nodes: list[Node], data_dir: Path | None, full_node: Node) -> dict:
    """Every URL byId lists, asked on each API node: Range bytes=0-99 must give 206 and 100 bytes; a URL signed
    by one node must work on the other; one full GET (the first conversion path) must match the Content-Range total
    and, when found, the file in the shared folder."""
    problems, ranges = [], 0
    totals: dict[str, int] = {}
    urls_by_node = {}
    for node in api_nodes:
        status, conversion = by_id(node, task_id)
        if status != 200:
            problems.append(f"byId on {node.name}: HTTP {status}")
            continue
        urls = file_urls(conversion)
        if not urls:
            problems.append(f"byId on {node.name} lists no file")
        urls_by_node[node.name] = urls
    for node in api_nodes:
        own = urls_by_node.get(node.name, [])
        others = [u for n, us in urls_by_node.items() if n != node.name for u in us[:1]]
        # the other node's signed URL, asked here (a load balancer may send the file request anywhere)
        crossed = [node.base + "/files/" + u.split("/files/", 1)[1] for u in others if "/files/" in u]
        for url in own + crossed:
            status, headers, body = fetch(url, "bytes=0-99")
            ranges += 1
            path = url.split("/files/", 1)[-1].split("?", 1)[0]
            if status != 206 or len(body) != 100:
                problems.append(f"{node.name} Range {path}: HTTP {status}, {len(body)} bytes "
                                f"{body[:120].decode('utf-8', 'replace') if status != 206 else ''}")
                continue
            content_range = {k.lower(): v for k, v in headers.items()}.get("content-range", "")
            with contextlib.suppress(ValueError):
                totals[path] = int(content_range.rsplit("/", 1)[1])
    full = {"checked": False}
    urls = urls_by_node.get(full_node.name) or next(iter(urls_by_node.values()), [])
    conversion_urls = [u for u in urls if "/files/" in u]
    if conversion_urls:
        url = conversion_urls[0]
        path = url.split("/files/", 1)[1].split("?", 1)[0]
        status, _, body = fetch(url, timeout=120)
        disk_size = None
        if data_dir is not None:
            candidate = data_dir / "results" / path
            if candidate.is_file():
                disk_size = candidate.stat().st_size
        full = {"checked": True, "path": path, "status": status, "bytes": len(body),
                "content_range_total": totals.get(path), "disk_bytes": disk_size}
        if status != 200 or len(body) != totals.get(path, len(body)) or (disk_size is not None and
                                                                        disk_size != len(body)):
            problems.append(f"full GET {path} on {full_node.name}: HTTP {status}, {len(body)} bytes, "
                            f"Content-Range total {totals.get(path)}, on disk {disk_size}")
    return {"task_id": task_id, "range_requests": ranges, "problems": problems, "full": full}


def scrape_metrics(node: Node) -> tuple[int, str]:
    status, _, body = fetch(f"{node.base}/metrics", timeout=10)
    return status, body.decode("utf-8", "replace")


def metric_values(text: str, name: str) -> dict[str, float]:
    """{label part: value} of the samples of one metric family line-prefix."""
    values = {}
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                values[key[len(name):] or "_"] = float(value)
    return values


# ----------------------------------------------------------------------------------------------------------------
# CPU use from /proc/stat


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies over all cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    total = sum(fields[:8])
    return total - idle, total


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process plus those of its children it has reaped (the render workers), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class CpuSampler:
    """Samples the machine's CPU use every `interval` seconds; `result()` gives the mean and the peak sample as a
    percentage of all cores."""

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.samples: list[float] = []
        self.stop_event = threading.Event()
        self.first = cpu_times()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        previous = self.first
        while not self.stop_event.wait(self.interval):
            now = cpu_times()
            if now[1] > previous[1]:
                self.samples.append(100.0 * (now[0] - previous[0]) / (now[1] - previous[1]))
            previous = now

    def result(self) -> dict:
        self.stop_event.set()
        self.thread.join()
        last = cpu_times()
        mean = 100.0 * (last[0] - self.first[0]) / max(1, last[1] - self.first[1])
        return {"mean_pct": round(mean, 1), "peak_sample_pct": round(max(self.samples, default=mean), 1),
                "mean_cores_busy": round(mean / 100 * os.cpu_count(), 2)}


def wait_idle(max_wait: float, threshold_pct: float) -> dict:
    """Waits (up to max_wait s) for a 3 s window in which the machine's CPU use is under threshold_pct (another
    build or test run would otherwise share the cores with the workers being measured); returns the last window."""
    started = time.time()
    while True:
        sampler = CpuSampler()
        time.sleep(3.0)
        window = sampler.result()
        if window["mean_pct"] < threshold_pct or time.time() - started > max_wait:
            if window["mean_pct"] >= threshold_pct:
                log(f"machine still busy ({window['mean_pct']} % CPU) after {max_wait:.0f} s; measuring anyway")
            return dict(window, waited_s=round(time.time() - started - 3.0, 1))


# ----------------------------------------------------------------------------------------------------------------
# Chaos


class Chaos:
    """kill -9 of a random worker node at random times, restart after ~1 s, orphans looked for."""

    def __init__(self, workers: list[Node], gap: tuple[float, float], seed: int):
        self.workers = workers
        self.gap = gap
        self.rng = random.Random(seed)
        self.kills: list[dict] = []
        self.unexpected_exits: list[dict] = []
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        t0 = time.time()
        while not self.stop_event.wait(self.rng.uniform(*self.gap)):
            with self.lock:
                self.watch()
                busy = [w for w in self.workers if w.alive() and w.render_children()]
                victim = self.rng.choice(busy or [w for w in self.workers if w.alive()] or self.workers)
                if not victim.alive():
                    continue
                kids = victim.kill9()
                killed_at = time.time()
                # The render child should see end of file on its stdin and exit; give it ~1 s.
                gone_after = None
                while time.time() - killed_at < 1.0:
                    if not any(process_alive(k) for k in kids):
                        gone_after = time.time() - killed_at
                        break
                    time.sleep(0.02)
                survivors = [k for k in kids if process_alive(k)]
                for k in survivors:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(k, signal.SIGKILL)
                time.sleep(max(0.0, 1.0 - (time.time() - killed_at)))
                victim.start()
                entry = {"t": round(killed_at - t0, 1), "node": victim.name, "was_rendering": bool(kids),
                         "children": len(kids), "children_gone_within_s": None if gone_after is None
                         else round(gone_after, 2), "orphans_survived": len(survivors)}
                self.kills.append(entry)
                log(f"kill -9 {victim.name} (children {len(kids)}, orphans surviving 1 s: {len(survivors)}); "
                    f"restarted")

    def watch(self):
        """Restarts a worker that exited without being killed here (and records it: a crash of the node)."""
        for w in self.workers:
            if w.proc is not None and not w.alive() and not w.expected_exit:
                self.unexpected_exits.append({"node": w.name, "exit": w.proc.returncode, "at": time.time(),
                                              "log_tail": w.log_tail()})
                log(f"{w.name} exited by itself with {w.proc.returncode}; restarting")
                with contextlib.suppress(Exception):
                    w.log.close()
                w.start()

    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join()
        with self.lock:
            self.watch()


def expected_webhooks(conversion: dict, versions: int, sings: bool) -> set[tuple]:
    """(event, task_id, conversion_id or None) of every webhook one finished task sends (docs/server.md)."""
    task_id = conversion["task_id"]
    cids = [conversion.get(f"conversion_id_{i}") for i in range(1, versions + 1)]
    if conversion.get("status") == "COMPLETED":
        keys = {("conversion", task_id, c) for c in cids} | {("cover", task_id, None)}
        if sings:
            keys |= {("lyrics", task_id, c) for c in cids}
        return keys
    if conversion.get("status") == "FAILED":
        return {("failure", task_id, c) for c in cids}
    return set()


def delivery_key(d: dict) -> tuple:
    return (d["event"], d["task_id"], None if d["event"] == "cover" else d["conversion_id"])


def run_chaos(args, binary: Path, pg: Postgres | None, run_dir: Path, smoke: bool = False) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="chromasong-shared-"))
    receiver = WebhookReceiver(SECRET, run_dir / "webhooks.jsonl")
    nodes: list[Node] = []
    checks: dict[str, dict] = {}
    chaos = None
    try:
        common = ["--data-dir", str(data_dir), "--webhook-secret", SECRET, "--allow-private-networks",
                  "--queue-limit", str(max(1000, args.tasks * 2)), "--shutdown-grace", "5"]
        if args.render_attempts:
            common += ["--render-attempts", str(args.render_attempts)]
        if args.file_signing_secret:
            common += ["--file-signing-secret", args.file_signing_secret]
        if smoke:
            database = None
            api_nodes = [Node("node", binary, common + ["--workers", "1"], run_dir)]
            workers: list[Node] = []
        else:
            database = pg.createdb("chaos")
            common += ["--database", database]
            api_nodes = [Node(f"api{i}", binary, common + ["--role", "api"], run_dir) for i in (1, 2)]
            workers = [Node(f"worker{i}", binary, common + ["--role", "worker", "--workers", "1", "--lease",
                                                              str(args.lease)], run_dir) for i in (1, 2, 3)]
        nodes = api_nodes + workers
        log(f"starting {len(nodes)} node(s); logs in {run_dir}")
        startup_problems = start_all(nodes)
        chaos = Chaos(workers, (args.kill_min, args.kill_max), args.seed)

        t0 = time.time()
        if workers:
            chaos.start()
        tasks: list[dict] = []
        for i in range(args.tasks):
            node = api_nodes[i % len(api_nodes)]
            body = submit(node, request_fields(args.duration, 1, 1000 + i, receiver.url), EXAMPLE)
            tasks.append({"task_id": body["task_id"], "via": node.name})
        log(f"submitted {len(tasks)} tasks in {time.time() - t0:.1f} s")

        progress = {"last": 0.0}

        def on_round(done, total):
            if time.time() - progress["last"] > 15:
                progress["last"] = time.time()
                log(f"{done}/{total} finished, kills so far {len(chaos.kills)}")

        final = wait_final(api_nodes, [t["task_id"] for t in tasks], args.timeout, 2.0, on_round)
        tasks_done = time.time()
        chaos.stop()
        log(f"all tasks final after {tasks_done - t0:.1f} s" if all(
            c.get("status") in FINAL for c in final.values()) else "timeout: some tasks are not finished")

        # Webhooks: wait (up to --webhook-wait) until every expected one is in.
        expected: set[tuple] = set()
        for conversion in final.values():
            if conversion.get("status") in FINAL:
                expected |= expected_webhooks(conversion, 1, sings=False)
        deadline = time.time() + args.webhook_wait
        while True:
            deliveries, bad, posts = receiver.snapshot()
            got = {delivery_key(d) for d in deliveries.values()}
            if expected <= got or time.time() > deadline:
                break
            time.sleep(1.0)
        hooks_done = time.time()

        # Task states
        statuses: dict[str, int] = {}
        for c in final.values():
            statuses[c.get("status")] = statuses.get(c.get("status"), 0) + 1
        failed = {t: c.get("status_msg") for t, c in final.items() if c.get("status") != "COMPLETED"}
        checks["all tasks COMPLETED"] = {"ok": statuses.get("COMPLETED", 0) == len(tasks), "statuses": statuses,
                                         "not_completed": failed}

        db: dict = {}
        if pg is not None:
            rows, error = pg.query("chaos", "SELECT status, count(*) FROM tasks GROUP BY 1 ORDER BY 1")
            db["status_counts"] = {r[0]: int(r[1]) for r in rows} if not error else error
            rows, error = pg.query("chaos", "SELECT attempts, count(*) FROM tasks GROUP BY 1 ORDER BY 1")
            db["attempts_histogram"] = {r[0]: int(r[1]) for r in rows} if not error else error
            rows, error = pg.query("chaos", "SELECT status, count(*) FROM webhook_outbox GROUP BY 1 ORDER BY 1")
            db["outbox_status_counts"] = {r[0]: int(r[1]) for r in rows} if not error else error
            rows, error = pg.query("chaos", "SELECT row_to_json(t) FROM tasks t WHERE status <> 'COMPLETED' LIMIT 20")
            db["not_completed_rows"] = [r[0] for r in rows] if not error else error
        in_progress_db = db.get("status_counts", {}).get("IN_PROGRESS", 0) if isinstance(
            db.get("status_counts"), dict) else None
        checks["nothing IN_PROGRESS"] = {"ok": statuses.get("IN_PROGRESS", 0) == 0 and not in_progress_db,
                                         "byId": statuses.get("IN_PROGRESS", 0), "tasks table": in_progress_db
                                         if pg is not None else "not checked (no PostgreSQL)"}

        # Webhooks
        deliveries, bad, posts = receiver.snapshot()
        by_key: dict[tuple, set] = {}
        for d in deliveries.values():
            by_key.setdefault(delivery_key(d), set()).add(d["delivery"])
        got = set(by_key)
        missing = sorted(expected - got, key=str)
        unexpected = sorted(got - expected, key=str)
        doubled = {str(k): sorted(v) for k, v in by_key.items() if len(v) > 1}
        ended_both = sorted({k[1] for k in got if k[0] == "failure"} & {k[1] for k in got if k[0] != "failure"})
        copies = sum(d["copies"] - 1 for d in deliveries.values())
        attempt_values: dict[str, int] = {}
        for d in deliveries.values():
            for a in d["attempts"]:
                attempt_values[str(a)] = attempt_values.get(str(a), 0) + 1
        checks["every expected webhook arrived"] = {
            "ok": not missing, "expected": len(expected), "distinct_received": len(got), "missing": len(missing),
            "missing_examples": [list(m) for m in missing[:10]],
            "seconds_after_last_task": round(hooks_done - tasks_done, 1)}
        checks["all signatures valid"] = {"ok": not bad and posts > 0, "posts": posts, "bad": len(bad),
                                          "bad_examples": bad[:5]}
        checks["exactly once"] = {"ok": not doubled and not ended_both and not unexpected,
                                  "keys_with_two_delivery_ids": len(doubled),
                                  "examples": dict(list(doubled.items())[:5]),
                                  "tasks_with_failure_and_completion": ended_both[:10],
                                  "unexpected": [list(u) for u in unexpected[:10]],
                                  "resent_copies_same_delivery_id": copies,
                                  "x_chromasong_attempt_values": attempt_values}

        # Result files from both API nodes
        completed = [t for t, c in final.items() if c.get("status") == "COMPLETED"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            file_results = list(pool.map(
                lambda it: check_task_files(it[1], api_nodes, data_dir, api_nodes[it[0] % len(api_nodes)]),
                enumerate(completed)))
        file_problems = [p for r in file_results for p in [f"{r['task_id']}: {x}" for x in r["problems"]]]
        checks["result files from every API node"] = {
            "ok": bool(completed) and not file_problems, "tasks": len(completed), "api_nodes": len(api_nodes),
            "range_requests": sum(r["range_requests"] for r in file_results),
            "full_gets": sum(1 for r in file_results if r["full"]["checked"]),
            "full_gets_compared_on_disk": sum(1 for r in file_results if r["full"].get("disk_bytes") is not None),
            "problems": len(file_problems), "problem_examples": file_problems[:10]}

        # /metrics on every role
        metrics = {}
        for node in nodes:
            status, text = scrape_metrics(node)
            metrics[node.name] = {"status": status,
                                  "missing": [m for m in METRIC_NAMES if m not in text] if status == 200 else
                                  list(METRIC_NAMES),
                                  "tasks": metric_values(text, "chromasong_tasks"),
                                  "queue_depth": metric_values(text, "chromasong_queue_depth"),
                                  "webhook_attempts": metric_values(text, "chromasong_webhook_attempts_total"),
                                  "render_seconds_count": metric_values(text, "chromasong_render_seconds_count")}
        if not smoke:
            checks["/metrics on every node"] = {"ok": all(m["status"] == 200 and not m["missing"]
                                                          for m in metrics.values()), "nodes": metrics}
        if workers:
            orphans = sum(k["orphans_survived"] for k in chaos.kills)
            checks[f"at least {args.min_kills} kills"] = {"ok": len(chaos.kills) >= args.min_kills,
                                                          "kills": len(chaos.kills)}
            checks["no node exited by itself"] = {
                "ok": not chaos.unexpected_exits and all(n.alive() for n in api_nodes) and not startup_problems,
                "unexpected_worker_exits": chaos.unexpected_exits,
                "api_nodes_down": [n.name for n in api_nodes if not n.alive()],
                "startup_problems": startup_problems}
            kills = {"count": len(chaos.kills), "while_rendering": sum(1 for k in chaos.kills if k["was_rendering"]),
                     "orphans_survived_1s": orphans, "list": chaos.kills}
        else:
            kills = {"count": 0}
        return {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "tasks": len(tasks),
            "request": {"image": EXAMPLE.name, **request_fields(args.duration, 1, 0, "<receiver>")},
            "nodes": {n.name: shlex.join(n.cmd) for n in nodes}, "node_starts": {n.name: n.starts for n in nodes},
            "database": database, "lease_s": args.lease, "kill_gap_s": [args.kill_min, args.kill_max],
            "wall_s": {"submit_to_all_final": round(tasks_done - t0, 1), "to_all_webhooks": round(hooks_done - t0, 1)},
            "kills": kills, "db": db, "checks": checks, "logs": str(run_dir),
            "ok": all(c["ok"] for c in checks.values()),
        }
    finally:
        if chaos is not None:
            chaos.stop()  # before the nodes stop, so no worker is restarted behind the clean-up
        for node in nodes:
            node.stop()
        receiver.close()
        shutil.rmtree(data_dir, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------------------
# Throughput


def postgres_cpu_seconds(pg: Postgres) -> float:
    """CPU seconds of the PostgreSQL server: the postmaster (with the backends it has reaped) and its live children."""
    try:
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return process_cpu_seconds(postmaster) + sum(process_cpu_seconds(p) for p in descendants(postmaster))


def self_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def measure_once(args, binary: Path, pg: Postgres, api: Node, common: list[str], count: int, seed_base: int,
                 run_dir: Path) -> dict:
    """One throughput run: `count` fresh worker nodes, args.tp_tasks tasks submitted at once to `api`."""
    workers = [Node(f"tp-worker{i + 1}", binary, common + ["--role", "worker", "--workers", "1"], run_dir)
               for i in range(count)]
    try:
        start_all(workers)
        baseline = wait_idle(args.idle_wait, args.idle_pct)
        fleet = [api] + workers

        def ours() -> tuple[float, float, float]:
            return (sum(process_cpu_seconds(n.proc.pid) for n in fleet), postgres_cpu_seconds(pg),
                    self_cpu_seconds())

        ours0 = ours()
        sampler = CpuSampler()
        t0 = time.time()
        task_ids = [submit(api, request_fields(args.tp_duration, 1, seed_base + i, None), EXAMPLE)["task_id"]
                    for i in range(args.tp_tasks)]
        submitted = time.time()
        final = wait_final([api], task_ids, args.timeout, 0.5)
        observed_end = time.time()
        cpu = sampler.result()
        fleet_s, pg_s, self_s = (b - a for a, b in zip(ours0, ours()))
        render_counts = {}
        for w in workers:
            _, text = scrape_metrics(w)
            values = metric_values(text, "chromasong_render_seconds")
            render_counts[w.name] = {k: v for k, v in values.items() if k.startswith(("_sum", "_count"))}
    finally:
        for w in workers:
            w.stop()
    ends = [iso_seconds(c.get("updatedAt")) for c in final.values()]
    ok = all(c.get("status") == "COMPLETED" for c in final.values())
    end = max((e for e in ends if e), default=observed_end) if ok else observed_end
    seconds = end - t0
    window = max(1e-6, observed_end - t0)
    machine_cores = cpu["mean_pct"] / 100 * os.cpu_count()
    cpu.update({"baseline_before_pct": baseline["mean_pct"], "waited_for_idle_s": baseline["waited_s"],
                "fleet_cores_busy": round(fleet_s / window, 2), "postgres_cores_busy": round(pg_s / window, 2),
                "this_script_cores_busy": round(self_s / window, 2),
                # whatever else ran on the machine meanwhile (another build, a test run): the run's noise
                "other_processes_cores_busy": round(max(0.0, machine_cores - (fleet_s + pg_s + self_s) / window), 2)})
    render_sum = sum(v.get("_sum", 0) for v in render_counts.values())
    render_n = sum(v.get("_count", 0) for v in render_counts.values())
    return {"workers": count, "tasks": len(task_ids), "all_completed": ok,
            "statuses": {s: sum(1 for c in final.values() if c.get("status") == s)
                         for s in {c.get("status") for c in final.values()}},
            "submit_s": round(submitted - t0, 2), "first_submit_to_last_completion_s": round(seconds, 2),
            "tasks_per_min": round(len(task_ids) / seconds * 60, 2), "cpu": cpu,
            "mean_render_s": round(render_sum / render_n, 2) if render_n else None}


def run_throughput(args, binary: Path, pg: Postgres, run_dir: Path) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="chromasong-shared-"))
    database = pg.createdb("throughput")
    common = ["--data-dir", str(data_dir), "--database", database, "--queue-limit", "1000", "--shutdown-grace", "5"]
    api = Node("tp-api", binary, common + ["--role", "api"], run_dir)
    runs, discarded = [], []
    try:
        start_all([api])
        order = [int(x) for x in args.order.split(",") if x]
        for run_no, count in enumerate(order):
            # A run that shared the cores with something else (> --noise-cores of other processes) is measured
            # again, up to --noise-retries times; the quietest one is kept.
            tries = []
            for attempt in range(1 + args.noise_retries):
                run = measure_once(args, binary, pg, api, common, count, 5000 + run_no * 1000 + attempt * 100,
                                   run_dir)
                tries.append(run)
                noise = run["cpu"]["other_processes_cores_busy"]
                log(f"throughput with {count} worker(s): {run['tasks_per_min']} tasks/min over "
                    f"{run['first_submit_to_last_completion_s']} s; machine CPU {run['cpu']['mean_pct']} % of "
                    f"{os.cpu_count()} cores (nodes {run['cpu']['fleet_cores_busy']}, PostgreSQL "
                    f"{run['cpu']['postgres_cores_busy']}, other processes {noise} cores); mean render "
                    f"{run['mean_render_s']} s")
                if noise <= args.noise_cores:
                    break
            best = min(tries, key=lambda r: r["cpu"]["other_processes_cores_busy"])
            best["noisy"] = best["cpu"]["other_processes_cores_busy"] > args.noise_cores
            runs.append(best)
            discarded += [r for r in tries if r is not best]
    finally:
        api.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    def median_of(count: int, pick) -> float | None:
        values = [pick(r) for r in runs if r["workers"] == count and pick(r) is not None]
        return round(statistics.median(values), 2) if values else None

    per_count = {}
    for count in sorted({r["workers"] for r in runs}):
        per_count[str(count)] = {
            "median_tasks_per_min": median_of(count, lambda r: r["tasks_per_min"]),
            "runs": [r["tasks_per_min"] for r in runs if r["workers"] == count],
            "mean_cpu_pct": median_of(count, lambda r: r["cpu"]["mean_pct"]),
            "fleet_cores_busy": median_of(count, lambda r: r["cpu"]["fleet_cores_busy"]),
            "postgres_cores_busy": median_of(count, lambda r: r["cpu"]["postgres_cores_busy"]),
            "other_cores_busy_max": max(r["cpu"]["other_processes_cores_busy"] for r in runs if r["workers"] == count),
            "mean_render_s": median_of(count, lambda r: r["mean_render_s"])}
    base = per_count.get("1", {}).get("median_tasks_per_min")
    ratios = {f"{c}/1": round(v["median_tasks_per_min"] / base, 2) for c, v in per_count.items() if base and c != "1"}
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"), "nproc": os.cpu_count(),
        "request": {"image": EXAMPLE.name, **request_fields(args.tp_duration, 1, 0, None)},
        "tasks_per_run": args.tp_tasks, "order": args.order,
        "nodes": {"api": shlex.join(api.cmd),
                  "worker (each)": shlex.join([str(binary), "serve", "--host", "127.0.0.1", "--port", "<free>",
                                               "--public-url", "<its own>", *common, "--role", "worker",
                                               "--workers", "1"])},
        "runs": runs, "discarded_noisy_runs": discarded, "per_worker_count": per_count, "ratios": ratios,
        "noisy_runs_kept": sum(1 for r in runs if r.get("noisy")),
        "ok": all(r["all_completed"] for r in runs),
    }


# ----------------------------------------------------------------------------------------------------------------
# Report


def throughput_reading(tp: dict) -> str:
    """One paragraph saying what limits the scaling, from the figures: per worker, the wall time per task
    (count x 60 / tasks-per-minute) against the mean render time the workers report."""
    per = tp["per_worker_count"]
    if "1" not in per:
        return ""
    parts = []
    for count in sorted(per, key=int):
        v = per[count]
        per_task = int(count) * 60 / v["median_tasks_per_min"]
        gap = f", {per_task - v['mean_render_s']:+.2f} s around each render" if v["mean_render_s"] else ""
        parts.append(f"{count} worker(s): x{tp['ratios'].get(f'{count}/1', 1.0)}, each worker takes "
                     f"{per_task:.2f} s per task (mean render {v['mean_render_s']} s{gap}), nodes and renders use "
                     f"{v['fleet_cores_busy']} cores, machine {v['mean_cpu_pct']} %")
    one = per["1"]
    return ("; ".join(parts) + ". " +
            f"One render keeps about {one['fleet_cores_busy']} cores busy, so on {tp['nproc']} cores a second "
            f"worker already finds the cores nearly full: renders get slower as workers are added (the mean render "
            f"time above) while the time around each render (claim, child start, commit) stays small and PostgreSQL "
            f"uses at most {max(v['postgres_cores_busy'] or 0 for v in per.values())} cores."
            + (f" The limit is the CPU, not the queue: workers beyond the {tp['nproc']} cores only time-share them."
               if max(int(c) for c in per) > tp["nproc"] else ""))


def markdown(result: dict) -> str:
    md = ["# Scale-out check (issue 13)", "",
          f"`Benchmarks/scale_check.py` on {result.get('machine', '')}, `nproc` = {result.get('nproc')}.", ""]
    chaos = result.get("chaos")
    if chaos:
        md += ["## Chaos: 2 API nodes, 3 worker nodes, kill -9 of workers", "",
               f"Run {chaos['date']}: {chaos['tasks']} tasks (`{chaos['request']}`), lease {chaos['lease_s']} s, "
               f"a kill every {chaos['kill_gap_s'][0]}-{chaos['kill_gap_s'][1]} s. "
               f"Wall time: {chaos['wall_s']['submit_to_all_final']} s from the first submission to the last "
               f"task finished, {chaos['wall_s']['to_all_webhooks']} s to the last expected webhook.", "",
               f"Kills: {chaos['kills'].get('count')} ({chaos['kills'].get('while_rendering', 0)} while rendering); "
               f"render-worker children still alive 1 s after their node's kill -9: "
               f"{chaos['kills'].get('orphans_survived_1s', 0)} (the others were gone within "
               f"{max([k['children_gone_within_s'] or 0 for k in chaos['kills'].get('list', [])], default=0)} s). "
               f"Attempts per task (tasks table): "
               f"{chaos['db'].get('attempts_histogram', 'n/a')}; webhook outbox: "
               f"{chaos['db'].get('outbox_status_counts', 'n/a')}.", "",
               "| check | result | detail |", "|---|---|---|"]
        for name, check in chaos["checks"].items():
            detail = {k: v for k, v in check.items() if k not in ("ok", "nodes", "examples", "problem_examples",
                                                                  "bad_examples", "missing_examples",
                                                                  "unexpected_worker_exits", "startup_problems")}
            md.append(f"| {name} | **{'PASS' if check['ok'] else 'FAIL'}** | "
                      f"{json.dumps(detail, sort_keys=True).replace('|', '/')[:400]} |")
        for name, check in chaos["checks"].items():
            examples = {k: v for k, v in check.items() if k.endswith("examples") or k in (
                "unexpected_worker_exits", "startup_problems", "not_completed")}
            if not check["ok"] and any(examples.values()):
                md += ["", f"{name}, what failed:", "", "```",
                       json.dumps(examples, indent=1, default=str)[:3000], "```"]
        api_metrics = chaos["checks"].get("/metrics on every node", {}).get("nodes", {}).get("api1")
        if api_metrics:
            md += ["", f"api1 `/metrics` at the end: chromasong_tasks {api_metrics['tasks']}, "
                       f"chromasong_webhook_attempts_total {api_metrics['webhook_attempts']}."]
        md += ["", "Nodes (every one shares the database and the data folder):", "", "```"]
        md += [f"{name}: {cmd}" for name, cmd in chaos["nodes"].items()]
        md += ["```", "", f"Command: `{chaos.get('command')}`; binary {chaos.get('binary')}.", ""]
    tp = result.get("throughput")
    if tp:
        md += ["## Throughput: one API node, 1 / 2 / 3 worker processes", "",
               f"Run {tp['date']}: {tp['tasks_per_run']} tasks per run submitted at once (`{tp['request']}`), order "
               f"{tp['order']}, tasks/min from the first submission to the last completion (byId `updatedAt`); "
               f"CPU is the whole machine's (/proc/stat) during the run, {tp['nproc']} cores.", "",
               "| workers | tasks/min (median) | runs | machine CPU busy | cores: nodes + their renders | cores: "
               "PostgreSQL | cores: other processes (noise, worst run) | mean render s (/metrics) |",
               "|---|---|---|---|---|---|---|---|"]
        for count, v in tp["per_worker_count"].items():
            md.append(f"| {count} | {v['median_tasks_per_min']} | {v['runs']} | {v['mean_cpu_pct']} % "
                      f"| {v['fleet_cores_busy']} | {v['postgres_cores_busy']} | {v['other_cores_busy_max']} "
                      f"| {v['mean_render_s']} |")
        md += ["", f"Ratios: {', '.join(f'{k} = {v}' for k, v in tp['ratios'].items())}. Runs kept although "
               f"other processes used more than the noise bound: {tp.get('noisy_runs_kept', 0)}; noisy runs "
               f"measured again and dropped: {len(tp.get('discarded_noisy_runs', []))}.", "",
               throughput_reading(tp), "",
               "Nodes:", "", "```"] + [f"{k}: {v}" for k, v in tp["nodes"].items()] + ["```", "",
               f"Command: `{tp.get('command')}`; binary {tp.get('binary')}.", ""]
    return "\n".join(md)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--bin", type=Path, default=ROOT / ".build" / "release" / "chromasong")
    parser.add_argument("--chaos", action="store_true", help="the chaos check (default: both)")
    parser.add_argument("--throughput", action="store_true", help="the throughput measure (default: both)")
    parser.add_argument("--smoke", action="store_true",
                        help="the chaos checks against one SQLite node, no kills (tests this script on any build)")
    parser.add_argument("--tasks", type=int, default=200, help="chaos: tasks (default 200)")
    parser.add_argument("--duration", type=int, default=10, help="chaos: song seconds (10, the contract's minimum)")
    parser.add_argument("--lease", type=int, default=3, help="chaos: workers' --lease seconds")
    parser.add_argument("--render-attempts", type=int, default=None, help="pass --render-attempts to every node")
    parser.add_argument("--file-signing-secret", default=None,
                        help="pass --file-signing-secret to every chaos node (default: none, the nodes share "
                             "DATA_DIR/file-signing.key, as docs/server.md says they may)")
    parser.add_argument("--kill-min", type=float, default=4.0, help="chaos: shortest gap between kills (s)")
    parser.add_argument("--kill-max", type=float, default=12.0, help="chaos: longest gap between kills (s)")
    parser.add_argument("--min-kills", type=int, default=5, help="chaos: fewer kills than this is a FAIL")
    parser.add_argument("--seed", type=int, default=13, help="chaos: random seed of the kills")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for all tasks to finish")
    parser.add_argument("--webhook-wait", type=float, default=180, help="seconds for the webhooks after the tasks")
    parser.add_argument("--tp-tasks", type=int, default=24, help="throughput: tasks per run")
    parser.add_argument("--tp-duration", type=int, default=30, help="throughput: song seconds")
    parser.add_argument("--order", default="1,2,3,3,2,1", help="throughput: worker counts in run order")
    parser.add_argument("--idle-pct", type=float, default=15.0,
                        help="throughput: before each run wait for the machine's CPU use to fall under this")
    parser.add_argument("--idle-wait", type=float, default=900.0, help="throughput: ... for at most this long (s)")
    parser.add_argument("--noise-cores", type=float, default=0.15,
                        help="throughput: a run in which other processes used more cores than this is measured again")
    parser.add_argument("--noise-retries", type=int, default=2, help="throughput: ... at most this many times")
    parser.add_argument("--no-write", action="store_true", help="print only, leave results/ alone")
    args = parser.parse_args()
    if not (args.chaos or args.throughput or args.smoke):
        args.chaos = args.throughput = True
    binary = args.bin.absolute()
    if not binary.exists():
        sys.exit(f"no binary at {binary}")
    if not args.smoke:
        help_text = subprocess.run([str(binary), "serve", "--help"], capture_output=True, text=True).stdout
        if "--role" not in help_text:
            sys.exit(f"{binary} has no `serve --role` yet (issue 13 not built); --smoke tests this script meanwhile")

    # SIGTERM ends the run like Ctrl-C: the finally clauses stop the nodes and PostgreSQL.
    def interrupted(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)  # also when started in the background, where SIGINT is ignored
    run_dir = WORK / time.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    command = "python3 Benchmarks/scale_check.py " + shlex.join(sys.argv[1:])
    result_path = RESULTS / "scale_check.json"
    previous = {}
    if result_path.exists() and not args.smoke:
        with contextlib.suppress(ValueError):
            previous = json.loads(result_path.read_text())
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()[:16]
    built = datetime.datetime.fromtimestamp(binary.stat().st_mtime).isoformat(timespec="seconds")
    provenance = {"command": command, "binary": f"{binary} (sha256 {digest}…, built {built})"}
    result = {"machine": f"{platform.node()} {platform.machine()}", "nproc": os.cpu_count()}
    for section in ("chaos", "throughput"):
        if section in previous:
            result[section] = previous[section]
    # The nodes run a copy, so a rebuild during the run cannot swap the binary under a restarting worker (the
    # render-worker children are started from the same copy).
    copy = run_dir / "chromasong"
    shutil.copy2(binary, copy)
    binary = copy
    ok = True
    pg = None
    try:
        if args.smoke:
            chaos = run_chaos(args, binary, None, run_dir, smoke=True)
            print(json.dumps(chaos["checks"], indent=1, default=str)[:6000])
            for name, check in chaos["checks"].items():
                print(f"{'PASS' if check['ok'] else 'FAIL'}  {name}")
            return 0 if chaos["ok"] else 1
        pg = Postgres(run_dir)
        pg.start()
        log(f"PostgreSQL 15 on 127.0.0.1:{pg.port} ({pg.root})")
        if args.chaos:
            result["chaos"] = dict(run_chaos(args, binary, pg, run_dir), **provenance)
            ok &= result["chaos"]["ok"]
        if args.throughput:
            result["throughput"] = dict(run_throughput(args, binary, pg, run_dir), **provenance)
            ok &= result["throughput"]["ok"]
    finally:
        if pg is not None:
            pg.stop()
        copy.unlink(missing_ok=True)
    for section in ("chaos", "throughput"):  # the command lines name the binary asked for, not its copy
        if section in result and (args.chaos if section == "chaos" else args.throughput):
            nodes = result[section]["nodes"]
            result[section]["nodes"] = {k: v.replace(str(copy), str(args.bin)) for k, v in nodes.items()}
    text = markdown(result)
    print(text)
    if args.chaos and "chaos" in result:
        for name, check in result["chaos"]["checks"].items():
            print(f"{'PASS' if check['ok'] else 'FAIL'}  {name}")
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        result_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        (RESULTS / "scale_check.md").write_text(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
