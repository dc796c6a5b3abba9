"""The PO writer wraps strings as GNU gettext does: rules shown on examples, then compared with
msgcat on generated text and on the real catalogs."""
from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefgen.pofile import Entry, PoFile, format_po, read_po
from briefgen.powrap import wrap
from conftest import REPO

HAVE_MSGCAT = shutil.which("msgcat") is not None
HEADER = Entry(msgid="", msgstr="Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
                                "Plural-Forms: nplurals=2; plural=(n != 1);\n")


def msgcat(text: str, tmp_path) -> str:
    path = tmp_path / "in.po"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(["msgcat", "--force-po", str(path)], capture_output=True, text=True)  # also a lone header
    assert result.returncode == 0, result.stderr
    return result.stdout


CASES = {
    # a CJK character takes two columns: 38 of them fill a line (76 of the 77 columns)
    "wide": ("人" * 50, [], ['msgid ""', f'"{"人" * 38}"', f'"{"人" * 12}"']),
    # no break at a no-break space: the line ends before "49,1" (with a space: after it)
    "nbsp": ("Survivors" + " x" * 28 + " hold 49,1\u00a0% of accounts", [],
             ['msgid ""', '"Survivors' + " x" * 28 + ' hold "', '"49,1\u00a0% of accounts"']),
    "space": ("Survivors" + " x" * 28 + " hold 49,1 % of accounts", [],
              ['msgid ""', '"Survivors' + " x" * 28 + ' hold 49,1 "', '"% of accounts"']),
    # a soft hyphen is a break opportunity inside a word
    "soft hyphen": ("Finanzinklusion" + "." * 41 + " Gemeinschafts\u00adaufgabe und mehr", [],
                    ['msgid ""', '"Finanzinklusion' + "." * 41 + ' Gemeinschafts\u00ad"', '"aufgabe und mehr"']),
    # never inside a python-format directive ("% d" has a space), unless the entry is no format
    "directive": ("A count" + "." * 63 + " of % d items", ["python-format"],
                  ['#, python-format', 'msgid ""', '"A count' + "." * 63 + ' of "', '"% d items"']),
    "no directive": ("A count" + "." * 63 + " of % d items", [],
                     ['msgid ""', '"A count' + "." * 63 + ' of % "', '"d items"']),
    # an unbreakable string stays on its line however long; a no-wrap entry is not wrapped
    "unbreakable": ("a" * 90, [], [f'msgid "{"a" * 90}"']),
    "no-wrap": ("word " * 20, ["no-wrap"], ["#, no-wrap", f'msgid "{"word " * 20}"']),
    # an escape sequence stays whole, and a line ends after "\n"
    "escapes": ('Say "yes"\nor "no", then wait', [], ['msgid ""', '"Say \\"yes\\"\\n"', '"or \\"no\\", then wait"']),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_strings_are_wrapped_by_gettext_rules(case, tmp_path):
    value, flags, expected = CASES[case]
    text = format_po(PoFile(HEADER, [Entry(msgid=value, flags=flags)]))
    assert text.split("\n\n")[1].splitlines() == [*expected, 'msgstr ""']
    if HAVE_MSGCAT:
        assert msgcat(text, tmp_path) == text


def test_obsolete_entries_write_their_previous_msgid_as_gettext_does():
    entry = Entry(msgid="Old text", msgstr="Texto viejo", previous_msgid="Older text", flags=["fuzzy", "c-like"],
                  obsolete=True)
    assert format_po(PoFile(HEADER, [entry])).split("\n\n")[1].splitlines() == [
        "#, fuzzy", '#~| msgid "Older text"', '#~ msgid "Old text"', '#~ msgstr "Texto viejo"']


# Characters PO files contain: Spanish and other Latin text, CJK, Arabic, Hebrew, Thai, emoji
# (with skin tones, ZWJ sequences, flags), combining marks, no-break and zero-width spaces, soft
# hyphens, escapes, controls; and pieces: long URLs, python-format directives, words.
CHARS = (" abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?'\"()[]{}<>/\\-_+*=#&@%$|~^`"
         "áéíóúñüÁÉÑ¿¡«»“”‘’—–…€£§°· 人生而自由，在尊严和权利上一律平等。「」ひらがなカタカナー한국어ＡＢ１"
         "الشمول المالي ١٢٣ שלום-עולם ภาษาไทย e\u0301\u0308 \u00a0\u00ad\u200b\u2060\u202f\u3000\t\n\x01\x7f\u2028")
PIECES = ["https://www.worldbank.org/en/publication/globalfindex/Report/data?id=1&x=2",
          "http://example.org/" + "a" * 70, "%(count)s", "%d", "% d", "%%", "%(", "%5.2f", "%-*d",
          "👩🏽‍💼", "🏦", "🇲🇽", "🇪🇸🇲🇽", "👨‍👩‍👧", "✅", "❤\ufe0f", "survivors ", "financial inclusion ",
          "\u05d0-\u05d1", "\r\n"]
TEXT = st.lists(st.one_of(st.sampled_from(CHARS), st.sampled_from(PIECES)), max_size=90).map("".join)


@st.composite
def entries(draw):
    out = []
    for i in range(draw(st.integers(1, 6))):
        entry = Entry(msgid=f"{i} {draw(TEXT)}", msgstr=draw(TEXT),
                      msgctxt=draw(st.none() | TEXT), flags=draw(st.sampled_from([[], ["fuzzy"], ["python-format"],
                                                                                ["no-wrap"]])))
        if draw(st.booleans()):
            entry.msgid_plural, entry.msgstr_plural = draw(TEXT), {0: draw(TEXT), 1: draw(TEXT)}
        if draw(st.integers(0, 4)) == 0:
            entry.previous_msgid = draw(TEXT)
        entry.obsolete = draw(st.integers(0, 5)) == 0
        out.append(entry)
    return out


@pytest.mark.skipif(not HAVE_MSGCAT, reason="GNU gettext (msgcat) not installed")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries())
def test_wrapping_matches_msgcat_on_generated_text(tmp_path, entries):
    text = format_po(PoFile(HEADER, entries))
    assert msgcat(text, tmp_path) == text


@pytest.mark.skipif(not HAVE_MSGCAT, reason="GNU gettext (msgcat) not installed")
def test_wrapping_matches_msgcat_on_the_real_translations_at_every_width(tmp_path):
    """Every real msgstr, as an active entry, an obsolete one and a previous msgid (lines 3 or 4
    columns narrower); the catalogs as they stand are compared in test_real_project."""
    real = [e for path in sorted((REPO / "locales").rglob("*.po")) for e in read_po(path).entries if e.msgstr]
    assert len(real) > 100  # the catalogs hold some 150 translations
    out = []
    for i, e in enumerate(real):
        out.append(Entry(msgid=f"{i} {e.msgid}", msgstr=e.msgstr, previous_msgid=e.msgstr, flags=["fuzzy"]))
        out.append(Entry(msgid=f"{i} obsolete", msgstr=e.msgstr, previous_msgid=e.msgid, obsolete=True))
    text = format_po(PoFile(HEADER, out))
    assert msgcat(text, tmp_path) == text


def test_wrap_keeps_keyword_and_text_on_one_line_when_they_fit():
    assert wrap("msgid", "Key insights") == ['msgid "Key insights"']
    assert wrap("msgstr", "") == ['msgstr ""']
    assert wrap("msgid", "Line\n") == ['msgid "Line\\n"']
    assert wrap("msgid", "Line\nmore") == ['msgid ""', '"Line\\n"', '"more"']


def _libunistring_1_0() -> bool:
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("unistring") or "libunistring.so.2")
        return ctypes.c_int.in_dll(lib, "_libunistring_version").value == 0x10000
    except (OSError, ValueError):
        return False


@pytest.mark.skipif(not _libunistring_1_0(), reason="the data comes from libunistring 1.0 (Debian 12)")
def test_line_break_data_is_what_libunistring_holds():
    result = subprocess.run([sys.executable, str(REPO / "scripts/linebreak_data.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
