"""Partial runs: which steps a run includes (steps=, from_steps=, to_steps=) and how each is run.

chain: prep -> train -> report. diamond: split -> (left, right) -> merge.
"""

from __future__ import annotations

import pytest

from jupyter_pipelines.engine.reuse import FORCED, NORMAL, PINNED
from jupyter_pipelines.engine.selection import select_steps
from jupyter_pipelines.errors import EngineError
from jupyter_pipelines.model.pipeline import Pipeline


def test_no_selection_runs_everything_by_fingerprint(chain: Pipeline, diamond: Pipeline) -> None:
    assert select_steps(chain.graph) == {"prep": NORMAL, "train": NORMAL, "report": NORMAL}
    assert select_steps(diamond.graph, [], None, ()) == dict.fromkeys(
        ["split", "left", "right", "merge"], NORMAL
    )


# -- steps= ------------------------------------------------------------------------------
def test_steps_runs_exactly_those_and_pins_their_upstream(chain: Pipeline) -> None:
    assert select_steps(chain.graph, steps=["train"]) == {"train": FORCED, "prep": PINNED}
    assert select_steps(chain.graph, steps="prep") == {"prep": FORCED}
    assert select_steps(chain.graph, steps=["report"]) == {
        "report": FORCED,
        "train": PINNED,
        "prep": PINNED,
    }


def test_steps_accepts_step_objects(chain: Pipeline) -> None:
    train = chain.graph.nodes["train"]["step"]
    assert select_steps(chain.graph, steps=[train]) == {"train": FORCED, "prep": PINNED}


def test_steps_in_a_diamond(diamond: Pipeline) -> None:
    assert select_steps(diamond.graph, steps=["merge"]) == {
        "merge": FORCED,
        "left": PINNED,
        "right": PINNED,
        "split": PINNED,
    }
    # Two selected steps, one upstream of the other: both run, neither is pinned.
    assert select_steps(diamond.graph, steps=["split", "left"]) == {
        "split": FORCED,
        "left": FORCED,
    }
    assert select_steps(diamond.graph, steps=["left", "right"]) == {
        "left": FORCED,
        "right": FORCED,
        "split": PINNED,
    }


# -- from_steps= -------------------------------------------------------------------------
def test_from_steps_runs_them_and_decides_downstream_by_fingerprint(chain: Pipeline) -> None:
    assert select_steps(chain.graph, from_steps=["train"]) == {
        "train": FORCED,
        "report": NORMAL,
        "prep": PINNED,
    }
    assert select_steps(chain.graph, from_steps="prep") == {
        "prep": FORCED,
        "train": NORMAL,
        "report": NORMAL,
    }


def test_from_steps_in_a_diamond_pins_the_other_branch(diamond: Pipeline) -> None:
    assert select_steps(diamond.graph, from_steps=["left"]) == {
        "left": FORCED,
        "merge": NORMAL,
        "split": PINNED,
        "right": PINNED,
    }


# -- to_steps= ---------------------------------------------------------------------------
def test_to_steps_leaves_out_downstream_steps(chain: Pipeline) -> None:
    assert select_steps(chain.graph, to_steps=["train"]) == {"prep": NORMAL, "train": NORMAL}
    assert select_steps(chain.graph, to_steps="prep") == {"prep": NORMAL}


def test_to_steps_in_a_diamond(diamond: Pipeline) -> None:
    assert select_steps(diamond.graph, to_steps=["left"]) == {"split": NORMAL, "left": NORMAL}
    assert select_steps(diamond.graph, to_steps=["left", "right"]) == {
        "split": NORMAL,
        "left": NORMAL,
        "right": NORMAL,
    }


# -- both --------------------------------------------------------------------------------
def test_from_and_to_select_the_steps_between(chain: Pipeline, diamond: Pipeline) -> None:
    assert select_steps(chain.graph, from_steps=["prep"], to_steps=["train"]) == {
        "prep": FORCED,
        "train": NORMAL,
    }
    assert select_steps(chain.graph, from_steps=["train"], to_steps=["train"]) == {
        "train": FORCED,
        "prep": PINNED,
    }
    assert select_steps(diamond.graph, from_steps=["left"], to_steps=["merge"]) == {
        "left": FORCED,
        "merge": NORMAL,
        "split": PINNED,
        "right": PINNED,
    }
    assert select_steps(diamond.graph, from_steps=["split"], to_steps=["right"]) == {
        "split": FORCED,
        "right": NORMAL,
    }


def test_from_and_to_without_a_path_between_them(diamond: Pipeline) -> None:
    with pytest.raises(EngineError, match=r"no path leads from \['right'\] to \['left'\]"):
        select_steps(diamond.graph, from_steps=["right"], to_steps=["left"])
    with pytest.raises(EngineError, match="select no step"):
        select_steps(diamond.graph, from_steps=["merge"], to_steps=["split"])


# -- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwarg", ["steps", "from_steps", "to_steps"])
def test_an_unknown_step_is_named_with_a_suggestion(chain: Pipeline, kwarg: str) -> None:
    with pytest.raises(EngineError, match=rf"{kwarg}: the pipeline has no step 'trian'") as info:
        select_steps(chain.graph, **{kwarg: ["trian"]})
    assert "train" in str(info.value).split("'trian'", 1)[1]  # did you mean 'train'


def test_steps_cannot_be_combined_with_from_or_to(chain: Pipeline) -> None:
    with pytest.raises(EngineError, match="either steps= or from_steps=/to_steps="):
        select_steps(chain.graph, steps=["train"], from_steps=["prep"])
    with pytest.raises(EngineError, match="either steps= or from_steps=/to_steps="):
        select_steps(chain.graph, steps=["train"], to_steps=["report"])
