"""Pictures written once, and the caches of results that name them: a result whose file has gone is computed
again, wherever in the result the file is named (a tuple, a list, a dict of outputs by name)."""

import os

import numpy as np
import pytest

from playground.ui.pictures import ResultCache, cached_pictures, files_exist, picture_file


def _picture(level: int) -> str:
    return picture_file(np.full((8, 8, 3), level, np.uint8), "png")


@pytest.mark.parametrize("shape", [lambda p: (p, "note"), lambda p: [[p]], lambda p: {"output": p, "notes": "x"},
                                   lambda p: {"gallery": [p], "first": {"outputs": (None, p)}}])
def test_a_result_naming_a_deleted_picture_is_computed_again(shape):
    calls = []

    def compute():
        calls.append(1)
        return shape(_picture(40 + len(calls)))

    cache = ResultCache()
    first = cache.get_or_compute("key", compute)
    assert files_exist(first) and cache.get_or_compute("key", compute) is first and len(calls) == 1
    os.remove(_picture(41))  # Gradio's cleanup deleted the file
    assert not files_exist(first)
    again = cache.get_or_compute("key", compute)
    assert len(calls) == 2 and files_exist(again)

    @cached_pictures
    def view(level):
        calls.append(1)
        return shape(_picture(level))

    kept = view(60)
    os.remove(_picture(60))
    assert view(60) == kept and len(calls) == 4 and files_exist(kept)  # the same picture, written again
