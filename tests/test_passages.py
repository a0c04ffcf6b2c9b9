"""PassageStore: an opened index's passages read from passages.jsonl on demand, behaving as the list it replaces."""
from __future__ import annotations

import json
import pickle

import pytest

from hopqa.passages import PassageStore
from hopqa.types import Passage

ROWS = [Passage(f"p{i}", f"Title {i}", f"Text with ünïcode {i} " + "word " * i) for i in range(7)]


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "passages.jsonl"
    path.write_text("".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in ROWS), encoding="utf-8")
    return PassageStore(path)


def test_store_reads_like_the_list(store):
    assert len(store) == len(ROWS) and store.ids == [p.id for p in ROWS]
    assert [store[i] for i in range(len(ROWS))] == ROWS
    assert store[-1] == ROWS[-1] and store[2:5] == ROWS[2:5] and list(store) == ROWS
    with pytest.raises(IndexError):
        store[len(ROWS)]


def test_store_survives_pickling_without_its_file_descriptor(store):
    assert store[3] == ROWS[3]  # opens the descriptor
    clone = pickle.loads(pickle.dumps(store))
    assert clone._fd is None and clone[3] == ROWS[3] and clone.ids == store.ids


def test_open_index_serves_passages_from_the_store(tmp_path):
    from hopqa.index import build_index, open_index
    from hopqa.corpus import Corpus

    from hopqa.config import IndexConfig

    built = build_index(Corpus(list(ROWS)), tmp_path / "store", config=IndexConfig(model="hash:64"))
    lazy, eager = open_index(built.path), open_index(built.path, mmap=False)
    assert isinstance(lazy.passages, PassageStore) and isinstance(eager.passages, list)
    assert list(lazy.passages) == eager.passages == ROWS and lazy.row == eager.row
    assert lazy.hit(4, 1.0) == eager.hit(4, 1.0)


def test_store_keeps_reading_the_file_it_scanned_when_a_new_one_is_swapped_in(store, tmp_path):
    fresh = tmp_path / "new.jsonl"
    fresh.write_text(json.dumps({"id": "other", "title": "", "text": "replaced"}) + "\n", encoding="utf-8")
    fresh.replace(store.path)  # what a rebuild's folder swap does to an open index's files
    assert store[5] == ROWS[5] and list(store) == ROWS
