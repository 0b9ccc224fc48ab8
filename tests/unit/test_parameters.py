"""PipelineParameter: typing by default value, coercion of submitted values, resolution."""

from __future__ import annotations

import re

import pytest

from jupyter_pipelines.errors import ModelError, ParameterError
from jupyter_pipelines.model.parameters import (
    PipelineParameter,
    coerce_value,
    resolve_parameter_values,
    type_name_of,
)


@pytest.mark.parametrize(
    ("default", "type_name"),
    [
        ("text", "string"),
        ("", "string"),
        (3, "int"),
        (0.5, "float"),
        (True, "bool"),
        (False, "bool"),
    ],
)
def test_type_is_taken_from_the_default(default: object, type_name: str) -> None:
    param = PipelineParameter("p", default)
    assert param.type_name == type_name
    assert type_name_of(default) == type_name
    assert param.default_value == default


@pytest.mark.parametrize("default", [None, [1], {"a": 1}, b"bytes", (1, 2)])
def test_default_of_another_type_is_refused(default: object) -> None:
    with pytest.raises(
        ParameterError, match=r"expected a str, int, float, bool, a dataset or a DataPath"
    ):
        PipelineParameter("p", default)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "   ", None])
def test_parameter_needs_a_name(name: object) -> None:
    with pytest.raises(ParameterError, match=r"needs a non-empty 'name'"):
        PipelineParameter(name, 1)  # type: ignore[arg-type]


def test_parameter_error_is_a_model_error() -> None:
    with pytest.raises(ModelError):
        PipelineParameter("p", None)  # type: ignore[arg-type]


def test_description_and_repr() -> None:
    param = PipelineParameter("lr", 0.1, description="learning rate")
    assert param.description == "learning rate"
    assert repr(param) == "PipelineParameter(name='lr', default_value=0.1)"


@pytest.mark.parametrize(
    ("default", "text", "expected"),
    [
        (1, "3", 3),
        (1, " 42 ", 42),
        (1, "-7", -7),
        (0.1, "0.5", 0.5),
        (0.1, "2", 2.0),
        (0.1, "1e-3", 0.001),
        (False, "true", True),
        (False, "True", True),
        (False, "YES", True),
        (False, "on", True),
        (False, "1", True),
        (True, "false", False),
        (True, "no", False),
        (True, "off", False),
        (True, "0", False),
        ("a", "hello", "hello"),
        ("a", "3", "3"),
    ],
)
def test_command_line_strings_are_coerced(default: object, text: str, expected: object) -> None:
    value = PipelineParameter("p", default).coerce(text)  # type: ignore[arg-type]
    assert value == expected
    assert type(value) is type(default)


@pytest.mark.parametrize(
    ("default", "value", "expected"),
    [(1, 4, 4), (1, 3.0, 3), (0.5, 2, 2.0), ("s", 3, "3"), ("s", 0.5, "0.5"), (True, False, False)],
)
def test_native_values_are_converted(default: object, value: object, expected: object) -> None:
    result = PipelineParameter("p", default).coerce(value)  # type: ignore[arg-type]
    assert result == expected
    assert type(result) is type(default)


@pytest.mark.parametrize(
    ("default", "value", "type_name"),
    [
        (1, "three", "int"),
        (1, "3.5", "int"),
        (1, 3.5, "int"),
        (1, None, "int"),
        (1, [3], "int"),
        (0.5, "fast", "float"),
        (0.5, None, "float"),
        (True, "maybe", "bool"),
        (True, 2, "bool"),
        (True, None, "bool"),
        ("s", None, "string"),
        ("s", ["a"], "string"),
    ],
)
def test_wrong_values_name_the_parameter_and_type(
    default: object, value: object, type_name: str
) -> None:
    param = PipelineParameter("epochs", default)  # type: ignore[arg-type]
    expected = (
        f"parameter 'epochs' expects a {type_name} value, got {value!r} ({type(value).__name__})"
    )
    with pytest.raises(ParameterError, match=re.escape(expected)):
        param.coerce(value)


@pytest.mark.parametrize(("default", "value"), [(1, True), (1, False), (0.5, True), ("s", True)])
def test_a_bool_is_not_accepted_as_a_number_or_string(default: object, value: bool) -> None:
    type_name = type_name_of(default)
    with pytest.raises(
        ParameterError, match=rf"expects a {type_name} value, got {value!r} \(bool\)"
    ):
        PipelineParameter("p", default).coerce(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1, 0])
def test_a_number_is_not_accepted_as_a_bool(value: int) -> None:
    with pytest.raises(ParameterError, match=rf"expects a bool value, got {value} \(int\)"):
        PipelineParameter("flag", True).coerce(value)


def test_unknown_type_name_is_reported() -> None:
    with pytest.raises(ParameterError, match=r"parameter 'p' has unknown type 'complex'"):
        coerce_value("p", "complex", 1)


DECLARED = {
    "learning_rate": PipelineParameter("learning_rate", 0.01),
    "epochs": PipelineParameter("epochs", 10),
    "use_gpu": PipelineParameter("use_gpu", False),
}


@pytest.mark.parametrize("overrides", [None, {}])
def test_resolve_without_overrides_gives_the_defaults(overrides: dict[str, object] | None) -> None:
    assert resolve_parameter_values(DECLARED, overrides) == {
        "learning_rate": 0.01,
        "epochs": 10,
        "use_gpu": False,
    }


def test_resolve_coerces_overrides_and_keeps_other_defaults() -> None:
    values = resolve_parameter_values(DECLARED, {"epochs": "3", "use_gpu": "true"})
    assert values == {"learning_rate": 0.01, "epochs": 3, "use_gpu": True}
    assert type(values["epochs"]) is int
    assert DECLARED["epochs"].default_value == 10


def test_resolve_unknown_name_lists_known_names_and_suggests_one() -> None:
    expected = (
        "unknown pipeline parameter 'learning_rat' (did you mean \"learning_rate\"?); "
        "the pipeline declares: epochs, learning_rate, use_gpu"
    )
    with pytest.raises(ParameterError, match=re.escape(expected)):
        resolve_parameter_values(DECLARED, {"learning_rat": 0.1})


def test_resolve_unknown_name_without_a_close_match_has_no_suggestion() -> None:
    with pytest.raises(ParameterError, match=r"unknown pipeline parameter 'zzz'; ") as info:
        resolve_parameter_values(DECLARED, {"zzz": 1})
    assert "did you mean" not in str(info.value)


def test_resolve_against_no_parameters_says_none() -> None:
    with pytest.raises(ParameterError, match=r"the pipeline declares: none"):
        resolve_parameter_values({}, {"x": 1})


def test_resolve_reports_every_problem_at_once() -> None:
    overrides = {"epocs": 3, "learning_rate": "fast", "use_gpu": "maybe", "batch": 64}
    with pytest.raises(ParameterError, match=r"unknown pipeline parameter 'epocs'") as info:
        resolve_parameter_values(DECLARED, overrides)
    message = str(info.value)
    assert "unknown pipeline parameter 'epocs' (did you mean \"epochs\"?)" in message
    assert "parameter 'learning_rate' expects a float value, got 'fast'" in message
    assert "parameter 'use_gpu' expects a bool value, got 'maybe'" in message
    assert "unknown pipeline parameter 'batch'" in message
