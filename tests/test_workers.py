"""The PDF worker pool (briefgen.workers): results in order, clear errors, never left behind.

Each scenario runs in a fresh interpreter (`python tests/test_workers.py <scenario> <folder>`), with
TMPDIR in the test's folder so that WeasyPrint's font folders can be counted, and reports what it
saw as JSON.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def job(folder: Path, name: str, paragraphs: int):
    from briefgen.workers import PdfJob

    body = "".join(f"<p>{name} paragraph {i} about accounts for survivors.</p>" for i in range(paragraphs))
    font = folder / "font.ttf"
    if not font.exists():
        font.write_bytes((REPO / "templates/fonts/print/source-sans-3-400-normal.ttf").read_bytes())
    style = '@font-face { font-family: Vendored; src: url("font.ttf"); } body { font-family: Vendored; }'
    html = (f'<html lang="en"><head><title>{name}</title><style>{style}</style></head>'
            f'<body><h1>{name}</h1>{body}</body></html>')
    return PdfJob(f"pdf/{name}.pdf", html, folder, (folder,), "pdf/ua-1", 1710374400, name, "en")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def gone(pids, seconds=5.0) -> bool:
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(alive(p) for p in pids)


def wait_ready(pool, count: int) -> list[int]:
    """Start `count` workers (they start on demand) and return their pids."""
    pool.submit([job(Path(os.environ["TMPDIR"]), f"warm{i}", 1) for i in range(count)])
    list(pool.results())
    return sorted(pool._executor._processes)


def scenario(name: str, folder: Path) -> dict:
    from briefgen.workers import PdfPool, WorkerDied

    fonts = lambda: len(list(folder.glob("weasyprint-*/*")))  # noqa: E731
    if name == "no-weasyprint":  # as if Pango were missing: importing WeasyPrint fails in the workers
        seen: dict = {}
        pool = PdfPool(2)
        pool.submit([job(folder, "doc", 3)])
        try:
            list(pool.results())
        except ImportError as exc:
            seen["error"] = str(exc)
        pool.close()
        return seen
    if name == "lock":  # the build holds the project lock while it starts the workers
        import fcntl

        lock = os.open(folder / "lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(lock, fcntl.LOCK_EX)
    pool = PdfPool(2)
    pids = wait_ready(pool, 2)
    seen: dict = {"workers": pids}
    if name == "order":
        pool.submit([job(folder, doc, n) for doc, n in (("short", 1), ("long", 300), ("middle", 40))])
        results = list(pool.results())
        seen["rels"] = [rel for rel, _ in results]
        seen["sizes"] = [len(data) for _, data in results]
        seen["pdf"] = all(data.startswith(b"%PDF-") for _, data in results)
        pool.close()
    elif name == "killed":
        pool.submit([job(folder, "big", 4000), job(folder, "also-big", 4000)])
        time.sleep(0.5)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        try:
            list(pool.results())
        except WorkerDied as exc:
            seen["error"] = str(exc)
        seen["broken"] = pool.broken
        start = time.monotonic()
        pool.close()
        seen["close seconds"] = time.monotonic() - start
    elif name == "same-name":  # two editions that share an output name must not hang the build
        pool.submit([job(folder, "same", 200), job(folder, "same", 5)])
        time.sleep(3)  # both done before anything is collected
        seen["sizes"] = [len(data) for _, data in pool.results()]
        pool.close()
    elif name == "lock":
        os.close(lock)  # the build is over; its workers are still alive
        other = os.open(folder / "lock", os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen["lock free"] = True
        except BlockingIOError:
            seen["lock free"] = False
        seen["workers alive"] = all(alive(p) for p in pids)
        pool.close()
    elif name == "early-close":
        before = fonts()
        pool.submit([job(folder, "big", 4000)])
        deadline = time.monotonic() + 30
        while fonts() <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        seen["fonts while rendering"] = fonts()
        start = time.monotonic()
        pool.close()  # the build failed elsewhere: the PDF in progress is not wanted
        seen["close seconds"] = time.monotonic() - start
    seen["gone"] = gone(pids)
    seen["fonts left"] = fonts()
    return seen


def run_scenario(name: str, tmp_path: Path, pythonpath: Path | None = None) -> dict:
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # WeasyPrint's font folders go here
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), str(REPO)])
    out = subprocess.run([sys.executable, __file__, name, str(tmp_path)], capture_output=True, text=True, timeout=120,
                         env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked workers are Linux-only")


def test_results_come_back_in_job_order_and_workers_leave_with_the_build(tmp_path):
    seen = run_scenario("order", tmp_path)
    assert seen["rels"] == ["pdf/short.pdf", "pdf/long.pdf", "pdf/middle.pdf"] and seen["pdf"]
    assert seen["sizes"][1] > seen["sizes"][2] > seen["sizes"][0]  # each PDF came back under its own name
    assert seen["gone"] and seen["fonts left"] == 0


def test_jobs_start_with_the_one_with_most_elements_not_most_text(tmp_path):
    from dataclasses import replace

    from briefgen.workers import longest_first

    wordy = job(tmp_path, "wordy", 3)
    wordy = replace(wordy, html=wordy.html.replace("paragraph", "paragraph " + "words " * 400))
    table = job(tmp_path, "table", 1)
    table = replace(table, html=table.html.replace("</h1>", "</h1><table>" + "<tr><td>1</td></tr>" * 60 + "</table>"))
    small = job(tmp_path, "small", 2)
    assert len(wordy.html) > len(table.html)
    assert [j.rel for j in longest_first([small, wordy, table])] == ["pdf/table.pdf", "pdf/wordy.pdf", "pdf/small.pdf"]


def test_a_worker_that_finishes_gets_the_next_job_in_its_language(tmp_path):
    from dataclasses import replace

    from briefgen.workers import longest_first, next_job

    jobs = [replace(job(tmp_path, name, n), lang=lang) for name, n, lang in
            (("es-long", 40, "es"), ("en-short", 2, "en"), ("en-long", 30, "en"), ("es-short", 3, "es"))]
    waiting = longest_first(jobs)
    assert [j.rel for j in waiting] == ["pdf/es-long.pdf", "pdf/en-long.pdf", "pdf/es-short.pdf", "pdf/en-short.pdf"]
    assert next_job(waiting, "en").rel == "pdf/en-long.pdf"  # its language first, longest of those
    assert next_job(waiting, "fr").rel == "pdf/es-long.pdf" and next_job(waiting, None).rel == "pdf/es-long.pdf"


def test_a_killed_worker_is_a_clear_error_not_a_hang(tmp_path):
    seen = run_scenario("killed", tmp_path)
    assert "a PDF worker process stopped unexpectedly" in seen["error"] and "run the build again" in seen["error"]
    assert seen["broken"] and seen["close seconds"] < 5 and seen["gone"]


_OWNER = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from test_workers import job, wait_ready
from briefgen.workers import PdfPool
from multiprocessing import forkserver
pool = PdfPool(2)
pids = wait_ready(pool, 2)
print(" ".join(map(str, [*pids, forkserver._forkserver._forkserver_pid])), flush=True)
time.sleep(120)
"""


def test_workers_and_their_forkserver_leave_when_the_build_is_killed(tmp_path):
    """SIGKILL runs no clean-up in the build; its workers (and the forkserver, which lives while any
    of its children does) must not wait for work forever."""
    proc = subprocess.Popen([sys.executable, "-c", _OWNER, str(tmp_path), str(HERE)], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    pids = [int(p) for p in proc.stdout.readline().split()]
    assert len(pids) == 3 and all(alive(p) for p in pids)
    proc.kill()
    proc.wait()
    assert gone(pids, seconds=10), [p for p in pids if alive(p)]


def test_a_worker_that_cannot_start_reports_why(tmp_path):
    fake = tmp_path / "fake" / "weasyprint"  # as if Pango were missing: importing WeasyPrint fails
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ImportError("cannot load library \'libpango-1.0-0\' (test)")\n')
    seen = run_scenario("no-weasyprint", tmp_path, pythonpath=fake.parent)
    assert seen["error"] == "cannot load library 'libpango-1.0-0' (test)"


def test_jobs_with_the_same_output_name_each_get_their_own_pdf(tmp_path):
    seen = run_scenario("same-name", tmp_path)
    assert len(seen["sizes"]) == 2 and seen["sizes"][0] > seen["sizes"][1]


def test_rendering_in_a_thread(tmp_path):
    """Rendering sets up no signal handlers, so it also works outside the main thread."""
    code = (
        "import sys, threading\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from pathlib import Path\n"
        "from test_workers import job\n"
        "from briefgen.workers import run_job\n"
        "out = []\n"
        f"t = threading.Thread(target=lambda: out.append(run_job(job(Path({str(tmp_path)!r}), 'doc', 3))))\n"
        "t.start(); t.join()\n"
        "print(out[0][:5])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "%PDF-" in out.stdout, out.stderr[-2000:]


def test_workers_do_not_hold_the_project_lock(tmp_path):
    seen = run_scenario("lock", tmp_path)
    assert seen["workers alive"] and seen["lock free"]


def test_the_lock_never_takes_descriptors_0_to_2_which_workers_keep(tmp_path):
    """Started with stdin closed, the lock file would get descriptor 0, which forked workers keep."""
    sys.path.insert(0, str(HERE))
    from conftest import make_project

    root = make_project(tmp_path / "proj")
    code = ("import os, sys\n"
            "os.close(0)\n"
            "from pathlib import Path\n"
            "from briefgen.config import load_project\n"
            "from briefgen.lock import project_lock\n"
            "with project_lock(load_project(Path(sys.argv[1]))):\n"
            "    low = []\n"
            "    for fd in (0, 1, 2):\n"
            "        try:\n"
            "            low.append(os.readlink(f'/proc/self/fd/{fd}'))\n"
            "        except OSError:\n"
            "            pass\n"
            "    print(any(target.endswith('lock') for target in low))\n")
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"


def test_closing_early_stops_the_workers_and_removes_their_font_folders(tmp_path):
    seen = run_scenario("early-close", tmp_path)
    assert seen["fonts while rendering"] > 0  # so "fonts left" below means something
    assert seen["close seconds"] < 5 and seen["gone"] and seen["fonts left"] == 0


def test_forked_workers_build_what_a_serial_build_builds_and_leave_no_font_folders(tmp_path):
    """`briefgen build` with two workers against `--jobs 1`."""
    import shutil

    sys.path.insert(0, str(HERE))
    from conftest import make_project

    trees = {}
    for jobs in ("1", "2"):
        root = make_project(tmp_path / f"proj{jobs}")
        tmp = tmp_path / f"tmp{jobs}"
        tmp.mkdir()
        out = subprocess.run([sys.executable, "-m", "briefgen.cli", "--project", str(root), "build", "--jobs", jobs],
                             capture_output=True, text=True, env={**os.environ, "TMPDIR": str(tmp)}, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "PDF  es/brief" in out.stderr
        assert not list(tmp.iterdir())  # WeasyPrint's font folders removed by every worker
        trees[jobs] = {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()}
        shutil.rmtree(root / ".briefgen-cache")
    assert any(k.endswith("sample_brief_es.pdf") for k in trees["2"])
    assert trees["1"] == trees["2"]


def test_an_error_in_a_forked_worker_is_reported_located_and_writes_nothing(tmp_path):
    sys.path.insert(0, str(HERE))
    from conftest import make_project

    root = make_project(tmp_path / "proj")
    command = [sys.executable, "-m", "briefgen.cli", "--project", str(root), "build", "--jobs", "2"]
    assert subprocess.run(command, capture_output=True, timeout=120).returncode == 0
    before = {p: p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()}
    css = root / "templates/print.css"
    css.write_text(css.read_text(encoding="utf-8") + '\nh1 { background: url("missing.png"); }\n', encoding="utf-8")
    out = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "templates/print.css: error:" in out.stderr and "missing.png' does not exist" in out.stderr
    assert "Traceback" not in out.stderr
    assert {p: p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()} == before


_COUNT_WORKERS = """
import sys
from pathlib import Path
from briefgen import pipeline, workers
from briefgen.config import load_project
counts = []
class Counting(workers.PdfPool):
    def __init__(self, count):
        counts.append(count)
        super().__init__(count)
workers.PdfPool = Counting
pipeline.build(load_project(Path(sys.argv[1])))
print(counts, "weasyprint" in sys.modules, sorted(p.name for p in Path(sys.argv[1], "dist/pdf").iterdir()))
"""


@pytest.mark.parametrize("targets, expected", [((), "[1] False ['sample_brief.pdf']"),
                                               (("es",), "[2] False ['sample_brief.pdf', 'sample_brief_es.pdf']")])
def test_one_worker_per_pdf_at_most_and_none_renders_in_the_build(tmp_path, targets, expected):
    """One PDF: one worker, so that WeasyPrint loads while this process renders the HTML (rendering
    here would load it only after). Never more workers than PDFs."""
    sys.path.insert(0, str(HERE))
    from conftest import make_project

    root = make_project(tmp_path / "proj", targets=targets)
    config = root / "pyproject.toml"
    if not targets:
        config.write_text(config.read_text(encoding="utf-8").replace('es = "es_MX"\n', ""), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", _COUNT_WORKERS, str(root)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    if expected.startswith("[2]") and len(os.sched_getaffinity(0)) < 2:
        expected = "[1]" + expected[3:]
    assert out.stdout.strip() == expected


class TwoArgumentError(Exception):
    def __init__(self, message, detail):
        super().__init__(message)
        self.detail = detail


def test_an_error_that_pickle_cannot_rebuild_still_reaches_the_build(tmp_path, monkeypatch):
    """Pickling such an exception works; unpickling it in the build would fail, and the pool would
    take the worker for dead."""
    from briefgen import workers

    def fail(job):
        raise TwoArgumentError("layout failed", "page 3")

    monkeypatch.setattr(workers, "run_job", fail)
    with pytest.raises(RuntimeError, match="^TwoArgumentError: layout failed$"):
        workers._work(None)
    monkeypatch.setattr(workers, "run_job", lambda job: (_ for _ in ()).throw(ValueError("bad image")))
    with pytest.raises(ValueError, match="bad image"):
        workers._work(None)


if __name__ == "__main__":
    print(json.dumps(scenario(sys.argv[1], Path(sys.argv[2]))))
