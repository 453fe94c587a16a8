import time
from types import SimpleNamespace

import pytest

from playground.errors import SessionsFull
from playground.sessions import SessionStore, free_session, session_key


def test_one_object_per_session_and_cap():
    freed = []
    store = SessionStore("test lab", max_sessions=2, on_free=freed.append)
    a = store.get_or_create("a", lambda: ["A"])
    assert store.get_or_create("a", lambda: ["other"]) is a
    store.get_or_create("b", lambda: ["B"])
    with pytest.raises(SessionsFull, match="test lab is busy: 2 sessions"):
        store.get_or_create("c", lambda: ["C"])
    store.free("a")
    assert freed == [["A"]]
    assert store.get_or_create("c", lambda: ["C"]) == ["C"]
    store.clear()
    assert len(store) == 0


def test_idle_sessions_are_evicted_to_make_room():
    store = SessionStore("idle lab", max_sessions=1, idle_seconds=0.01)
    store.get_or_create("old", lambda: 1)
    time.sleep(0.05)
    assert store.get_or_create("new", lambda: 2) == 2
    assert "old" not in store
    store.clear()


def test_free_session_empties_every_store():
    s1, s2 = SessionStore("one"), SessionStore("two")
    req = SimpleNamespace(session_hash="abc")
    s1.get_or_create(session_key(req), lambda: 1)
    s2.get_or_create(session_key(req), lambda: 2)
    s2.get_or_create("other", lambda: 3)
    free_session(req)
    assert "abc" not in s1 and "abc" not in s2 and "other" in s2
    s2.clear()


def test_session_key_outside_gradio():
    assert session_key(None) == "local"
