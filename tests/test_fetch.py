"""Declared sources are found in the mirror, else downloaded (checksum checked) into the cache."""

from __future__ import annotations

import hashlib
import http.server
import threading
from functools import partial

import pytest

from observatory.__main__ import main
from observatory.build.sources import FetchError, SourceFile, fetch, load_declared, locate
from tests.conftest import FIXTURES, MIRROR, needs_mirror

PAYLOAD = (FIXTURES / "files" / "sidpol_ok.csv").read_bytes()


@pytest.fixture
def server(tmp_path):
    """A file server on 127.0.0.1 standing in for the publisher's site."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "release.csv").write_bytes(PAYLOAD)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def declared_file(url: str, sha: str | None = None) -> SourceFile:
    return SourceFile(
        source="pe_sidpol_vcm",
        release="test",
        mirror_path="real/test/release.csv",
        url=url,
        sha256=sha or hashlib.sha256(PAYLOAD).hexdigest(),
    )


def test_a_file_missing_from_the_mirror_is_downloaded_checked_and_cached(settings, server, tmp_path):
    settings = settings.model_copy(update={"mirror": str(tmp_path / "empty-mirror")})
    f = declared_file(f"{server}/release.csv")
    path = fetch(settings, f, progress=False)
    assert path == tmp_path / "cache" / "real" / "test" / "release.csv"
    assert path.read_bytes() == PAYLOAD
    assert locate(settings, f) == path  # the next call uses the cache, no download


def test_a_download_with_the_wrong_checksum_is_refused(settings, server, tmp_path):
    settings = settings.model_copy(update={"mirror": str(tmp_path / "empty-mirror")})
    f = declared_file(f"{server}/release.csv", sha="0" * 64)
    with pytest.raises(FetchError) as info:
        fetch(settings, f, progress=False)
    assert "sha256" in str(info.value) and "release.csv" in str(info.value)
    assert not (tmp_path / "cache" / "real" / "test" / "release.csv").exists()


def test_a_file_that_cannot_be_found_says_what_it_is_and_where_to_put_it(settings, server, tmp_path):
    settings = settings.model_copy(update={"mirror": str(tmp_path / "empty-mirror")})
    f = declared_file(f"{server}/gone.csv")
    with pytest.raises(FetchError) as info:
        fetch(settings, f, progress=False)
    message = str(info.value)
    assert "release.csv (pe_sidpol_vcm test) is missing" in message
    assert f"put it at {tmp_path / 'empty-mirror' / 'real/test/release.csv'}" in message
    assert f"{server}/gone.csv" in message
    assert "404" in message


@needs_mirror
def test_every_declared_file_is_in_the_mirror_with_its_checksum(settings):
    declared = load_declared(settings)
    for f in declared.files:
        assert locate(settings, f).is_relative_to(MIRROR)


@needs_mirror
def test_a_mirror_file_with_another_checksum_is_refused(settings, tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "real" / "test").mkdir(parents=True)
    (mirror / "real" / "test" / "release.csv").write_bytes(PAYLOAD + b"2024,4,10101,A,B,C,1\n")
    with pytest.raises(FetchError) as info:
        locate(settings.model_copy(update={"mirror": str(mirror)}), declared_file("http://127.0.0.1:9/x"))
    assert "does not match the declared" in str(info.value)


@needs_mirror
def test_fetch_command_lists_the_files(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("OBSERVATORY_CACHE", str(tmp_path / "cache"))
    assert main(["fetch", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Base_Datos_Denuncias_Violencia_2018_Nov2025.csv" in out
    assert "Base_datos_Violencia_contra_la_mujer_IGF_a_marzo_2025.xlsx" not in out  # not loaded by default
