"""Declared sources (data/sources.toml) and where their files are: mirror, cache or download."""

from __future__ import annotations

import hashlib
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from observatory.contract.settings import Settings


@dataclass(frozen=True)
class SourceFile:
    source: str
    mirror_path: str
    url: str
    sha256: str
    release: str | None = None
    key: str | None = None
    load: bool = False
    download: bool = True
    encoding: str = "utf-8"
    note: str = ""

    @property
    def name(self) -> str:
        return Path(self.mirror_path).name


@dataclass(frozen=True)
class Declared:
    sources: dict[str, dict]
    files: list[SourceFile]

    def file(self, source: str, *, key: str | None = None, release: str | None = None) -> SourceFile:
        for f in self.files:
            if (
                f.source == source
                and (key is None or f.key == key)
                and (release is None or f.release == release)
            ):
                return f
        raise KeyError(f"no file declared for source {source!r} key={key!r} release={release!r}")

    def adapter(self, source: str) -> str:
        if source not in self.sources:
            known = ", ".join(s for s, v in self.sources.items() if v["adapter"] != "reference")
            raise KeyError(f"unknown source {source!r}; declared data sources: {known}, or 'generic'")
        return self.sources[source]["adapter"]


class FetchError(RuntimeError):
    """A declared file could not be found or downloaded: the message says what to do."""


def load_declared(settings: Settings) -> Declared:
    path = Path(settings.data_dir) / "sources.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    files = [SourceFile(**entry) for entry in raw.get("files", [])]
    for f in files:
        if f.source not in raw["sources"]:
            raise ValueError(f"{path.name}: file {f.mirror_path} names undeclared source {f.source!r}")
    return Declared(raw["sources"], files)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def locate(settings: Settings, f: SourceFile) -> Path:
    """The local path of a declared file: the mirror first, then the cache; never downloads."""
    if settings.mirror:
        candidate = Path(settings.mirror) / f.mirror_path
        if candidate.exists():
            got = sha256_of(candidate)
            if got != f.sha256:
                raise FetchError(
                    f"{candidate}: sha256 {got} does not match the declared {f.sha256} "
                    f"(a different release? declare it in data/sources.toml)"
                )
            return candidate
    cached = Path(settings.cache_dir) / f.mirror_path
    if cached.exists():
        return cached
    raise FetchError(_missing_message(settings, f))


def fetch(settings: Settings, f: SourceFile, *, progress: bool = True) -> Path:
    """Return a local copy of ``f``, downloading it into the cache when no mirror has it."""
    try:
        return locate(settings, f)
    except FetchError:
        if not f.download:
            raise
    target = Path(settings.cache_dir) / f.mirror_path
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        _download(f.url, partial, progress)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise FetchError(f"{_missing_message(settings, f)}\n  download failed: {exc}") from None
    got = sha256_of(partial)
    if got != f.sha256:
        partial.unlink(missing_ok=True)
        raise FetchError(f"{f.name}: downloaded from {f.url} but its sha256 is {got}, expected {f.sha256}")
    partial.replace(target)
    return target


def fetch_all(
    settings: Settings, *, only_load: bool = False, progress: bool = True
) -> list[tuple[SourceFile, Path]]:
    declared = load_declared(settings)
    out, errors = [], []
    for f in declared.files:
        if only_load and f.release and not f.load:
            continue
        try:
            out.append((f, fetch(settings, f, progress=progress)))
        except FetchError as exc:
            errors.append(str(exc))
    if errors:
        raise FetchError("\n".join(errors))
    return out


def _missing_message(settings: Settings, f: SourceFile) -> str:
    where = Path(settings.mirror or "<mirror>") / f.mirror_path
    how = f"it can be downloaded from {f.url}" if f.download else f"source: {f.url} ({f.note})"
    return (
        f"{f.name} ({f.source}{' ' + f.release if f.release else ''}) is missing: put it at {where} "
        f"(set OBSERVATORY_MIRROR to your mirror folder) or in {Path(settings.cache_dir) / f.mirror_path}; {how}"
    )


def _download(url: str, target: Path, progress: bool) -> None:
    import requests
    from tqdm import tqdm

    with requests.get(url, stream=True, timeout=60) as response:
        response.raise_for_status()
        total = int(response.headers.get("content-length") or 0) or None
        bar = tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            desc=target.name[:-5],
            disable=not progress,
            file=sys.stderr,
        )
        with open(target, "wb") as out, bar:
            for chunk in response.iter_content(1 << 16):
                out.write(chunk)
                bar.update(len(chunk))


def copy_into_cache(settings: Settings, f: SourceFile, path: Path) -> Path:
    """Used by tests and by people who received a file by e-mail: check it and keep it in the cache."""
    got = sha256_of(path)
    if got != f.sha256:
        raise FetchError(f"{path.name}: sha256 {got} does not match the declared {f.sha256}")
    target = Path(settings.cache_dir) / f.mirror_path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return target
