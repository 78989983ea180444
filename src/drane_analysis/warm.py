"""A warm template process that forks one fresh Jupyter kernel per report.

Starting a kernel for a report costs far more than its cells need: a new interpreter, the
imports of ipykernel, pandas, matplotlib, seaborn, scipy and the library (several
seconds), then, inside the notebook, the loading of the data folder's sources and every
target's series, the same for each scope and school year. The build therefore starts one
*template* process per data folder (``python -m drane_analysis.warm``) which

1. imports everything a report kernel needs, once;
2. loads, on the first request for each target, the sources and derived frames that the
   target's ``compute(data)`` reads and keeps its series (the synthesis asks for every
   target): library code only, never notebook code, so the template stays pristine;
3. forks one child per report; the child becomes an ordinary IPython kernel (the same
   ``IPKernelApp`` as ``python -m ipykernel_launcher``) talking to papermill over ZeroMQ.

Each report thus runs in a **fresh interpreter state**: its globals, the modules' state,
matplotlib and seaborn settings, pandas options, warnings filters and random generators
are the template's untouched ones (the random generators are reseeded from the operating
system as in a new interpreter); nothing one report does reaches the next, which is a new
fork. The frames loaded by the template are shared copy-on-write with every kernel and read
through :class:`~drane_analysis.data.Data` as if the kernel had loaded them itself (same
code, same values: the reports' bytes are the same as with a cold kernel).

In the build's worker processes, :class:`WarmKernelManager` (given to papermill's
``kernel_manager_class``) asks the template for a kernel instead of starting a process;
:class:`Template` starts and stops the template.

The protocol between a worker and the template is one JSON object per line over a Unix
socket: ``{"op": "fork", "argv": [...], "env": {...}, "cwd": "...", "target": "1.1"}``
answered by ``{"pid": 1234}`` (or ``{"error": "..."}``); ``{"op": "stats"}`` answered by the
template's figures (warm-up time per target, memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from .errors import EXIT_INTERNAL, DraneError

SYNTHESIS_ID = "0"
READY_TIMEOUT_S = 900.0


class TemplateError(DraneError, RuntimeError):
    """The template cannot fork a kernel (it did not start, or stopped); the build then
    runs its reports in kernels of the ordinary kind."""

    exit_code = EXIT_INTERNAL


# =========================================================================== template side


class _Warm:
    """What the template holds: one data folder, its frames and the targets warmed so far."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.data = None
        self.warmed: dict[str, float] = {}
        self.hooks: set[tuple[str, str]] = set()
        self.failed: dict[str, str] = {}
        self.import_s = 0.0

    def import_everything(self) -> None:
        """The imports of a report kernel, done once.

        Three kinds, each already done by every fresh report kernel before or in its first
        cell (so doing them here changes nothing a report can see): what a kernel's
        initialisation imports (ipykernel, IPython, debugpy…: found by :func:`_kernel_modules`),
        the scientific stack and the library that every notebook imports in its first
        cell, and the font and PNG machinery of matplotlib, loaded by drawing one figure
        with the object API (no pyplot state).
        """
        t0 = time.perf_counter()
        # What a kernel sets before the notebook imports matplotlib (ipykernel's init_gui_pylab).
        os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        for name in _kernel_modules():
            with contextlib.suppress(Exception):
                importlib.import_module(name)
        import numpy  # noqa: F401
        import pandas  # noqa: F401
        import scipy.stats  # noqa: F401
        import seaborn  # noqa: F401
        import statsmodels.api  # noqa: F401
        from IPython.display import HTML, Markdown, display  # noqa: F401

        from . import report, synthesis, targets, views  # noqa: F401
        from .catalogue import load_catalogue
        from .data import Data, preload

        targets.modules()
        views.modules()
        load_catalogue()  # cached while params/ is unchanged
        _draw_one_figure()
        self.data = Data(self.data_dir)
        preload(self.data)
        gc.freeze()
        self.import_s = time.perf_counter() - t0

    def warm(self, target: str | None, period: str | None = None) -> None:
        """Load and compute, once, what ``target`` reads (every target for the synthesis).

        Runs the target module's ``compute(data)``, then, if the module defines it, its
        ``warm(data, period)``: library code that computes (through ``data.memo``) the
        scope-independent frames its notebook shows for a school year.
        """
        from .targets import modules

        mods = modules()
        wanted = list(mods) if target in (None, "", SYNTHESIS_ID) else [target]
        for tid in wanted:
            if tid in self.failed or tid not in mods:
                continue
            t0 = time.perf_counter()
            try:
                if tid not in self.warmed:
                    _memoise_compute(mods[tid], tid, self.data)
                    self.data.establishments()
                    self.data.ips()
                    mods[tid].compute(self.data)
                    self.warmed[tid] = 0.0
                hook = getattr(mods[tid], "warm", None)
                if callable(hook) and period and (tid, period) not in self.hooks:
                    self.hooks.add((tid, period))
                    with contextlib.suppress(Exception):  # the kernel meets the same error, if any
                        hook(self.data, period)
                self.warmed[tid] += time.perf_counter() - t0
                # What the template holds is never collected: forked kernels then never
                # touch (copy) its pages when their garbage collector runs.
                gc.freeze()
            except Exception as exc:  # noqa: BLE001 - the kernel meets the same error and reports it
                self.failed[tid] = f"{type(exc).__name__}: {exc}"[:500]

    def stats(self) -> dict[str, Any]:
        return {"import_s": round(self.import_s, 3), "warmed": {k: round(v, 3) for k, v in self.warmed.items()},
                "failed": self.failed, "rss_mb": _rss_mb(os.getpid()), "pid": os.getpid()}


def _kernel_modules() -> list[str]:
    """The modules an IPython kernel imports while it starts (a throwaway kernel, forked).

    The child initialises a kernel on a connection file of its own and sends back the
    names in ``sys.modules``; nothing of it reaches the template but these names.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the probe
        code = 1
        tmp = None
        try:
            os.close(read_fd)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            tmp = tempfile.mkdtemp(prefix="drane-probe-")
            from ipykernel.kernelapp import IPKernelApp

            app = IPKernelApp.instance()
            app.initialize(["-f", os.path.join(tmp, "probe.json"), "--IPKernelApp.log_level=CRITICAL"])
            with os.fdopen(write_fd, "w") as fh:
                fh.write("\n".join(sorted(sys.modules)))
            code = 0
        finally:
            if tmp:  # the probe's connection file: nothing of it outlives the probe
                shutil.rmtree(tmp, ignore_errors=True)
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        names = fh.read().split()
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    # Parents before children; the kernel's __main__ and private modules are not ours to import.
    return sorted((n for n in names if n not in sys.modules and not n.startswith("__")), key=lambda n: n.count("."))


def _draw_one_figure() -> None:
    """Load matplotlib's fonts and PNG writer (object API: no pyplot figure, no setting changed)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="é")
    ax.set_title("Évolution", loc="left", fontweight="bold")
    ax.legend()
    fig.savefig(io.BytesIO(), format="png", dpi=50, bbox_inches="tight")


def _memoise_compute(module, tid: str, data) -> None:
    """``module.compute(data)`` served from the template's frames for its data folder.

    The series is computed once, by the library's own ``compute``, and every call with a
    :class:`Data` of the same folder gets a copy of it (a caller may modify what it gets).
    """
    original = getattr(module.compute, "__wrapped__", module.compute)
    folder = data.dir

    def compute(d, *args, **kwargs):
        from .data import Data

        if args or kwargs or not isinstance(d, Data) or d.inline is not None or d.dir != folder:
            return original(d, *args, **kwargs)
        return d.memo(f"_series:{tid}", lambda: original(d)).copy()

    compute.__wrapped__ = original  # type: ignore[attr-defined]
    compute.__doc__ = original.__doc__
    compute.__name__ = original.__name__
    module.compute = compute


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def serve(data_dir: str, sock_path: str) -> None:  # pragma: no cover - runs in the template process
    """The template's loop: accept workers, warm targets, fork kernels; exit when stdin closes."""
    warm = _Warm(data_dir)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(64)
    # Kernels are reaped by the system as soon as they exit (their managers watch them
    # through a pidfd); each child restores the default handler.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    warm.import_everything()
    clients: dict[int, tuple[socket.socket, bytearray]] = {}
    stdin_fd = sys.stdin.fileno()
    while True:
        fds = [server.fileno(), stdin_fd, *clients]
        readable, _, _ = select.select(fds, [], [])
        if stdin_fd in readable and not os.read(stdin_fd, 4096):
            break  # the build is over (or died): stop; kernels stop with their parent
        if server.fileno() in readable:
            conn, _ = server.accept()
            clients[conn.fileno()] = (conn, bytearray())
        for fd in [f for f in readable if f in clients]:
            conn, buf = clients[fd]
            chunk = conn.recv(1 << 16)
            if not chunk:
                conn.close()
                del clients[fd]
                continue
            buf += chunk
            while b"\n" in buf:
                line, _, rest = bytes(buf).partition(b"\n")
                buf[:] = rest
                reply = _handle(warm, json.loads(line), server, clients, stdin_fd)
                conn.sendall(json.dumps(reply).encode() + b"\n")
    server.close()


def _handle(warm: _Warm, req: dict, server: socket.socket, clients: dict, stdin_fd: int) -> dict:
    op = req.get("op")
    if op == "stats":
        return warm.stats()
    if op == "warm":
        warm.warm(req.get("target"), req.get("period"))
        return warm.stats()
    if op == "fork":
        warm.warm(req.get("target"), req.get("period"))
        if os.environ.get("DRANE_WARM_TRACE"):
            req["_modules"] = list(sys.modules)
        pid = os.fork()
        if pid == 0:  # the kernel
            code = 1
            try:
                server.close()
                for conn, _ in clients.values():
                    conn.close()
                _become_kernel(req, stdin_fd)
                code = 0
            finally:
                os._exit(code)
        return {"pid": pid}
    return {"error": f"unknown op {op!r}"}


def _become_kernel(req: dict, stdin_fd: int) -> None:  # pragma: no cover - runs in the forked kernel
    """Turn the forked child into an IPython kernel, as ``python -m ipykernel_launcher`` would."""
    import random

    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, stdin_fd)
    os.close(devnull)
    os.environ.clear()
    os.environ.update(req.get("env") or {})
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    if req.get("cwd"):
        os.chdir(req["cwd"])
    # Fresh random generators, as in a new interpreter.
    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    argv = list(req["argv"])
    sys.argv = [sys.executable, "-m", "ipykernel_launcher", *argv]
    from ipykernel.kernelapp import IPKernelApp

    # The kernel stops if the template dies (the template stops when the build does).
    app = IPKernelApp.instance()
    trace = os.environ.get("DRANE_WARM_TRACE")
    t0 = time.perf_counter()
    if trace == "profile":
        import cProfile
        pr = cProfile.Profile()
        pr.enable()
    app.initialize([*argv, f"--IPKernelApp.parent_handle={os.getppid()}"])
    if trace == "profile":
        pr.disable()
        pr.dump_stats(f"/tmp/h5/kprof-{os.getpid()}.prof")
    if trace:
        print(f"kernel {os.getpid()} initialised in {time.perf_counter() - t0:.3f} s", file=sys.__stderr__, flush=True)
        before = set(req.get("_modules", ()))
        def _report(*_a):
            new = sorted(set(sys.modules) - before)
            print(f"kernel {os.getpid()} modules: {len(new)} {' '.join(new)}", file=sys.__stderr__, flush=True)
        app.shell.events.register("post_run_cell", _report)
    app.start()


# =========================================================================== worker side


def die_with_parent(parent_pid: int) -> None:
    """Have the system kill this process (``SIGKILL``) when its parent ``parent_pid`` dies,
    even by ``SIGKILL`` (Linux ``prctl(PR_SET_PDEATHSIG)``); exit at once if it is already
    gone. Build workers and the template never outlive the build's driver, and never write
    anything after it. Elsewhere than on Linux, only the check is done.
    """
    with contextlib.suppress(OSError, AttributeError, TypeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)



class TemplateClient:
    """A worker's connection to the template (one request at a time)."""

    def __init__(self, sock_path: str):
        self.sock_path = sock_path
        self._sock: socket.socket | None = None
        self._buf = b""

    def request(self, payload: dict, timeout: float = READY_TIMEOUT_S) -> dict:
        try:
            return self._request(payload, timeout)
        except OSError as exc:
            self.close()
            raise TemplateError(f"processus modèle injoignable : {exc}") from exc

    def _request(self, payload: dict, timeout: float) -> dict:
        if self._sock is None:
            deadline = time.monotonic() + 30
            while True:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect(self.sock_path)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    s.close()
                    if time.monotonic() > deadline:
                        raise TemplateError(f"processus modèle injoignable ({self.sock_path})") from None
                    time.sleep(0.05)
            self._sock = s
        self._sock.settimeout(timeout)
        self._sock.sendall(json.dumps(payload).encode() + b"\n")
        while b"\n" not in self._buf:
            chunk = self._sock.recv(1 << 16)
            if not chunk:
                self.close()
                raise TemplateError("le processus modèle s'est arrêté")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        reply = json.loads(line)
        if "error" in reply:
            raise TemplateError(reply["error"])
        return reply

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            self._buf = b""


class ForkedProcess:
    """A Popen-like handle on a kernel forked by the template (not our child: a pidfd)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            self._fd = None
            self.returncode = 0

    def poll(self) -> int | None:
        if self.returncode is None and self._fd is not None:
            ready, _, _ = select.select([self._fd], [], [], 0)
            if ready:
                self._done()
        return self.returncode

    def _done(self) -> None:
        self.returncode = 0
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self._fd is not None:
            ready, _, _ = select.select([self._fd], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            self._done()
        return self.returncode or 0

    async def async_wait(self) -> int:
        if self.returncode is None and self._fd is not None:
            loop = asyncio.get_running_loop()
            fut = loop.create_future()
            loop.add_reader(self._fd, lambda: fut.done() or fut.set_result(None))
            try:
                await fut
            finally:
                loop.remove_reader(self._fd)
            self._done()
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.returncode is None and self._fd is not None:
            try:
                signal.pidfd_send_signal(self._fd, signum)
            except ProcessLookupError:
                self._done()

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class WarmProvisioner(LocalProvisioner):
    """Kernels forked by the template instead of started as new processes."""

    client: TemplateClient | None = None
    target: str | None = None
    period: str | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        try:
            start = next(i for i, a in enumerate(cmd) if a.endswith("ipykernel_launcher")) + 1
        except StopIteration:  # not an ipykernel: start it the ordinary way
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        assert self.client is not None
        reply = await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.client.request({"op": "fork", "argv": cmd[start:], "env": env, "cwd": cwd,
                                               "target": self.target, "period": self.period}))
        self.process = ForkedProcess(int(reply["pid"]))  # type: ignore[assignment]
        self.pid = self.process.pid
        self.pgid = self.process.pid  # the kernel leads its own session
        self.cwd = cwd
        return self.connection_info

    async def wait(self) -> int | None:
        if self.process is not None:
            ret = await self.process.async_wait()  # type: ignore[attr-defined]
            self.process = None
            return ret
        return 0

    async def send_signal(self, signum: int) -> None:
        if self.process is not None:
            try:
                os.killpg(self.pgid, signum)
            except OSError:
                self.process.send_signal(signum)


class WarmKernelManager(AsyncKernelManager):
    """papermill's kernel manager in a build worker: kernels come from the warm template.

    Set :attr:`template_client` (the worker's :class:`TemplateClient`) and
    :attr:`template_target` before a run; with no client it behaves as the stock manager.
    """

    template_client: TemplateClient | None = None
    template_target: str | None = None
    template_period: str | None = None

    async def _async_pre_start_kernel(self, **kw: Any):
        cls = type(self)
        if self.provisioner is None and cls.template_client is not None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            prov = WarmProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            prov.client = cls.template_client
            prov.target = cls.template_target
            prov.period = cls.template_period
            self.provisioner = prov
        return await super()._async_pre_start_kernel(**kw)


# =========================================================================== driver side


class Template:
    """Start (and stop) the template process of one data folder.

    ``with Template(data_dir) as t:`` — workers connect to ``t.socket_path``. The template
    stops when this object is closed or when the process that started it dies (its
    standard input closes); with ``die_with_parent`` (the build's driver, which starts it
    from its main thread), the system kills it at once when that process dies, even in the
    middle of a warm-up.
    """

    def __init__(self, data_dir: str | os.PathLike[str], log: Path | None = None, die_with_parent: bool = False):
        self.data_dir = str(data_dir)
        self._tmp = tempfile.TemporaryDirectory(prefix="drane-warm-")
        self.socket_path = str(Path(self._tmp.name) / "template.sock")
        self.log_path = log or Path(self._tmp.name) / "template.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; from drane_analysis.warm import main; sys.exit(main())",
             "--data", self.data_dir, "--socket", self.socket_path,
             *(["--parent", str(os.getpid())] if die_with_parent else [])],
            stdin=subprocess.PIPE, stdout=self._log, stderr=self._log, close_fds=True,
        )

    def client(self) -> TemplateClient:
        return TemplateClient(self.socket_path)

    def stats(self) -> dict:
        c = self.client()
        try:
            return c.request({"op": "stats"})
        finally:
            c.close()

    def log_tail(self, n: int = 3000) -> str:
        try:
            return Path(self.log_path).read_text(encoding="utf-8", errors="replace")[-n:]
        except OSError:
            return ""

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # type: ignore[union-attr]
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        self._tmp.cleanup()

    def __enter__(self) -> Template:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - the template process
    import argparse

    p = argparse.ArgumentParser(prog="python -m drane_analysis.warm")
    p.add_argument("--data", required=True)
    p.add_argument("--socket", required=True)
    p.add_argument("--parent", type=int, default=None, help="die with this process (the build's driver)")
    args = p.parse_args(argv)
    if args.parent is not None:
        die_with_parent(args.parent)
    serve(args.data, args.socket)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
