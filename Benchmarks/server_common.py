"""Shared helpers for the server measurements (server_load.py, browser/explorer_test.py): start the real
`chromasong serve` on a loopback port with a fresh data directory, talk to its API with the standard library only,
and read the server's memory from /proc.

Traffic goes to 127.0.0.1 only; every loop here is bounded in count and time.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "Benchmarks" / "results"
# shared/ sits beside the repository (CI's clone, /work/main); a git worktree may sit deeper: look upwards.
SHARED_IMAGES = next((p / "shared" / "images" for p in ROOT.parents if (p / "shared" / "images").is_dir()),
                     ROOT.parent / "shared" / "images")
EXAMPLE = ROOT / "examples" / "yellowflower.jpg"
API = "/api/public/v1"


def find_binary() -> Path:
    """The release CLI if built, else the debug one."""
    for flavour in ("release", "debug"):
        path = ROOT / ".build" / flavour / "chromasong"
        if path.exists():
            return path
    sys.exit("no chromasong binary: run `swift build -c release --product chromasong` first")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_photo() -> Path:
    """A photo from the shared test images (the first JPEG), or the repository's example."""
    if SHARED_IMAGES.is_dir():
        for path in sorted(SHARED_IMAGES.iterdir()):
            if path.suffix.lower() in (".jpg", ".jpeg"):
                return path
    return EXAMPLE


class Server:
    """`chromasong serve` in a child process, configured through its CHROMASONG_* environment variables."""

    def __init__(self, queue_limit: int = 100, workers: int = 1, extra_env: dict | None = None,
                 binary: Path | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = Path(tempfile.mkdtemp(prefix="chromasong-serve-"))
        env = dict(os.environ)
        env.update({
            "CHROMASONG_HOST": "127.0.0.1", "CHROMASONG_PORT": str(self.port),
            "CHROMASONG_DATA_DIR": str(self.data), "CHROMASONG_QUEUE_LIMIT": str(queue_limit),
            "CHROMASONG_WORKERS": str(workers), "CHROMASONG_PUBLIC_URL": self.base,
        })
        env.update(extra_env or {})
        self.log = open(self.data / "server.log", "w")
        self.proc = subprocess.Popen([str(binary or find_binary()), "serve"], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=str(ROOT))

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"server exited with {self.proc.returncode}; log: {self.data / 'server.log'}")
            try:
                status, _ = get_json(f"{self.base}{API}/getAllVoices?limit=1&page=0", timeout=2)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        sys.exit(f"server not ready after {timeout} s")

    def rss_kib(self) -> tuple[int, int]:
        """(current VmRSS, peak VmHWM) of the server process in KiB, from /proc."""
        values = {}
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, rest = line.split(":", 1)
                    values[name] = int(rest.split()[0])
        except FileNotFoundError:
            pass
        return values.get("VmRSS", 0), values.get("VmHWM", 0)

    def children_rss_kib(self) -> int:
        """Summed VmRSS of the server's child processes (render workers), in KiB."""
        total = 0
        children = set()
        # A child is listed under the thread that started it, so every thread's list is read.
        for listing in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            try:
                children.update(listing.read_text().split())
            except (FileNotFoundError, ProcessLookupError):
                pass
        for child in children:
            try:
                for line in Path(f"/proc/{child}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split(":", 1)[1].split()[0])
            except FileNotFoundError:
                pass
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def open_json(request: urllib.request.Request, timeout: float) -> tuple[int, dict]:
    """(status, JSON body) of a request; error statuses too, with a non-JSON error body as {"raw": ...}."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"{}")
        except ValueError:
            return error.code, {"raw": body[:200].decode("utf-8", "replace")}


def get_json(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, dict]:
    return open_json(urllib.request.Request(url, headers=headers or {}), timeout)


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """Encodes a multipart/form-data body: fields {name: text}, files {name: Path}."""
    boundary = "chromasong-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, path in files.items():
        kind = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}.get(path.suffix.lower(),
                                                                                   "application/octet-stream")
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
                f"Content-Type: {kind}\r\n\r\n").encode()
        parts.append(head + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_multipart(url: str, fields: dict, files: dict, timeout: float = 60) -> tuple[int, dict]:
    body, content_type = multipart(fields, files)
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    return open_json(request, timeout)


def percentile(values: list, p: float) -> float:
    """Nearest-rank percentile (p in 0...100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(p / 100 * len(ordered) + 0.4999))))
    return ordered[rank - 1]
