"""A small error hierarchy. The CLI turns each into a one-line message and an exit code."""
from __future__ import annotations


class HopQAError(Exception):
    """Base class for every error hopqa raises on purpose."""

    exit_code = 1


class InputError(HopQAError):
    """Bad user input: a malformed corpus or dataset record, an empty question, a bad flag value."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, field: str | None = None):
        where = ""
        if file is not None:
            where = str(file)
            if line is not None:
                where += f":{line}"
            if field is not None:
                where += f": field '{field}'"
            where += ": "
        super().__init__(where + message)
        self.file, self.line, self.field = file, line, field


class IndexError_(HopQAError):
    """An index that is missing, already exists, or cannot be opened."""

    exit_code = 3


class IndexFormatError(IndexError_):
    """An index folder whose format version, files or sizes are not what the manifest promises."""


class ModelError(HopQAError):
    """An encoder model that cannot be loaded, or that does not match the index."""

    exit_code = 4


class LLMError(HopQAError):
    """The LLM endpoint is unreachable or keeps failing."""

    exit_code = 5


class LLMParseError(LLMError):
    """The LLM answered, but not in the shape the state asked for."""


class LLMContextError(LLMError):
    """The server refused a prompt longer than its context window (one call lost, not the endpoint)."""


__all__ = ["HopQAError", "InputError", "IndexError_", "IndexFormatError", "ModelError", "LLMError", "LLMParseError", "LLMContextError"]
