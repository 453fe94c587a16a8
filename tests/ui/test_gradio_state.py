"""Gradio's per-session state made lean (playground.ui.gradio_state): the same mapping as Gradio's own, made
only when read."""

import pytest
from gradio import state_holder
from gradio.blocks import BlocksConfig

from playground.ui.app import build_demo
from playground.ui.gradio_state import LazyConfigs, LeanSessionState

GRADIOS_OWN = LeanSessionState.__bases__[0]


@pytest.fixture(scope="module")
def demo():
    return build_demo()


@pytest.fixture
def config_calls(monkeypatch):
    """How many block configs are made (Gradio's BlocksConfig.config_for_block, counted)."""
    calls = []
    made = BlocksConfig.config_for_block

    def counted(_id, *args, **kwargs):
        calls.append(_id)
        return made(_id, *args, **kwargs)

    monkeypatch.setattr(BlocksConfig, "config_for_block", staticmethod(counted))
    return calls


def test_the_app_makes_lean_states_for_its_sessions(demo):
    holder = state_holder.StateHolder()
    holder.set_blocks(demo)
    assert isinstance(holder["some-session"], LeanSessionState)
    assert GRADIOS_OWN.__name__ == "SessionState" and GRADIOS_OWN.__module__ == "gradio.state_holder"


def test_a_new_session_makes_no_config_until_one_is_read(demo, config_calls):
    GRADIOS_OWN(demo)
    made_by_gradio = len(config_calls)
    assert made_by_gradio == len(demo.blocks) > 200  # Gradio's own: one per block of the page, on creation
    config_calls.clear()
    lean = LeanSessionState(demo)
    assert config_calls == []
    key = next(iter(lean.config_values))
    first = lean.config_values[key]
    assert config_calls == [key] and lean.config_values[key] is first  # made once, then kept


def test_the_mapping_is_the_one_gradio_would_have_made(demo):
    """Keys in Gradio's order, every value equal, and every attribute Gradio's constructor sets."""
    own, lean = GRADIOS_OWN(demo), LeanSessionState(demo)
    assert list(lean.config_values) == list(own.config_values)
    assert len(lean.config_values) == len(own.config_values)
    assert dict(lean.config_values.items()) == own.config_values
    assert set(vars(lean)) == set(vars(own))


def test_changes_a_handler_makes_read_back_as_in_gradios_own(demo):
    """What Gradio does when an output changes (its value into the session's config; a block replaced), and
    what its deep-link route reads back (``components``: every config), the same for both."""
    own, lean = GRADIOS_OWN(demo), LeanSessionState(demo)
    textbox = next(k for k, b in demo.blocks.items() if type(b).__name__ == "Textbox")
    for state in (own, lean):
        state._update_value_in_config(textbox, "typed by a student")
    assert lean.config_values[textbox]["props"]["value"] == "typed by a student"
    assert list(lean.components) == list(own.components)


def test_lazy_configs_behave_as_a_mapping():
    class Config:
        blocks = {1: "a", 2: "b"}

        def config_for_block(self, key, _renderables, block):
            return {"id": key, "block": block}

    m = LazyConfigs(Config(), [1, 2])
    assert 1 in m and 3 not in m and len(m) == 2
    with pytest.raises(KeyError):
        m[3]
    m[3] = {"id": 3}
    assert list(m) == [1, 2, 3] and m[2] == {"id": 2, "block": "b"}
    del m[1]
    assert list(m) == [2, 3] and m.get(1) is None
