"""Outputs a web server can read: ordinary modes, a `dist` symlink honoured, no staging left behind."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from briefgen.writer import Staging

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def modes(root: Path) -> dict[str, int]:
    """Every folder's and file's permission bits under root, the root itself as '.'."""
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for p in root.rglob("*"):
        out[p.relative_to(root).as_posix()] = stat.S_IMODE(p.lstat().st_mode)
    return out


def stage(target: Path, files: dict[str, bytes]) -> None:
    staging = Staging(target)
    for rel, data in files.items():
        staging.write(rel, data)
    staging.commit()


@pytest.mark.parametrize("mask, folder, file", [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600), (0o002, 0o775, 0o664)])
def test_staged_tree_has_ordinary_modes(tmp_path, mask, folder, file):
    with umask(mask):
        stage(tmp_path / "dist", {"site/index.html": b"new", "pdf/a.pdf": b"%PDF"})
        stage(tmp_path / "dist", {"site/index.html": b"new", "pdf/a.pdf": b"%PDF-2"})  # over an existing tree
    got = modes(tmp_path / "dist")
    assert got == {".": folder, "site": folder, "pdf": folder, "site/index.html": file, "pdf/a.pdf": file}


def test_unchanged_file_with_a_private_mode_gets_the_ordinary_one(tmp_path):
    with umask(0o022):
        stage(tmp_path / "dist", {"review/es.html": b"page"})
        (tmp_path / "dist/review/es.html").chmod(0o600)  # as `check --review` used to write it
        stage(tmp_path / "dist", {"review/es.html": b"page"})
    assert modes(tmp_path / "dist")["review/es.html"] == 0o644


def test_kept_folders_get_ordinary_modes(tmp_path):
    with umask(0o022):
        stage(tmp_path / "dist", {"deposit/bag/data/a.pdf": b"%PDF"})
        for p in (tmp_path / "dist/deposit", tmp_path / "dist/deposit/bag"):
            p.chmod(0o700)  # as publish used to leave them
        staging = Staging(tmp_path / "dist")
        staging.write("site/index.html", b"x")
        staging.keep("deposit")
        staging.commit()
    got = modes(tmp_path / "dist")
    assert got["deposit"] == got["deposit/bag"] == 0o755 and got["deposit/bag/data/a.pdf"] == 0o644


def test_dist_symlink_is_honoured(tmp_path):
    releases = tmp_path / "srv/releases"
    (releases / "current").mkdir(parents=True)
    (releases / "current/old.html").write_bytes(b"old")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "dist").symlink_to(releases / "current")
    stage(proj / "dist", {"site/index.html": b"new"})
    stage(proj / "dist", {"site/index.html": b"newer"})
    assert (proj / "dist").is_symlink() and os.readlink(proj / "dist") == str(releases / "current")
    assert (releases / "current/site/index.html").read_bytes() == b"newer"
    assert not (releases / "current/old.html").exists()
    assert sorted(p.name for p in proj.iterdir()) == ["dist"]
    assert sorted(p.name for p in releases.iterdir()) == ["current"]


def test_dangling_dist_symlink_is_created_at_its_target(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "dist").symlink_to(tmp_path / "srv/www")
    stage(proj / "dist", {"site/index.html": b"new"})
    assert (proj / "dist").is_symlink() and (tmp_path / "srv/www/site/index.html").read_bytes() == b"new"


READ_ONLY_DIST = """
import sys
from pathlib import Path
from briefgen.writer import Staging
base = Path(sys.argv[1])
def stage(files):
    s = Staging(base / "dist")
    for rel, data in files.items():
        s.write(rel, data)
    s.commit()
stage({"site/index.html": b"old", "site/en/page.html": b"p"})
for p in (base / "dist/site/en", base / "dist/site", base / "dist"):
    p.chmod(0o555)
stage({"site/index.html": b"new"})
"""


def run_as_other_user(code: str, folder: Path) -> subprocess.CompletedProcess:
    """Run Python code on `folder` as an ordinary user: as root (CI containers, this project's machines)
    permissions are not enforced, so the code runs as nobody in a folder nobody owns."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.getuid() != 0:
        return subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, cwd=REPO)
    for p in [folder, *folder.parents]:
        if p == Path(tempfile.gettempdir()):
            break
        p.chmod(p.stat().st_mode | 0o011 if p != folder else 0o755)
    os.chown(folder, 65534, 65534)
    python = shutil.which("python3", path="/usr/bin:/bin")  # the venv's may live under /root
    if python is None:
        pytest.skip("no system python3 to run as another user")
    return subprocess.run([python, "-c", code, str(folder)], capture_output=True, text=True, cwd=folder,
                          user=65534, group=65534, extra_groups=[], env={"PYTHONPATH": str(REPO), "HOME": str(folder)})


def test_read_only_dist_is_replaced_without_leftovers(tmp_path):
    done = run_as_other_user(READ_ONLY_DIST, tmp_path / "w")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "w/dist/site/index.html").read_bytes() == b"new"
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == ["dist"]


def test_stale_staging_folders_and_links_of_earlier_runs_are_removed(tmp_path):
    (tmp_path / "dist").mkdir()
    stale = tmp_path / ".dist.staging-abc123"
    (stale / "site").mkdir(parents=True)
    (stale / "site/x.html").write_bytes(b"x")
    (stale / "site").chmod(0o555)
    (tmp_path / ".dist.staging-link").symlink_to(tmp_path / "dist")  # left by a swap with a symlinked dist
    stage(tmp_path / "dist", {"site/index.html": b"new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]
    assert (tmp_path / "dist/site/index.html").exists()


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_build_and_review_write_ordinary_modes(project, run, mask):
    with umask(mask):
        result = run(project, "build", "--no-pdf")
        assert result.exit_code == 0, result.output
        result = run(project, "check", "--review", "--no-rendered")
        assert result.exit_code in (0, 1), result.output
    got = modes(project / "dist")
    assert "site/en/brief/index.html" in got and "review/es.html" in got
    folders = {rel for rel in got if (project / "dist" / rel).is_dir()}
    assert {rel: m for rel, m in got.items() if rel in folders and m != 0o777 & ~mask} == {}
    assert {rel: m for rel, m in got.items() if rel not in folders and m != 0o666 & ~mask} == {}


def test_build_into_a_symlinked_dist(project, run, tmp_path):
    www = tmp_path / "www/briefing"
    (project / "dist").symlink_to(www)
    for _ in range(2):
        result = run(project, "build", "--no-pdf")
        assert result.exit_code == 0, result.output
    assert (project / "dist").is_symlink() and (www / "site/en/brief/index.html").is_file()
    assert not [p.name for p in [*project.iterdir(), *www.parent.iterdir()] if "staging" in p.name or p.name.endswith(".old")]


SQUARE = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="{}"/></svg>'


def test_same_named_images_in_two_folders_stay_two_images(project, run):
    import re

    for folder, colour in (("a", "red"), ("b", "blue")):
        (project / f"content/en/brief/{folder}").mkdir()
        (project / f"content/en/brief/{folder}/pic.svg").write_text(SQUARE.format(colour), encoding="utf-8")
    with open(project / "content/en/brief/recs.md", "a", encoding="utf-8") as fh:
        fh.write("\n![Red square](a/pic.svg)\n\n![Blue square](b/pic.svg)\n")
    names = []
    for _ in range(2):
        assert run(project, "build", "--no-pdf").exit_code == 0
        page = (project / "dist/site/en/brief/index.html").read_text(encoding="utf-8")
        srcs = dict((alt, src) for src, alt in re.findall(r'<img src="([^"]+)" alt="(\w+) square"', page))
        assert set(srcs) == {"Red", "Blue"} and srcs["Red"] != srcs["Blue"]
        for alt, colour in (("Red", "red"), ("Blue", "blue")):
            assert f'fill="{colour}"' in (project / "dist/site/en/brief" / srcs[alt]).read_text(encoding="utf-8")
        names.append(srcs)
    assert names[0] == names[1]  # stable across builds
