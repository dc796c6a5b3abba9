"""The translators' commands, extract and update: what they write, what they say, and how their
files look to the other people and programs on the machine."""
from __future__ import annotations

from pathlib import Path

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
