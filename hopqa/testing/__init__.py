"""Test doubles that ship with hopqa (no network, no model): see `fake_llm.FakeLLMServer`."""
from .fake_llm import FakeLLMServer, Reply

__all__ = ["FakeLLMServer", "Reply"]
