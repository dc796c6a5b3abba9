"""The translators' commands, extract and update: what they write, what they say, and how their
files look to the other people and programs on the machine."""
from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from briefgen.pofile import read_po


def catalogs(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted((root / "locales").rglob("*")) if p.is_file()}


def test_a_noop_extract_and_update_touch_no_file(project, run):
    assert run(project, "extract").exit_code == 0 and run(project, "update").exit_code == 0
    before = catalogs(project)
    assert "extract: 0" in run(project, "extract").output
    assert "update: 0 catalog(s) changed" in run(project, "update").output
    assert catalogs(project) == before  # same bytes and modification times


def test_update_names_the_catalogs_relative_to_the_project(project, run):
    assert run(project, "extract").exit_code == 0
    result = run(project, "update")
    assert result.exit_code == 0
    assert "updated locales/es/LC_MESSAGES/content.po" in result.output
    assert str(project) not in result.output


def test_update_without_pot_files_says_which_command_writes_them(project, run):
    result = run(project, "update")
    assert result.exit_code == 2
    assert result.output.strip().endswith("locales/content.pot: error: POT file not found; run `briefgen extract`")
    assert str(project) not in result.output
    assert not (project / "locales/es").exists()


def test_the_pot_creation_date_moves_only_with_the_messages(project, run, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert run(project, "extract").exit_code == 0 and run(project, "update").exit_code == 0
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert "extract: 0" in run(project, "extract").output  # nothing new: the old date stays
    assert read_po(project / "locales/content.pot").header_fields()["POT-Creation-Date"] == "1970-01-01 00:00+0000"
    recs = project / "content/en/brief/recs.md"
    recs.write_text(recs.read_text(encoding="utf-8").replace("in this order", "in this exact order"), encoding="utf-8")
    assert run(project, "extract").exit_code == 0 and run(project, "update").exit_code == 0
    pot = read_po(project / "locales/content.pot")
    assert "Three steps are needed, in this exact order." in {e.msgid for e in pot.entries}
    assert pot.header_fields()["POT-Creation-Date"] != "1970-01-01 00:00+0000"
    assert read_po(project / "locales/messages.pot").header_fields()["POT-Creation-Date"] == "1970-01-01 00:00+0000"
    po = read_po(project / "locales/es/LC_MESSAGES/content.po")
    assert po.header_fields()["POT-Creation-Date"] == pot.header_fields()["POT-Creation-Date"]
    assert "Three steps are needed, in this exact order." in {e.msgid for e in po.active()}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_files_get_the_mode_an_ordinary_write_gives(project, run, umask):
    assert run(project, "extract").exit_code == 0 and run(project, "update").exit_code == 0
    po, pot = project / "locales/es/LC_MESSAGES/content.po", project / "locales/content.pot"
    assert _mode(po) == _mode(pot) == 0o666 & ~umask  # new files
    po.chmod(0o664)
    pot.chmod(0o664)
    recs = project / "content/en/brief/recs.md"
    recs.write_text(recs.read_text(encoding="utf-8") + "\nOne more step.\n", encoding="utf-8")
    assert run(project, "extract").exit_code == 0 and run(project, "update").exit_code == 0
    assert "One more step." in po.read_text(encoding="utf-8")
    assert _mode(po) == _mode(pot) == 0o664  # rewritten, mode kept
    run(project, "check", "--review", "--no-rendered")
    assert _mode(project / "dist/review/es.html") == 0o666 & ~umask


def _update_killed_at_fsync(root: Path) -> int:
    """Run `briefgen update` in a process that is SIGKILLed once a new catalog's bytes are in its
    temporary file, before the rename."""
    code = ("import os, signal, sys\n"
            "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"
            "from briefgen.cli import main\n"
            "main(['--project', sys.argv[1], '-q', 'update'])\n")
    return subprocess.run([sys.executable, "-c", code, str(root)]).returncode


def _temporary_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "locales").rglob(".*.tmp"))


def _english_changed_and_extracted(project, run) -> tuple[Path, bytes]:
    """The Spanish content catalog up to date, then a new English sentence extracted: `update` has
    work to do. Returns the catalog and its bytes before that update."""
    assert run(project, "extract").exit_code == 0 and run(project, "update").exit_code == 0
    po = project / "locales/es/LC_MESSAGES/content.po"
    old = po.read_bytes()
    recs = project / "content/en/brief/recs.md"
    recs.write_text(recs.read_text(encoding="utf-8") + "\nOne more step.\n", encoding="utf-8")
    assert run(project, "extract").exit_code == 0
    return po, old


def test_a_killed_update_leaves_the_old_catalog_and_the_next_run_clears_its_temporary_file(project, run):
    po, old = _english_changed_and_extracted(project, run)
    assert _update_killed_at_fsync(project) == -signal.SIGKILL
    assert po.read_bytes() == old
    assert re.fullmatch(r"\.content\.po\.\d+\.[0-9a-f]{8}\.tmp", " ".join(_temporary_files(project)))
    # a temporary file of a live process, and one of another name, are not the stale ones
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = po.with_name(f".content.po.{sleeper.pid}.0123abcd.tmp")
        busy.write_bytes(b"being written")
        other = po.with_name(".content.po.notes.tmp")
        other.write_bytes(b"someone's")
        assert run(project, "update").exit_code == 0
        assert _temporary_files(project) == sorted([busy.name, other.name])
    finally:
        sleeper.kill()
        sleeper.wait()
    assert "One more step." in po.read_text(encoding="utf-8")


def test_a_catalog_killed_at_any_moment_holds_the_old_or_the_new_bytes(project, run):
    po, old = _english_changed_and_extracted(project, run)
    for delay in (0.05, 0.15, 0.25, 0.4, 0.6):
        po.write_bytes(old)
        proc = subprocess.Popen([sys.executable, "-m", "briefgen.cli", "--project", str(project), "-q", "update"])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = po.read_bytes()
        assert now == old or b"One more step." in now
        read_po(po)  # whole, whichever it is
    assert run(project, "update").exit_code == 0
    assert _temporary_files(project) == []


def test_leftovers_of_older_briefgen_writes_are_removed_once_they_are_old(tmp_path):
    from briefgen.writer import write_bytes

    stale, recent = tmp_path / ".x.po.ab_cd123.tmp", tmp_path / ".x.po.zz_yy987.tmp"  # tempfile.mkstemp's names
    stale.write_bytes(b"killed last week")
    os.utime(stale, (time.time() - 7 * 86400,) * 2)
    recent.write_bytes(b"maybe still being written")
    assert write_bytes(tmp_path / "x.po", b"new") == tmp_path / "x.po"
    assert sorted(p.name for p in tmp_path.iterdir()) == [recent.name, "x.po"]


def test_a_msgctxt_in_the_content_reaches_the_catalog_and_the_translation(project, run):
    from briefgen.pofile import format_po
    from conftest import es, translate_all
    from htmltree import parse_html

    findings = project / "content/en/findings.yaml"  # a finding titled as the figure is, meant otherwise
    findings.write_text(findings.read_text(encoding="utf-8").replace(
        "    title: Half of adults hold an account\n", "    msgctxt: finding\n    title: Account ownership\n"), encoding="utf-8")
    recs = project / "content/en/brief/recs.md"
    recs.write_text("---\nmsgctxt: closing section\n---\n" + recs.read_text(encoding="utf-8"), encoding="utf-8")
    assert run(project, "extract").exit_code == 0 and run(project, "update").exit_code == 0
    keys = {(e.msgctxt, e.msgid) for e in read_po(project / "locales/content.pot").entries}
    assert {(None, "Account ownership"), ("finding", "Account ownership"),
            ("closing section", "Recommendations"), ("closing section", "Three steps are needed, in this order."),
            ("finding", "CNBV and INEGI, *ENIF 2021*")} <= keys
    po_path = project / "locales/es/LC_MESSAGES/content.po"
    translate_all(po_path, es)
    po = read_po(po_path)
    po.index()[("finding", "Account ownership")].msgstr = "Tenencia de cuentas"
    po.index()[(None, "Account ownership")].msgstr = "Titularidad de cuentas"
    po_path.write_text(format_po(po), encoding="utf-8")
    translate_all(project / "locales/es/LC_MESSAGES/messages.po", es)
    result = run(project, "build", "--no-pdf", "--strict")
    assert result.exit_code == 0, result.output
    page = (project / "dist/site/es/brief/index.html").read_text(encoding="utf-8")
    tree = parse_html(page)  # each context's translation where that text is
    assert tree.find(id="finding-f1-title").text().endswith("Tenencia de cuentas")
    assert tree.find("figure", id="figure-enif").find("figcaption").text().endswith("Titularidad de cuentas")
    assert "ES Three steps are needed, in this order." in page
    assert run(project, "check", "--no-rendered").exit_code == 0


PLURAL_PO = '''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

#, python-format
msgid "%(n)s finding"
msgid_plural "%(n)s findings"
msgstr[0] "%(n)s hallazgo"
msgstr[1] "%(n)s hallazgos"
'''


def test_a_changed_plural_keeps_its_previous_msgid_plural_as_msgmerge_does(tmp_path):
    from briefgen.catalog import merge
    from briefgen.pofile import format_po

    (tmp_path / "old.po").write_text(PLURAL_PO, encoding="utf-8")
    pot = re.sub(r'(msgstr\[\d\]) ".*"', r'\1 ""', PLURAL_PO.replace("%(n)s find", "%(n)s key find"))
    (tmp_path / "new.pot").write_text(pot, encoding="utf-8")
    old, template = read_po(tmp_path / "old.po"), read_po(tmp_path / "new.pot")
    merged = format_po(merge(old, template, "es"))
    assert format_po(template) == pot and format_po(old) == PLURAL_PO  # the merge copied what it changed
    assert '#| msgid "%(n)s finding"\n#| msgid_plural "%(n)s findings"\nmsgid "%(n)s key finding"\n' in merged
    (tmp_path / "merged.po").write_text(merged, encoding="utf-8")
    assert format_po(read_po(tmp_path / "merged.po")) == merged  # read back whole
    if shutil.which("msgmerge"):
        gettext = subprocess.run(["msgmerge", "-q", "--previous", str(tmp_path / "old.po"), str(tmp_path / "new.pot")],
                                 capture_output=True, text=True, check=True).stdout
        assert gettext == merged
