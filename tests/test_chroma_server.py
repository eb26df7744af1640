"""The same store code against a real Chroma server (`chroma run`), the way users scale out."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.core import Assistant
from tests.fakes import HashEmbeddings
from tests.servers import free_port
from tests.tables import SAMPLE

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    exe = str(CHROMA) if CHROMA.exists() else shutil.which("chroma")
    assert exe, "the chroma CLI (from the chromadb package) is missing"
    port = free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path_factory.mktemp("chroma")), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start within 30 s")
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_and_search_through_a_chroma_server(chroma_server, tmp_path):
    settings = Settings.load(env={}, store=tmp_path / "s", chroma_host="127.0.0.1", chroma_port=chroma_server)
    a = Assistant(settings, embedder=HashEmbeddings())
    a.ingest([SAMPLE])
    a.ingest([SAMPLE])  # a new generation; the old collection is pruned on the next swap
    assert a.store.manifest()["chroma"] == "server"
    hits = a.store.search("广州外事英文网运营天数", k=3)
    assert len(hits) == 3 and all("project_id" in meta for _, _, meta in hits)
    assert a.store._open_collection().count() == 76
    assert not (tmp_path / "s" / a.store.generation() / "chroma").exists()
    answer = a.ask("Which projects target 365 service days?")
    assert {f.value for f in answer.figures} == {"411.00"}


def test_unreachable_chroma_server_is_one_clear_error(tmp_path):
    from assistant.errors import StoreError

    settings = Settings.load(env={}, store=tmp_path / "s", chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreError, match="chroma run"):
        Assistant(settings, embedder=HashEmbeddings()).ingest([SAMPLE])
