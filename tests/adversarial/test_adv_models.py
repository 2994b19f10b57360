"""A model name never reaches the network unless the user opted in (``--allow-download``, the
window's setting): a name that is not a built-in, a local folder or in the local Hugging Face
cache fails at once with a message that names it, where Inspector looked and how to opt in."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import huggingface_hub
import huggingface_hub.constants
import pytest

from inspector.cli import main
from inspector.core.errors import DataError
from inspector.core.map import embed, models

UNKNOWN = "no-such-org/no-such-model-3b7e"


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a connection is recorded and refused."""
    attempts: list[object] = []

    def refuse(*args: object, **_kw: object) -> None:
        attempts.append(args[1:] if len(args) > 1 else args)
        raise OSError("network use in a test that must stay offline")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An empty, private Hugging Face cache; downloads not allowed unless a test says so."""
    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv(models.ALLOW_DOWNLOAD_ENV, "0")
    return cache


class FakeTransformer(models.Embedder):
    """Stands in for a sentence-transformers model: records where it was loaded from."""

    loads: list[tuple[str, bool]] = []
    kind = "transformer"
    dim = 3

    def __init__(self, name: str, source: str, identity: str, local_files_only: bool) -> None:
        self.name, self.identity = name, identity
        FakeTransformer.loads.append((source, local_files_only))


@pytest.fixture
def fake_transformer(monkeypatch):
    FakeTransformer.loads = []
    monkeypatch.setattr(models, "TransformerEmbedder", FakeTransformer)
    models._LOADED.clear()
    yield FakeTransformer.loads
    models._LOADED.clear()


def test_unknown_name_fails_at_once_without_network(no_network, hub_cache):
    for attempt in (
        lambda: models.load_embedder(UNKNOWN),
        lambda: models.model_identity(UNKNOWN),
        lambda: embed.embed_texts(["a text"], UNKNOWN),
    ):
        with pytest.raises(DataError) as info:
            attempt()
        message = str(info.value)
        assert UNKNOWN in message
        assert str(hub_cache) in message  # where it looked
        assert "--allow-download" in message  # how to opt in
    assert no_network == []


def test_a_missing_folder_is_not_taken_for_a_hub_name(no_network, hub_cache, tmp_path):
    missing = tmp_path / "models" / "mine"
    with pytest.raises(DataError) as info:
        models.load_embedder(str(missing))
    assert str(missing) in str(info.value) and "no folder" in str(info.value)
    with pytest.raises(DataError):
        models.load_embedder("./not/here")
    assert no_network == []


def test_a_cached_hub_model_loads_offline(no_network, hub_cache, fake_transformer):
    repo = hub_cache / ("models--" + UNKNOWN.replace("/", "--"))
    snapshot = repo / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    embedder = models.load_embedder(UNKNOWN)
    assert fake_transformer == [(str(snapshot), True)]  # the local files, never the hub
    assert embedder.identity == f"hub:{UNKNOWN}@abc123"
    assert no_network == []


def test_with_the_opt_in_the_download_is_asked_for(hub_cache, fake_transformer, monkeypatch):
    asked: list[dict] = []
    downloaded = hub_cache / "downloaded" / "snap9"

    def snapshot_download(repo_id: str, **kw: object) -> str:
        asked.append({"repo_id": repo_id, **kw})
        downloaded.mkdir(parents=True)
        return str(downloaded)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    models.load_embedder(UNKNOWN, allow_download=True)
    assert [a["repo_id"] for a in asked] == [UNKNOWN]
    assert fake_transformer == [(str(downloaded), True)]  # loaded from what was downloaded


def test_the_opt_in_setting_reaches_core_through_the_environment(hub_cache, monkeypatch):
    asked: list[str] = []

    def snapshot_download(repo_id: str, **_kw: object) -> str:
        asked.append(repo_id)
        raise OSError("offline test: the download was asked for")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    models.set_downloads_allowed(True)
    try:
        with pytest.raises(DataError) as info:
            models.model_identity(UNKNOWN)
    finally:
        models.set_downloads_allowed(False)
    assert asked == [UNKNOWN]
    assert UNKNOWN in str(info.value) and "download" in str(info.value)
    assert not models.downloads_allowed()


def test_a_built_in_transformer_model_loads_with_the_network_refused(no_network, monkeypatch):
    monkeypatch.setattr(models, "_LOADED", {})  # a real load, not one kept from another test
    embedder = models.load_embedder(models.MINILM_NAME)
    assert embedder.encode(["a text"]).shape == (1, models.MINILM_DIM)
    assert no_network == []


def write_data(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": f"row {i}"}) + "\n" for i in range(5)))
    return path


@pytest.mark.parametrize("command", ["map", "analyze"])
def test_cli_refuses_an_unknown_model_in_one_line(command, tmp_path, no_network, hub_cache, capsys):
    data = write_data(tmp_path)
    args = [command, str(data), "--out", str(tmp_path / "out"), "--model", UNKNOWN]
    assert main([*args, "--project", str(tmp_path / "p.sqlite")]) != 0
    err = capsys.readouterr().err
    assert UNKNOWN in err and "--allow-download" in err
    assert "Traceback" not in err
    assert no_network == []


@pytest.mark.parametrize("command", ["map", "analyze", "learn"])
def test_every_command_with_model_takes_allow_download(command, tmp_path, monkeypatch):
    from inspector.cli import build_parser

    args = build_parser().parse_args(
        [command, "data.jsonl", "--out", str(tmp_path), "--model", UNKNOWN, "--allow-download"]
    )
    assert args.allow_download is True


def test_the_window_setting_opts_in_and_is_remembered(qtbot, monkeypatch):
    from PySide6.QtCore import QSettings

    from inspector.ui.map.map_setup_bar import DOWNLOAD_SETTING, MapSetupBar
    from inspector.ui.shell.app import configure_settings

    configure_settings()
    QSettings().remove(DOWNLOAD_SETTING)
    monkeypatch.setenv(models.ALLOW_DOWNLOAD_ENV, "0")
    try:
        bar = MapSetupBar()
        qtbot.addWidget(bar)
        assert not bar.download_box.isChecked() and not models.downloads_allowed()  # off by default
        bar.download_box.setChecked(True)
        assert models.downloads_allowed()
        monkeypatch.setenv(models.ALLOW_DOWNLOAD_ENV, "0")  # as in a new session
        again = MapSetupBar()
        qtbot.addWidget(again)
        assert again.download_box.isChecked() and models.downloads_allowed()  # remembered
        again.download_box.setChecked(False)
        assert not models.downloads_allowed()
        assert str(QSettings().value(DOWNLOAD_SETTING)) == "false"
    finally:
        QSettings().remove(DOWNLOAD_SETTING)


def test_the_window_map_worker_reports_the_refusal_in_words(tmp_path, hub_cache):
    """The map's worker process refuses the name too, and its message reaches the window as
    a DataError (shown in the map dock), not as a RuntimeError with a class name."""
    from inspector.core.jobs import Progress
    from inspector.core.map.process import compute_map_isolated
    from inspector.core.map.project_map import MapParams
    from inspector.core.project import open_project

    project = open_project(write_data(tmp_path), project_path=tmp_path / "p.sqlite")
    try:
        with pytest.raises(DataError) as info:
            compute_map_isolated(project, MapParams(model=UNKNOWN), Progress())
    finally:
        project.close()
    assert UNKNOWN in str(info.value) and "--allow-download" in str(info.value)
    assert "RuntimeError" not in str(info.value)
