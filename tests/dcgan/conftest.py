"""DCGAN tests run torch on one thread: on a small shared machine two OpenMP threads that wait for each
other are many times slower than one (seen here: 0.6 s vs 0.02 s for a tiny forward pass)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
