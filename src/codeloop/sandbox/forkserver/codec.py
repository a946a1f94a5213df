"""The data that crosses between a trusted harness and an untrusted program: plain values only.

Standard library only, importable from the host (``codeloop.sandbox.forkserver.codec``) and by bare name in
the fork server. A tagged JSON encoding of the exact types None, bool, int, float, complex, str,
bytes, list, tuple, dict, set and frozenset, nested, with size and depth capped; the decoder builds
fresh objects of those exact types, so nothing the program sends can run on the harness's side.
On the program's side, Counter, OrderedDict and defaultdict travel as dict, a namedtuple as a
tuple, and a subclass that adds nothing as its base type; any other value with behaviour of its
own (a class with ``__eq__``, an ``int`` subclass overriding anything) is refused with a message
naming its type; a value of a type the program did not define (``re.Match``, which MBPP's
``assert f(x)`` tests get) crosses as its type's name and truth value only, worth exactly a
``bool``. Containers carry ids, so aliasing and cycles survive and a container the harness sent
can be restored in place (copy-restore). Messages are length-prefixed JSON (``Channel``).
"""

from __future__ import annotations

import binascii
import builtins
import collections
import json
import os
import struct
import types

MAX_MESSAGE = 64 << 20  # bytes in one message
MAX_DEPTH = 400         # nesting of one value
MAX_ERROR_CHARS = 4096  # exception messages and tracebacks
_HEADER = struct.Struct(">I")
# One encoder and decoder for every message: json.dumps with options builds an encoder per call.
_ENCODE = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_DECODE = json.JSONDecoder().decode
_PLAIN_BASES = (bool, int, float, complex, str, bytes, list, tuple, dict, set, frozenset)
_DICT_LIKE = (collections.Counter, collections.OrderedDict, collections.defaultdict)
# What a subclass may define and still travel as its plain base: bookkeeping only.
_INERT = {"__module__", "__qualname__", "__doc__", "__slots__", "__dict__", "__weakref__",
          "__annotations__", "__orig_bases__", "__parameters__", "__firstlineno__", "__static_attributes__"}


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message of plain values."""


class Unsupported(Exception):
    """A value that may not cross: its type has behaviour of its own."""


# --- framing ----------------------------------------------------------------------------------
class Channel:
    """Length-prefixed JSON messages over a pair of pipes, read through a buffer (one ``read``
    per message in the common case)."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd, self.wfd = rfd, wfd
        self.buffer = bytearray()

    def send(self, message: object) -> None:
        data = _ENCODE(message).encode()
        if len(data) > MAX_MESSAGE:
            raise Unsupported(f"a message of {len(data)} bytes exceeds the {MAX_MESSAGE}-byte limit")
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(self.wfd, view):]

    def _fill(self, size: int) -> None:
        while len(self.buffer) < size:
            chunk = os.read(self.rfd, max(1 << 16, size - len(self.buffer)))
            if not chunk:
                raise EOFError("the other side closed the channel")
            self.buffer += chunk

    def receive(self) -> object:
        self._fill(_HEADER.size)
        (size,) = _HEADER.unpack_from(self.buffer)
        if size > MAX_MESSAGE:
            raise ProtocolError(f"a message of {size} bytes exceeds the {MAX_MESSAGE}-byte limit")
        self._fill(_HEADER.size + size)
        data = self.buffer[_HEADER.size:_HEADER.size + size]
        del self.buffer[:_HEADER.size + size]
        try:
            return _DECODE(data.decode())
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError included
            raise ProtocolError(f"malformed message: {error}") from None


# --- values -----------------------------------------------------------------------------------
def _plain_type(value: object) -> type:
    """The plain type ``value`` travels as, or Unsupported naming its own type."""
    kind = type(value)
    if kind in _PLAIN_BASES or value is None:
        return kind
    if isinstance(value, _DICT_LIKE) and kind in _DICT_LIKE:
        return dict
    if isinstance(value, tuple) and hasattr(kind, "_fields") and kind.__eq__ is tuple.__eq__ \
            and kind.__hash__ is tuple.__hash__:
        return tuple  # a namedtuple: compares as the tuple it is
    base = next((b for b in _PLAIN_BASES if isinstance(value, b)), None)
    name = _type_name(kind)
    if base is not None:
        own = {key for cls in kind.__mro__ if cls not in (base, object) and cls not in base.__mro__
               for key in vars(cls) if key not in _INERT}
        if not own:
            return base
        raise Unsupported(f"a value of type {name} (a subclass of {base.__name__} that defines "
                          f"{', '.join(sorted(own)[:4])}) cannot be compared as plain data")
    raise Unsupported(f"a value of type {name} is not plain data (allowed: None, bool, int, float, "
                      "complex, str, bytes, list, tuple, dict, set, frozenset)")


def _type_name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__qualname__


def _opaque(value: object) -> dict | None:
    """A value of a type the program did not define (``re.Match``), as its type's name and its
    truth value only: no equality, no other behaviour, so it is worth exactly a ``bool``."""
    kind = type(value)
    if kind.__module__ in ("solution", "__main__") or isinstance(value, type | types.ModuleType) or callable(value):
        return None
    try:
        return {"O": _type_name(kind)[:200], "truth": bool(value)}
    except Exception:
        return None


class Encoder:
    """Encodes plain values; containers get ids so aliasing and cycles survive, and ids given by
    ``known`` (object id -> wire id) are kept, so the other side can restore those objects."""

    def __init__(self, known: dict[int, int] | None = None, handle: object = None, opaque_ok: bool = False) -> None:
        self.opaque_ok = opaque_ok  # the program's side: see _opaque
        self.known = dict(known or {})
        self.seen: dict[int, int] = {}
        self.next_id = max(self.known.values(), default=0) + 1
        self.handle = handle  # callable(value) -> handle id or None, for values that may travel as handles
        self.objects: dict[int, object] = {}  # wire id -> the container encoded under it

    def __call__(self, value: object, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise Unsupported(f"a value nested deeper than {MAX_DEPTH} levels")
        kind = type(value)
        if kind is str or kind is bool or value is None or (kind is int and -(1 << 53) < value < (1 << 53)):
            return value  # the common scalars, first
        if kind is float:  # exactly float: never a handle or a built-in
            return {"f": value.hex()}
        if self.handle is not None:
            found = self.handle(value)
            if found is not None:
                return found if type(found) is dict else {"h": found}
        try:
            kind = _plain_type(value)
        except Unsupported:
            if self.opaque_ok and (opaque := _opaque(value)) is not None:
                return opaque
            raise
        if value is None or kind is bool or kind is str:
            return value if kind is not str else str(value)
        if kind is int:
            number = int(value)
            return number if -(1 << 53) < number < (1 << 53) else {"I": format(number, "x")}
        if kind is float:
            return {"f": float(value).hex()}
        if kind is complex:
            return {"c": [value.real.hex(), value.imag.hex()]}
        if kind is bytes:
            return {"b": binascii.b2a_base64(bytes(value), newline=False).decode()}
        ref = self.seen.get(id(value))
        if ref is not None:
            return {"r": ref}
        ident = self.known.get(id(value))
        if ident is None:
            ident, self.next_id = self.next_id, self.next_id + 1
        self.seen[id(value)] = ident
        self.objects[ident] = value
        if kind is dict:
            items = [[self(k, depth + 1), self(v, depth + 1)] for k, v in list(dict.items(value))]
            return {"d": items, "id": ident}
        tag = {list: "l", tuple: "t", set: "s", frozenset: "F"}[kind]
        return {tag: [self(item, depth + 1) for item in list(kind.__iter__(value))], "id": ident}


_BUILTIN_NAMES = {id(obj): name for name, obj in vars(builtins).items()
                  if callable(obj) and not name.startswith("_")}


def builtin_by_name(value: object) -> str | None:
    """The name of a built-in type or function (``int``, ``len``), which the harness may pass
    to the program by name; None for anything else."""
    name = _BUILTIN_NAMES.get(id(value))
    return name if name is not None and getattr(builtins, name) is value else None


class Decoder:
    """Builds fresh plain objects from the wire; ``restore`` (wire id -> object) names objects
    of ours whose new state is written into them in place instead. Built-ins by name: the
    program's side accepts any (``builtins_ok=True``), the harness only built-in types and only
    in the arguments it gets back (``builtins_ok="types"``)."""

    def __init__(self, restore: dict[int, object] | None = None, handle: object = None,
                 builtins_ok: bool | str = False) -> None:
        self.restore = restore or {}
        self.built: dict[int, object] = {}
        self.handle = handle  # callable(handle id) -> object
        self.builtins_ok = builtins_ok

    def __call__(self, data: object, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise ProtocolError(f"a value nested deeper than {MAX_DEPTH} levels")
        if data is None or type(data) in (bool, int, str):
            return data
        if type(data) is not dict or not data:
            raise ProtocolError(f"unexpected {type(data).__name__} on the wire")
        try:
            if "f" in data:
                return float.fromhex(data["f"])
            if "I" in data:
                return int(data["I"], 16)
            if "c" in data:
                real, imag = data["c"]
                return complex(float.fromhex(real), float.fromhex(imag))
            if "b" in data:
                return binascii.a2b_base64(data["b"], strict_mode=True)
            if "r" in data:
                return self.built[data["r"]]
            if "h" in data:
                if self.handle is None:
                    raise ProtocolError("a handle where none may be")
                return self.handle(data["h"])
            if "O" in data:
                if type(data["O"]) is not str or type(data["truth"]) is not bool:
                    raise ProtocolError("malformed opaque value")
                return Opaque(data["O"][:200], data["truth"])
            if "B" in data:
                found = getattr(builtins, data["B"], None)
                if not ((self.builtins_ok is True and callable(found))
                        or (self.builtins_ok == "types" and isinstance(found, type))):
                    raise ProtocolError("a built-in where none may be")
                return found
            return self._container(data, depth)
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise ProtocolError(f"malformed value: {error!r}") from None

    def _container(self, data: dict, depth: int) -> object:
        ident = data["id"]
        if type(ident) is not int or ident in self.built:
            raise ProtocolError("a container id used twice")
        tag = next(iter(data.keys() - {"id"}))
        items = data[tag]
        if type(items) is not list:
            raise ProtocolError("container items must be a list")
        mutable = {"l": list, "d": dict, "s": set}.get(tag)
        target = self.restore.get(ident)
        if mutable is not None:
            if target is not None and type(target) is not mutable:
                raise ProtocolError("a restored container changed its type")
            fresh = mutable()
            self.built[ident] = target if target is not None else fresh
            if tag == "d":
                fresh.update((self(k, depth + 1), self(v, depth + 1)) for k, v in items)
            else:
                (fresh.extend if tag == "l" else fresh.update)(self(item, depth + 1) for item in items)
            if target is not None:
                if tag == "l":
                    target[:] = fresh
                else:
                    target.clear()
                    target.update(fresh)
            return self.built[ident]
        if tag not in ("t", "F"):
            raise ProtocolError(f"unknown tag {tag!r}")
        value = (tuple if tag == "t" else frozenset)(self(item, depth + 1) for item in items)
        self.built[ident] = value
        return value


class Opaque:
    """On the harness's side, a value of a type the program did not define: its type's name and
    a truth value; equal only to itself."""

    __slots__ = ("truth", "type_name")

    def __init__(self, type_name: str, truth: bool) -> None:
        self.type_name, self.truth = type_name, truth

    def __bool__(self) -> bool:
        return self.truth

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def decode_plain(data: object) -> object:
    """A plain value from the wire, with no handles and nothing restored."""
    return Decoder()(data)
