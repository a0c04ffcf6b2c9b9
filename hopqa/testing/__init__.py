"""Test doubles that ship with hopqa (no network, no model): `fake_llm.FakeLLMServer` (an OpenAI-compatible server
with scripted replies) and `fake_lm.ScriptedLM` (a language model for the reader, scripted by question)."""
from .fake_llm import FakeLLMServer, Reply
from .fake_lm import ScriptedLM

__all__ = ["FakeLLMServer", "Reply", "ScriptedLM"]
