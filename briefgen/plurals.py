"""Plural forms: the rule a new catalog gets, and reading the rule a catalog declares.

A catalog's `Plural-Forms` header is the rule: gettext, PO editors and briefgen all read it, and
its entries carry exactly `nplurals` forms. So the rule of a new catalog must not move with a
library upgrade. Babel 2.17 and later follow CLDR 46, which gives Spanish, French, Italian,
Portuguese and Catalan a third form (for "1 millón de ..."); GNU gettext's `msginit`, Poedit's and
Weblate's defaults and the existing catalogs of those languages keep two. New catalogs therefore
get `msginit`'s rule where it has one (the table below, gettext-tools 0.21, checked against
`msginit` by the tests), the conventional two forms for Catalan, else Babel's CLDR rule, else
the Germanic `n != 1`. A translator may change the header (Poedit: Translation > Properties);
`briefgen update` then gives every plural entry that many forms.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from typing import Callable

_TWO = "nplurals=2; plural=(n != 1);"
_EAST_SLAVIC = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
_CZECH = "nplurals=3; plural=(n==1) ? 0 : (n>=2 && n<=4) ? 1 : 2;"

#: GNU gettext-tools 0.21 `msginit` (plural-table.c): language -> Plural-Forms
GETTEXT_RULES = {
    **{lang: "nplurals=1; plural=0;" for lang in ("ja", "vi", "ko")},
    **{lang: _TWO for lang in ("en", "de", "nl", "sv", "da", "no", "nb", "nn", "fo", "es", "pt", "it", "bg", "el",
                               "fi", "et", "he", "eo", "hu", "tr")},
    "pt_BR": "nplurals=2; plural=(n > 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "lv": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n != 0 ? 1 : 2);",
    "ga": "nplurals=3; plural=n==1 ? 0 : n==2 ? 1 : 2;",
    "ro": "nplurals=3; plural=n==1 ? 0 : (n==0 || (n%100 > 0 && n%100 < 20)) ? 1 : 2;",
    "lt": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && (n%100<10 || n%100>=20) ? 1 : 2);",
    **{lang: _EAST_SLAVIC for lang in ("ru", "uk", "be", "sr", "hr")},
    "cs": _CZECH,
    "sk": _CZECH,
    "pl": "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "sl": "nplurals=4; plural=(n%100==1 ? 0 : n%100==2 ? 1 : n%100==3 || n%100==4 ? 2 : 3);",
}

#: languages msginit 0.21 has no rule for, whose catalogs (Weblate's default, Launchpad, Debian)
#: use two forms where CLDR 46 added a third for millions
CONVENTIONAL_RULES = {"ca": _TWO}
_RULES = {**GETTEXT_RULES, **CONVENTIONAL_RULES}


def default_plural_forms(lang: str) -> str:
    """The Plural-Forms header a new catalog for `lang` (e.g. "es", "pt-BR", "es_MX") gets."""
    parts = lang.replace("-", "_").split("_")
    parts = [parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]]  # pt-br -> pt_BR
    code = "_".join(parts)
    for key in (code, "_".join(parts[:2]), parts[0]):
        if key in _RULES:
            return _RULES[key]
    try:
        from babel.messages.plurals import get_plural

        rule = get_plural(code)
        return f"nplurals={rule.num_plurals}; plural={rule.plural_expr};"
    except Exception:  # a language Babel does not know still gets a usable catalog
        return _TWO


@dataclass(frozen=True)
class PluralRule:
    nplurals: int
    expression: str
    index: Callable[[int], int]

    def form(self, n: int) -> int:
        """The msgstr[i] index for the whole number n, kept within 0..nplurals-1."""
        try:
            i = int(self.index(whole_number(n)))
        except ArithmeticError:  # e.g. "n % 0": the header is wrong, the first form is the safe choice
            return 0
        return i if 0 <= i < self.nplurals else 0


class CountError(TypeError):
    """A plural was asked for with something that is not a whole number."""


def whole_number(n) -> int:
    """n as an int: ints and whole floats only (a count of 1.5 has no plural form in gettext)."""
    if isinstance(n, bool) or not isinstance(n, (int, float)) or (isinstance(n, float) and not n.is_integer()):
        raise CountError(f"a plural needs a whole number as its count, not {n!r}")
    return int(n)


GERMANIC = PluralRule(2, "(n != 1)", lambda n: int(n != 1))


def parse_plural_forms(value: str) -> PluralRule:
    """Read a `Plural-Forms` header value; ValueError (with what is wrong) when it is unusable."""
    fields = {}
    for part in value.split(";"):
        key, sep, val = part.partition("=")
        if sep:
            fields[key.strip()] = val.strip()
    try:
        nplurals = int(fields["nplurals"])
    except (KeyError, ValueError):
        raise ValueError(f"Plural-Forms {value!r} has no 'nplurals=<number>'") from None
    if not 1 <= nplurals <= 6:
        raise ValueError(f"Plural-Forms says nplurals={nplurals}; languages have 1 to 6 forms")
    expr = fields.get("plural")
    if not expr:
        raise ValueError(f"Plural-Forms {value!r} has no 'plural=<expression>'")
    try:
        func = gettext.c2py(expr)  # the standard library's own parser: C operators on n, nothing else
        func(1)
    except (ValueError, SyntaxError, RecursionError, ZeroDivisionError) as exc:
        raise ValueError(f"Plural-Forms expression {expr!r} is not a valid C expression in n ({exc})") from None
    for n in (*range(1001), 10_000, 100_000, 1_000_000):  # as msgfmt -c checks it
        try:
            i = func(n)
        except ArithmeticError:
            continue
        if not 0 <= i < nplurals:
            raise ValueError(f"Plural-Forms expression {expr!r} gives form {i} for n={n}, "
                             f"but nplurals={nplurals} allows 0 to {nplurals - 1}")
    return PluralRule(nplurals, expr, func)
