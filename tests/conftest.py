"""Shared fixtures: a store built once per session from the bundled sample, with the real
bundled embedder (fast, offline)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import BUNDLED_SOURCES, Settings
from assistant.core import Assistant

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = BUNDLED_SOURCES / "guangzhou_fao_2024_project_performance_targets.md"


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store folder holding the ingested sample; treat as read-only (copy it to change it)."""
    store = tmp_path_factory.mktemp("store")
    Assistant(Settings.load(env={}, store=store)).ingest([SAMPLE])
    return store


@pytest.fixture
def store_copy(sample_store: Path, tmp_path: Path) -> Path:
    """A private copy of the sample store that a test may change."""
    dest = tmp_path / "store"
    shutil.copytree(sample_store, dest)
    return dest


@pytest.fixture(scope="session")
def settings(sample_store: Path) -> Settings:
    """Offline settings (no environment) pointing at the sample store."""
    return Settings.load(env={}, store=sample_store)


@pytest.fixture(scope="session")
def assistant(settings: Settings) -> Assistant:
    """One assistant over the sample store, shared by the session."""
    return Assistant(settings)
