"""The building blocks of the control API's JSON, shared by :mod:`~tradetui.control.wire` and
:mod:`~tradetui.control.wire_history`.

Each value travels as a *document*: a ``TypedDict`` (or a tuple) of its fields, whose types say
how each field is written and how strictly it is read. :class:`Document` ties a dataclass to its
document; :class:`Codec` is a pydantic ``TypeAdapter`` that dumps a value as JSON-ready data and
loads it back, a malformed document raising ``ValueError`` naming what is wrong and where.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from pydantic import ConfigDict, GetCoreSchemaHandler, PlainSerializer, PlainValidator, TypeAdapter, ValidationError
from pydantic_core import CoreSchema, ErrorDetails, core_schema
from typing_extensions import is_typeddict

T = TypeVar("T")


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"expected a decimal string, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"expected a finite decimal, got {value!r}")
    return number


def _float_money(value: Any) -> float:
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"not an amount: {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"not a finite amount: {value!r}")
        return number
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected an amount (a decimal string), got {value!r}")
    return float(value)  # a bare number, as engines older than money strings sent it


Amount = Annotated[Decimal, PlainValidator(_amount), PlainSerializer(str, return_type=str)]
"""Money held as a Decimal: a string on the wire, read back digit for digit (a string or an
integer; never a float, NaN or infinite)."""

FloatMoney = Annotated[float, PlainValidator(_float_money), PlainSerializer(lambda v: repr(float(v)), return_type=str)]
"""Money the read model holds as a float (a stop level, a turnover): a string too (``repr``, so it
reads back to the same float)."""


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class Document:
    """``Annotated[SomeDataclass, Document(SomeDoc)]``: the dataclass travels as ``doc``.

    ``doc`` is a ``TypedDict`` whose keys are the dataclass's fields (``renamed`` maps a key that
    differs to its field; a field the document lacks takes its default), or a tuple type of the
    fields in order. Read, the document is validated and the dataclass built from it (so its own
    checks run); written, the dataclass's fields fill the document.
    """

    doc: Any
    renamed: Mapping[str, str] = field(default_factory=dict)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        if is_typeddict(self.doc):
            keys = {key: self.renamed.get(key, key) for key in self.doc.__annotations__}

            def build(data: Any) -> Any:
                return source(**{keys[key]: value for key, value in data.items()})

            def split(value: Any) -> Any:
                return {key: getattr(value, name) for key, name in keys.items()}

        else:

            def build(data: Any) -> Any:
                return source(*data)

            def split(value: Any) -> Any:
                return tuple(getattr(value, name) for name in source.__dataclass_fields__)

        schema = handler.generate_schema(self.doc)
        return core_schema.no_info_after_validator_function(
            build,
            schema,
            serialization=core_schema.wrap_serializer_function_ser_schema(
                lambda value, dump: dump(split(value)), schema=schema
            ),
        )


@dataclass(frozen=True)
class _SchemaOf:
    tp: Any

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return handler.generate_schema(self.tp)


_CONFIG = ConfigDict(ser_json_inf_nan="constants")
"""A float (in ``params``, ``metrics``) goes out as it is: ``NaN`` and ``Infinity`` stay, as
Python's ``json`` writes them, rather than becoming null."""

_PLAIN = {"dict_type": "expected an object", "tuple_type": "expected a list", "list_type": "expected a list"}


def _problem(error: ErrorDetails) -> str:
    if error["type"] == "value_error":  # raised by a check here or by the dataclass
        return str(error.get("ctx", {}).get("error", error["msg"]))
    plain = _PLAIN.get(error["type"])
    if plain is not None:
        return f"{plain}, got {type(error['input']).__name__}"
    return f"{error['msg']}, got {reprlib.repr(error['input'])}"


def _path(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


class Codec(Generic[T]):
    """A wire type: ``dump`` turns a ``T`` into JSON-ready data, ``load`` reads it back.

    A malformed document raises ``ValueError``: ``"<what>: bad '<field>': <why>"``, ``"<what>:
    missing '<field>'"``, or ``"<what>: <why>"`` when the document as a whole is wrong. ``where``
    words the field's place differently (the score grid names strategy and market).
    """

    def __init__(self, tp: Any, what: str, where: Callable[[tuple[int | str, ...]], str] | None = None) -> None:
        # pydantic takes no config for a dataclass at the root; for Any built as ``tp`` it does
        self._adapter: TypeAdapter[T] = TypeAdapter(Annotated[Any, _SchemaOf(tp)], config=_CONFIG)
        self.what = what
        self._where = where

    def dump(self, value: T) -> Any:
        return self._adapter.dump_python(value, mode="json")

    def load(self, data: Any) -> T:
        try:
            return self._adapter.validate_python(data)
        except ValidationError as exc:
            raise ValueError(self._message(exc.errors(include_url=False)[0])) from None

    def _message(self, error: ErrorDetails) -> str:
        loc, problem = error["loc"], _problem(error)
        if self._where is not None:
            return f"{self.what}{self._where(loc)}: {problem}"
        if not loc:
            return f"{self.what}: {problem}"
        if error["type"] == "missing":
            return f"{self.what}: missing {_path(loc)!r}"
        return f"{self.what}: bad {_path(loc)!r}: {problem}"
