"""One torch thread for these tests: the networks are tiny, and on a busy 2-core machine a second
intra-op thread makes each step ~30x slower (measured) instead of faster."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
