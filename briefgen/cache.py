"""The build cache: PDFs keyed by content hashes of everything that goes into them.

A PDF's key hashes its print HTML (which already holds the translated text, the templates'
output and the formatted dates), the stylesheets, fonts and images it loads, the PDF options
and the code that renders it (briefgen, Python, installed libraries: `code_version`). A
corrupt or old-format cache is ignored and rebuilt, never trusted.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import __version__
from .config import Project, build_time
from .fonts import FONT_SUFFIXES
from .writer import write_bytes, write_text

FORMAT = 2  # 2: several versions per PDF (1, one version, is read as well)


def digest(*parts: bytes | str) -> str:
    """One hash of the parts, each preceded by its length (so no two lists of parts give the same
    bytes, whatever the parts hold)."""
    h = hashlib.sha256()
    for p in parts:
        data = p.encode("utf-8") if isinstance(p, str) else p
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def files_digest(project: Project, files) -> str:
    """The names and bytes of `files`."""
    parts = []
    for p in files:
        parts += [p.relative_to(project.root).as_posix() if p.is_relative_to(project.root) else str(p), p.read_bytes()]
    return digest(*parts)


def config_digest(project: Project, variant: str) -> str:
    data = {"source": project.source_language, "targets": project.target_languages, "documents": project.documents,
            "site": project.site_url, "variant": variant, "locales": project.locales, "fonts": project.fonts}
    return digest(json.dumps(data, sort_keys=True))


def code_version() -> str:
    """briefgen's version and the code behind it: an edited briefgen (an editable install keeps its
    version), another Python or an upgraded library (WeasyPrint's layout, Babel's data) would
    render other bytes, so none of them may reuse what the old code built."""
    from .codekey import code_key

    return f"{__version__}+{code_key()[:20]}"


def inputs_digest(project: Project, **options) -> str:
    """Everything a build reads: sources, catalogs, templates, configuration, options, version.
    Font files count by what stat says of them, not by their bytes (reading the 11 MB of them was
    a fifth of a no-op rebuild, 0.02 s): size, modification time, device and inode, and the
    inode's change time, which any write sets and no tool can set back (`cp -p` over a font keeps
    its inode and copies the time). Everything else counts by its bytes."""
    parts = [code_version(), json.dumps(options, sort_keys=True), str(build_time())]
    for p in _source_files(project.content_dir) + _source_files(project.locales_dir) + _templates(project):
        if p.suffix.lower() in FONT_SUFFIXES:
            st = p.stat()
            parts += [p.relative_to(project.root).as_posix(),
                      f"{st.st_size} {st.st_mtime_ns} {st.st_dev} {st.st_ino} {st.st_ctime_ns}"]
        else:
            parts += [p.relative_to(project.root).as_posix(), p.read_bytes()]
    if project.config_file is not None and project.config_file.exists():
        parts.append(project.config_file.read_bytes())
    return digest(*parts)


def _source_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _templates(project: Project) -> list[Path]:
    """Every regular file under templates/, as the rest of briefgen reads them (a located error for a
    symlink leaving the project, linking to a folder or looping: briefgen.webpolicy.template_files)."""
    from .webpolicy import template_files

    return template_files(project.templates_dir, project.root.resolve())


def _dist_state(dist: Path) -> dict:
    return {p.relative_to(dist).as_posix(): [p.stat().st_size, p.stat().st_mtime_ns]
            for p in sorted(dist.rglob("*")) if p.is_file() and not p.relative_to(dist).parts[0] == "deposit"}


REASONS = {
    "html": "its text, translation or templates changed",
    "assets": "a stylesheet, font or image changed",
    "config": "the configuration or PDF variant changed",
    "version": "briefgen, Python or an installed library changed",
}

# Several versions of each PDF are kept (PDF/UA from `build` and PDF/A from `publish`, the text
# before and after an edit), the least recently used going first beyond either bound.
MAX_VERSIONS = 4  # per PDF
MAX_BYTES = 256 * 2**20  # for the whole store; what the last build used always stays


def _entry_ok(e) -> bool:
    return (isinstance(e, dict) and isinstance(e.get("key"), str) and isinstance(e.get("parts"), dict)
            and isinstance(e.get("sha256"), str))


def _valid(entries) -> dict:
    """The well-formed entries of a manifest's table (rel -> entry); anything else is dropped."""
    if not isinstance(entries, dict):
        return {}
    return {rel: e for rel, e in entries.items() if isinstance(rel, str) and _entry_ok(e)}


def _versions(table) -> dict[str, list[dict]]:
    """rel -> its well-formed versions, most recently used first (format 1 kept one entry per PDF)."""
    out = {}
    for rel, versions in table.items() if isinstance(table, dict) else ():
        versions = [versions] if isinstance(versions, dict) else versions
        good = [e for e in versions if _entry_ok(e)] if isinstance(rel, str) and isinstance(versions, list) else []
        if good:
            out[rel] = good
    return out


class Cache:
    """PDF bytes by key, with a manifest that remembers why each output was built."""

    def __init__(self, project: Project, enabled: bool = True):
        self.dir = project.cache_dir / "pdf"
        self.manifest_path = project.cache_dir / "manifest.json"
        self.enabled = enabled
        self.note = ""
        self.outputs: dict = {}  # the PDFs of the last build: rel -> entry
        self.kept: dict = {}  # every version the store holds: rel -> [entry, most recently used first]
        self.generation = 0  # counts the builds that saved the manifest: an entry's "used" is the last one
        self.used: dict = {}
        self.last: dict = {}
        self.project = project
        self._template_assets: str | None = None
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.note = "no cache yet"
            return
        except (OSError, ValueError):
            self.note = "cache manifest unreadable: ignored"
            return
        if not isinstance(data, dict) or data.get("format") not in (1, FORMAT) or not isinstance(data.get("outputs"), dict):
            self.note = "cache from another briefgen format: ignored"
            return
        self.outputs = _valid(data["outputs"])
        self.kept = _versions(data.get("kept"))
        for rel, entry in self.outputs.items():
            if all(e["key"] != entry["key"] for e in self.kept.get(rel, [])):
                self.kept[rel] = [entry, *self.kept.get(rel, [])]
        generation = data.get("generation")
        self.generation = generation if isinstance(generation, int) else 0
        self.last = data if isinstance(data.get("dist"), dict) else {}

    def assets_key(self, extra: list[Path]) -> str:
        """The digest of the files a PDF loads: everything under templates/ that is not a template
        (stylesheets, fonts), read once per build (the 11 MB of fonts took 0.025 s for each PDF,
        before the first one could start), and `extra` (its images)."""
        if self._template_assets is None:
            files = [p for p in _templates(self.project) if p.suffix != ".html"]
            self._template_assets = files_digest(self.project, files)
        return digest(self._template_assets, files_digest(self.project, sorted(set(extra))))

    def lookup(self, rel: str, parts: dict) -> tuple[bytes | None, str]:
        """Cached bytes for an output (or None) and why it is reused or rebuilt."""
        key = digest(json.dumps(parts, sort_keys=True))
        if not self.enabled:
            return None, "rebuilt: cache disabled (--no-cache)"
        versions = self.kept.get(rel)
        if not versions:
            return None, f"rebuilt: not in the cache ({self.note or 'first build'})"
        entry = next((e for e in versions if e["key"] == key), None)
        if entry is None:
            latest = versions[0]["parts"]
            changed = [REASONS.get(k, k) for k in parts if latest.get(k) != parts[k]]
            return None, "rebuilt: " + ("; ".join(changed) or "inputs changed")
        try:
            data = (self.dir / f"{key}.pdf").read_bytes()
        except OSError:
            return None, "rebuilt: cached file missing"
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            return None, "rebuilt: cached file corrupt"
        self.used[rel] = {**entry, "size": len(data)}
        if entry is versions[0]:
            return data, "reused: inputs unchanged"
        return data, "reused: inputs as in an earlier build (a cached version)"

    def store(self, rel: str, parts: dict, data: bytes) -> None:
        if not self.enabled:
            return
        key = digest(json.dumps(parts, sort_keys=True))
        write_bytes(self.dir / f"{key}.pdf", data)
        self.used[rel] = {"key": key, "parts": parts, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def unchanged(self, fingerprint: str, dist: Path) -> bool:
        """True when the inputs equal the last build's and dist/ is exactly as that build left it."""
        if not self.enabled or self.last.get("inputs") != fingerprint or not dist.is_dir():
            return False
        try:
            return _dist_state(dist) == self.last["dist"]
        except OSError:
            return False

    def pdfs(self) -> list[str]:
        return sorted(self.outputs)

    def warnings(self) -> list[str]:
        return list(self.last.get("warnings", []))

    def _bounded(self, kept: dict) -> dict:
        """At most MAX_VERSIONS per PDF and MAX_BYTES in all, the most recently used first; what
        this build used always stays."""
        ordered = sorted(((-e.get("used", 0), i, rel, e) for rel, versions in kept.items()
                          for i, e in enumerate(versions[:MAX_VERSIONS])), key=lambda t: t[:3])
        out, total = {}, 0
        for _, _, rel, e in ordered:
            size = e.get("size")
            if not isinstance(size, int):
                try:
                    size = e["size"] = (self.dir / f"{e['key']}.pdf").stat().st_size
                except OSError:
                    continue  # its file is gone
            if e.get("used") != self.generation and total + size > MAX_BYTES:
                continue
            total += size
            out.setdefault(rel, []).append(e)
        return out

    def save(self, fingerprint: str, dist: Path, warnings: list[str], pdf: bool = True) -> None:
        """Remember the build's inputs, and the PDFs it used as the most recent versions; a build
        without PDFs (`--no-pdf`, `serve`) keeps what the store holds for the next."""
        if not self.enabled:
            return
        self.generation += 1
        kept = {rel: list(versions) for rel, versions in self.kept.items()}
        for rel, entry in self.used.items():
            entry = {**entry, "used": self.generation}
            kept[rel] = [entry, *(e for e in kept.get(rel, []) if e["key"] != entry["key"])]
        kept = self._bounded(kept)
        keep = {e["key"] for versions in kept.values() for e in versions}
        write_text(self.manifest_path, json.dumps(
            {"format": FORMAT, "version": __version__, "generation": self.generation, "outputs": self.used,
             "kept": kept, "inputs": fingerprint, "dist": _dist_state(dist), "warnings": warnings},
            indent=1, sort_keys=True))
        for path in self.dir.glob("*.pdf"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)


class CatalogsDone:
    """What the last successful `extract` (or `update`) read and wrote, as one digest in
    .briefgen-cache/catalogs.json: a run that finds the same has nothing to do and says so at once.
    It saves loading and linting every source (0.15 s of a no-op `extract` on this project) and
    merging every catalog; any change to a source, template, POT or PO file, the configuration,
    SOURCE_DATE_EPOCH or briefgen itself makes the next run do the work."""

    def __init__(self, project: Project, kind: str):
        self.project, self.kind = project, kind
        self.path = project.cache_dir / "catalogs.json"

    def _files(self) -> list[Path]:
        p = self.project
        pots = [p.pot_path(domain) for domain in ("content", "messages")]
        if self.kind == "extract":
            templates = [f for f in _templates(p) if f.suffix in (".html", ".svg")]
            return sorted(_source_files(p.content_dir) + templates) + pots
        return pots + [p.po_path(lang, domain) for lang in p.target_languages for domain in ("content", "messages")]

    def _key(self) -> str:
        parts = [self.kind, code_version(), str(build_time())]
        for f in [*self._files(), *([self.project.config_file] if self.project.config_file else [])]:
            try:
                parts += [f.relative_to(self.project.root).as_posix(), f.read_bytes()]
            except (OSError, ValueError):
                parts += [str(f), "absent"]
        return digest(*parts)

    def unchanged(self) -> bool:
        try:
            return json.loads(self.path.read_text(encoding="utf-8")).get(self.kind) == self._key()
        except (OSError, ValueError, AttributeError):
            return False

    def remember(self) -> None:
        """Called after a successful run, so the key covers what it wrote."""
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            stored = stored if isinstance(stored, dict) else {}
        except (OSError, ValueError):
            stored = {}
        try:
            write_text(self.path, json.dumps({**stored, self.kind: self._key()}, sort_keys=True))
        except OSError:
            pass  # a read-only project: it is only a shortcut
