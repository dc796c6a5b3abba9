"""CI that runs where it says, `./dev` that installs only when it must, packaging without warnings."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tomllib

import pytest
import yaml

from conftest import REPO

WORKFLOW = REPO / ".github/workflows/publish.yml"


def test_every_job_running_dev_runs_in_a_debian_container():
    """GitHub's ubuntu-24.04 image has no Debian chromium/chromium-driver packages (Ubuntu's are snap
    wrappers under other names): `./dev test` would fail on every push, so the jobs run in Debian."""
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    runs_dev = {name: job for name, job in jobs.items() if any("./dev" in step.get("run", "") for step in job["steps"])}
    assert runs_dev
    for name, job in runs_dev.items():
        container = job.get("container")
        image = container.get("image") if isinstance(container, dict) else container
        assert image and image.startswith("debian:"), f"job {name} runs ./dev on {job['runs-on']} without a Debian container"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert image in readme and "ubuntu-24.04" in readme  # the README says which image, and why


def test_release_job_installs_what_it_calls_and_names_its_repository():
    release = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["release"]
    runs = "\n".join(step.get("run", "") for step in release["steps"])
    assert "zip -X" in runs and "gh release create" in runs
    assert "apt-get install" in runs and " zip" in runs and " gh" in runs  # not in a bare Debian image
    assert any("GH_REPO" in step.get("env", {}) for step in release["steps"])  # no .git in the container


def test_pyproject_has_no_deprecated_packaging_metadata():
    """setuptools printed ~130 lines of warnings on every install: a license table, and
    briefgen.deposit (data folders) missing from `packages`."""
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["license"] == "MIT"  # an SPDX expression
    assert any(r.replace(" ", "").startswith("setuptools>=77") for r in meta["build-system"]["requires"])
    packages = meta["tool"]["setuptools"]["packages"]
    data = meta["tool"]["setuptools"]["package-data"]
    for folder in sorted({p.parent for p in (REPO / "briefgen").rglob("*") if p.is_file() and "__pycache__" not in p.parts}):
        name = ".".join(folder.relative_to(REPO).parts)
        assert name in packages, f"{name} holds files but is not in [tool.setuptools] packages"
        if name != "briefgen":
            files = [p for p in folder.iterdir() if p.is_file()]
            assert all(any(p.match(pattern) for pattern in data.get(name, [])) for p in files), name


@pytest.fixture
def dev(tmp_path):
    """A copy of ./dev beside this pyproject.toml, with a stand-in virtual environment whose python
    and briefgen only record how they are called (and whose pip fails when told to)."""
    proj = tmp_path / "proj"
    (proj / "briefgen").mkdir(parents=True)
    shutil.copy2(REPO / "dev", proj / "dev")
    shutil.copy2(REPO / "pyproject.toml", proj / "pyproject.toml")
    log = tmp_path / "calls.log"
    bin_dir = tmp_path / "venv/bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "briefgen"):
        (bin_dir / name).write_text(
            f'#!/bin/sh\necho "{name} $*" >> "{log}"\n'
            f'case "$*" in *"pip install"*) [ -f "{tmp_path}/pip-fails" ] && {{ echo "ERROR: no network"; exit 1; }};; esac\n'
            'case "$*" in *"pip install"*|*compileall*) echo "some pip chatter"; echo "a deprecation warning" >&2;; esac\n')
        (bin_dir / name).chmod(0o755)

    def run(*args: str) -> tuple[int, str, list[str]]:
        log.write_text("")
        done = subprocess.run(["./dev", *args], cwd=proj, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "BRIEFGEN_VENV": str(tmp_path / "venv")})
        calls = log.read_text().splitlines()
        return done.returncode, done.stdout + done.stderr, calls

    run.proj, run.failing = proj, tmp_path / "pip-fails"
    return run


def installs(calls: list[str]) -> list[str]:
    return [c for c in calls if "pip install" in c and "--upgrade pip" not in c]


def test_dev_installs_only_when_pyproject_changed_and_quietly(dev):
    code, output, calls = dev("build", "--no-pdf")
    assert code == 0, output
    assert installs(calls) == ["python -m pip install -q -e ."] and "briefgen build --no-pdf" in calls
    assert "pip chatter" not in output and "warning" not in output  # quiet on success
    code, output, calls = dev("build", "--no-pdf")
    assert code == 0 and installs(calls) == [] and "briefgen build --no-pdf" in calls, output
    with open(dev.proj / "pyproject.toml", "a", encoding="utf-8") as fh:
        fh.write("\n# changed\n")
    code, output, calls = dev("build")
    assert code == 0 and installs(calls) == ["python -m pip install -q -e ."], calls


def test_dev_test_needs_the_test_extra_once(dev):
    assert installs(dev("build")[2]) == ["python -m pip install -q -e ."]
    code, output, calls = dev("test", "-q")
    assert code == 0, output
    assert installs(calls) == ["python -m pip install -q -e .[test]"] and "python -m pytest -q" in calls
    assert installs(dev("test", "-q")[2]) == [] and installs(dev("build")[2]) == []  # [test] holds the base too


def test_dev_works_offline_once_installed_and_shows_a_failing_install(dev):
    assert dev("build")[0] == 0
    dev.failing.touch()  # from now on pip cannot reach an index
    code, output, calls = dev("build")
    assert code == 0 and installs(calls) == [], output  # complete venv: nothing to install
    (dev.proj / "pyproject.toml").write_text((dev.proj / "pyproject.toml").read_text() + "\n# changed\n")
    code, output, calls = dev("build")
    assert code != 0 and "ERROR: no network" in output and "briefgen build" not in calls
    code, output, calls = dev("build")  # the failed install left no stamp: it is tried again
    assert code != 0 and len(installs(calls)) == 1


def test_stamp_holds_the_hash_of_pyproject(dev):
    dev("build")
    stamp = (dev.proj.parent / "venv/.briefgen-installed").read_text()
    assert hashlib.sha256((dev.proj / "pyproject.toml").read_bytes()).hexdigest() in stamp
