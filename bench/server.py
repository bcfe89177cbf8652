"""Requests per second under gunicorn: start a server, log in over HTTP, load it, stop it.

Only 127.0.0.1 is ever contacted. Each load is bounded in time and in count.
"""

from __future__ import annotations

import http.client
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

from bench.common import BENCH_USER, DEMO_PASSWORD, GUNICORN, ROOT, free_port, median, ms, p90
from bench.inproc import csrf_token

HOST = "127.0.0.1"


class ServerError(RuntimeError):
    pass


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def log_problems(path: Path) -> dict:
    """Tracebacks and error lines a server wrote to its log (failing plugin hooks, say)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return {}
    tracebacks = sum(1 for line in lines if line.startswith("Traceback (most recent call last)"))
    errors = [line for line in lines if "ERROR" in line or " failed" in line]
    return {"tracebacks": tracebacks, "error_lines": len(errors), "first_error": errors[0][:300]
            if errors else ""}


def wait_healthy(proc: subprocess.Popen, port: int, log: Path, timeout: float = 60.0) -> float:
    """Poll GET /health until it answers 200; returns the seconds it took."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise ServerError(f"server exited with {proc.returncode}:\n{_tail(log)}")
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return time.perf_counter() - start
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.05)  # between polls only: readiness is decided by /health
    raise ServerError(f"no healthy answer on port {port} within {timeout:.0f} s:\n{_tail(log)}")


def start_gunicorn(app_spec: str, env: dict, log: Path, workers: int = 2):
    """Spawn ``gunicorn -w <workers> -b 127.0.0.1:<free port> <app_spec>``; returns (proc, port, boot s)."""
    port = free_port()
    cmd = [GUNICORN, "-w", str(workers), "-b", f"{HOST}:{port}", "--log-level", "warning", app_spec]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        boot = wait_healthy(proc, port, log)
    except BaseException:
        stop(proc)
        raise
    return proc, port, boot


def stop(proc: subprocess.Popen) -> None:
    """Stop a server we started (by its own pid): TERM, then KILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class Cookies:
    def __init__(self):
        self.jar: dict[str, str] = {}

    def take(self, resp: http.client.HTTPResponse) -> None:
        for header in resp.headers.get_all("Set-Cookie") or []:
            pair = header.split(";", 1)[0]
            name, _, value = pair.partition("=")
            self.jar[name.strip()] = value.strip()

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.jar.items())


def login(port: int, username: str = BENCH_USER, password: str = DEMO_PASSWORD) -> str:
    """Log in through the real form (CSRF token scraped from /login); returns the Cookie header."""
    cookies = Cookies()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", "/login")
        resp = conn.getresponse()
        html = resp.read().decode("utf-8", "replace")
        cookies.take(resp)
        body = urllib.parse.urlencode({"csrf_token": csrf_token(html), "username": username,
                                       "password": password})
        conn.request("POST", "/login", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies.header()})
        resp = conn.getresponse()
        resp.read()
        cookies.take(resp)
        if resp.status != 302 or "/login" in (resp.getheader("Location") or ""):
            raise ServerError(f"login of {username!r} over HTTP failed with {resp.status}")
    finally:
        conn.close()
    return cookies.header()


def load(port: int, path: str, cookie: str | None, *, threads: int = 4, duration: float = 10.0,
         max_requests: int = 100_000, warmup: float = 1.0) -> dict:
    """GET ``path`` from ``threads`` keep-alive clients for ``duration`` s (or ``max_requests``).

    Each thread keeps one ``http.client`` connection and reopens it only when
    the server closes it (gunicorn's sync workers close after every response).
    """
    headers = {"Cookie": cookie} if cookie else {}
    lock = threading.Lock()
    state = {"issued": 0, "ok": 0, "errors": 0, "connects": 0, "timing": False}
    latencies: list[float] = []
    stop_at = [time.perf_counter() + warmup + duration]

    def worker():
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        try:
            while time.perf_counter() < stop_at[0]:
                with lock:
                    if state["timing"]:
                        if state["issued"] >= max_requests:
                            break
                        state["issued"] += 1
                    counted = state["timing"]
                    if conn.sock is None and counted:
                        state["connects"] += 1
                t0 = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    resp = conn.getresponse()
                    resp.read()
                    good = resp.status == 200
                except (OSError, http.client.HTTPException):
                    conn.close()
                    good = False
                if counted:
                    mine.append(time.perf_counter() - t0)
                    with lock:
                        state["ok" if good else "errors"] += 1
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    time.sleep(warmup)  # untimed warm-up of both workers; the timed window starts now
    with lock:
        state["timing"] = True
        t_start = time.perf_counter()
        stop_at[0] = t_start + duration
    for t in pool:
        t.join(timeout=duration + 60)
    elapsed = time.perf_counter() - t_start
    return {
        "path": path, "threads": threads, "seconds": round(elapsed, 2), "requests": state["ok"],
        "errors": state["errors"], "connections_opened": state["connects"],
        "rps": round(state["ok"] / elapsed, 1) if elapsed > 0 else 0.0,
        "latency_p50_ms": ms(median(latencies)), "latency_p90_ms": ms(p90(latencies)),
    }


def measure_rps(propdesk_env: dict, hello_env: dict, logs: Path, *, duration: float,
                threads: int = 4, workers: int = 2, warmup: float = 2.0) -> dict:
    """Dashboard rps of PropDesk vs a bare Flask app, one server at a time, same settings."""
    out: dict = {"workers": workers, "threads": threads}
    targets = [
        ("propdesk", "wsgi:app", propdesk_env, "/", True),
        ("hello", "bench.hello_app:app", hello_env, "/", False),
    ]
    for name, spec, env, path, needs_login in targets:
        log = logs / f"gunicorn-{name}.log"
        proc, port, boot = start_gunicorn(spec, env, log, workers=workers)
        try:
            cookie = login(port) if needs_login else None
            result = load(port, path, cookie, threads=threads, duration=duration, warmup=warmup)
            result["boot_s"] = round(boot, 2)
            if result["errors"] or not result["requests"]:
                result["log_tail"] = _tail(log)
            out[name] = result
        finally:
            stop(proc)
            if name in out:
                out[name]["server_log"] = log_problems(log)
    hello, pd = out["hello"]["rps"], out["propdesk"]["rps"]
    out["ratio"] = round(pd / hello, 4) if hello else None
    return out
