"""An opened index's passages, read from passages.jsonl on demand instead of held as Python objects.

At a million passages the objects alone took over a gigabyte of a served index's memory; `PassageStore` keeps only
each line's byte offset (8 bytes a passage) and id, and reads a passage with one `os.pread` when a hit needs its text.
It reads the file with ordinary buffered reads, not a memory map, so the pages it scanned at open are not counted in
the process's resident set. It is a `Sequence[Passage]`: `len`, indexing, slicing and iteration (which streams the
file) behave as the list it replaces.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator, Sequence, overload

import numpy as np

from .types import Passage

__all__ = ["PassageStore"]


class PassageStore(Sequence[Passage]):
    def __init__(self, path: Path):
        self.path = Path(path)
        # Opened once, before the scan: offsets and reads refer to the same file even if a rebuild or `hopqa index
        # add` swaps a new folder in meanwhile (as the memory-mapped arrays do).
        self._fd: int | None = os.open(self.path, os.O_RDONLY)
        starts, ids, pos = [], [], 0
        with open(os.dup(self._fd), "rb") as fh:
            for line in fh:
                if line.strip():
                    starts.append(pos)
                    ids.append(json.loads(line)["id"])  # KeyError / ValueError: the caller names the file
                pos += len(line)
        self._start = np.asarray(starts, dtype=np.int64)
        self._end = np.append(self._start[1:], pos) if len(starts) else np.zeros(0, np.int64)
        self.ids: list[str] = ids

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, i: int) -> Passage: ...

    @overload
    def __getitem__(self, i: slice) -> list[Passage]: ...

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"passage row {i} out of range (0..{len(self) - 1})")
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        start = int(self._start[i])
        d = json.loads(os.pread(self._fd, int(self._end[i]) - start, start))
        return Passage(d["id"], d.get("title", ""), d["text"])

    def __iter__(self) -> Iterator[Passage]:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        with open(os.dup(self._fd), "rb") as fh:
            fh.seek(0)
            for line in fh:
                if line.strip():
                    d = json.loads(line)
                    yield Passage(d["id"], d.get("title", ""), d["text"])

    def __getstate__(self) -> dict:  # a file descriptor does not cross processes (Ray workers): reopened there
        state = dict(self.__dict__)
        state["_fd"] = None
        return state

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
