"""Calls from a trusted harness into an untrusted program, as data only.

Standard library only: the fork server preloads this module, so both sides of a paired run
(``Run(harness=...)``) have it without compiling anything per run.

The program side (``serve``) loads the program as the module ``solution`` and answers requests;
the harness side (``Remote``) hands the harness's code proxies for the program's functions and
classes. What crosses the pipe is a tagged JSON encoding of plain values only: the exact types
None, bool, int, float, complex, str, bytes, list, tuple, dict, set and frozenset, nested. The
harness decodes it into fresh objects of those exact types, so nothing the program sends can run
on the harness's side. On the program side, Counter, OrderedDict and defaultdict travel as dict,
a namedtuple as a tuple, and a subclass that adds nothing as its base type; any other value with
behaviour of its own (a class with ``__eq__``, an ``int`` subclass overriding anything) is refused
with a message naming its type. Two kinds of handles are the exceptions: an iterator or generator
a call returns, which the harness can only step through (each value plain), and an instance made
by calling one of the program's classes, which the harness can only pass back, read attributes
of and call methods on. A handle compares by identity on the harness's side.

Mutable arguments follow copy-restore: after each call the program sends back the state of the
containers it was given, and the harness writes it into its own objects in place, so a test that
checks an argument the function mutated still works, aliasing included.
"""

from __future__ import annotations

import base64
import builtins
import collections
import collections.abc
import json
import os
import struct
import sys
import traceback
import types

MAX_MESSAGE = 64 << 20  # bytes in one message
MAX_DEPTH = 400         # nesting of one value
MAX_ERROR_CHARS = 4096  # exception messages and tracebacks
_HEADER = struct.Struct(">I")
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
        data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
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
        data = bytes(self.buffer[_HEADER.size:_HEADER.size + size])
        del self.buffer[:_HEADER.size + size]
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as error:
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
            return {"b": base64.b64encode(bytes(value)).decode()}
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
                return base64.b64decode(data["b"], validate=True)
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


# --- the program's side -------------------------------------------------------------------------
def _describe_error(error: BaseException, skip_file: str) -> dict:
    base = next(cls for cls in type(error).__mro__
                if (cls.__module__ == "builtins" and issubclass(cls, Exception)) or cls is BaseException)
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == skip_file:
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(error), error, tb))
    return {"base": base.__name__, "message": str(error)[:MAX_ERROR_CHARS],
            "traceback": text[-MAX_ERROR_CHARS:]}


class _Server:
    """The program's side: its namespace, and the objects the harness holds handles to."""

    def __init__(self, namespace: dict) -> None:
        self.namespace = namespace
        self.handles: dict[int, object] = {}
        self.by_object: dict[int, int] = {}

    def keep(self, value: object) -> int:
        ident = self.by_object.get(id(value))
        if ident is None:
            ident = self.by_object[id(value)] = len(self.handles) + 1
            self.handles[ident] = value
        return ident

    def existing(self, value: object) -> int | None:
        ident = self.by_object.get(id(value))
        return ident if ident is not None and self.handles[ident] is value else None

    def resolve(self, target: object) -> object:
        if type(target) is not dict:
            raise ProtocolError("bad target")
        if "name" in target:
            return self.namespace[target["name"]]
        if "h" in target:
            return self.handles[target["h"]]
        owner, name = target["attr"]
        return getattr(self.resolve(owner), name)

    def describe(self, value: object) -> object:
        """A global or attribute: a class, a function, a module's name, plain data, or else a handle."""
        if isinstance(value, types.ModuleType):
            return {"module": value.__name__}
        if isinstance(value, type):
            return "class"
        if callable(value):
            return "function"
        try:
            return {"value": Encoder(handle=self.existing, opaque_ok=True)(value)}
        except Unsupported:
            return {"value": {"h": self.keep(value)}}

    def decoder(self) -> Decoder:
        return Decoder(handle=lambda ident: self.handles[ident], builtins_ok=True)

    def answer(self, request: dict) -> dict:
        op = request["op"]
        if op == "describe":
            return {"names": {name: self.describe(self.namespace[name]) if name in self.namespace else "missing"
                              for name in request["names"]}}
        if op == "next":
            try:
                return {"value": Encoder(handle=self.existing, opaque_ok=True)(next(self.handles[request["h"]]))}
            except StopIteration:
                return {"stop": True}
        if op == "getattr":
            return {"attr": self.describe(self.resolve(request["target"]))}
        if op == "setattr":
            setattr(self.resolve(request["target"]), request["name"], self.decoder()(request["value"]))
            return {}
        return self.call(request)

    def call(self, request: dict) -> dict:
        """Call, then send back the arguments' new state and the result: a class's instance or an
        iterator as a handle, built-ins by name, anything else only as plain data."""
        decoder = self.decoder()
        args = [decoder(arg) for arg in request["args"]]
        kwargs = {key: decoder(value) for key, value in request["kwargs"]}
        function = self.resolve(request["target"])
        result = function(*args, **kwargs)
        fresh = isinstance(function, type) or isinstance(result, collections.abc.Iterator)

        def as_handle(value: object) -> object:
            if value is result:
                return self.keep(value) if fresh else self.existing(value)
            name = builtin_by_name(value)
            return {"B": name} if name is not None else self.existing(value)

        encoder = Encoder({id(obj): ident for ident, obj in decoder.built.items()}, as_handle, opaque_ok=True)
        after = [encoder(arg) for arg in args], [encoder(value) for value in kwargs.values()]
        return {"args": after[0], "kwargs": after[1], "value": encoder(result)}  # decoded in this order


def serve(namespace: dict, rfd: int, wfd: int) -> None:
    """Answer the harness's requests until it hangs up, in the program's process."""
    server, channel = _Server(namespace), Channel(rfd, wfd)
    while True:
        try:
            request = channel.receive()
        except EOFError:
            return
        try:
            reply = server.answer(request)
        except Unsupported as error:
            reply = {"unsupported": str(error)}
        except Exception as error:
            reply = {"raise": _describe_error(error, __file__)}
        channel.send(reply)


# --- the harness's side --------------------------------------------------------------------------
class ProgramFailure(BaseException):
    """The program broke the call protocol, died, or sent a value that may not cross. A
    ``BaseException``, so test code's ``except Exception`` cannot swallow it, and ``Remote``
    remembers it, so the verdict fails even if the test code catches it anyway."""

    def __init__(self, reason: str, kind: str) -> None:
        super().__init__(reason)
        self.kind = kind  # "ended" (died or hung up), "value" (not plain data), "protocol"


class Remote:
    """The harness's connection to the program."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.channel = Channel(rfd, wfd)
        self.failure: tuple[str, str] | None = None  # (kind, reason) of the first failure
        self._handles: dict[int, RemoteObject] = {}

    def fail(self, reason: str, kind: str = "protocol") -> ProgramFailure:
        self.failure = self.failure or (kind, reason)
        return ProgramFailure(reason, kind)

    def request(self, message: dict, what: str) -> dict:
        if self.failure is not None:
            raise ProgramFailure(self.failure[1], self.failure[0])
        try:
            self.channel.send(message)
            reply = self.channel.receive()
        except (EOFError, OSError):
            raise self.fail(f"the program ended while handling {what}", "ended") from None
        except (ProtocolError, Unsupported) as error:
            raise self.fail(f"{what}: {error}") from None
        if type(reply) is not dict:
            raise self.fail(f"{what}: malformed reply")
        if "unsupported" in reply:
            raise self.fail(f"{what} returned {str(reply['unsupported'])[:MAX_ERROR_CHARS]}", "value")
        if "raise" in reply:
            raise self._exception(reply["raise"], what)
        return reply

    def _exception(self, info: object, what: str) -> BaseException:
        try:
            base, message, text = (str(info[key]) for key in ("base", "message", "traceback"))
        except (TypeError, KeyError):
            return self.fail(f"{what}: malformed exception report")
        cls = getattr(builtins, base, None)
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            cls = RuntimeError  # the report names no built-in exception: it stays an error, nothing more
        error = cls(message[:MAX_ERROR_CHARS]) if cls is not KeyError else KeyError(message)
        error.program_traceback = text[-MAX_ERROR_CHARS:]
        return error

    def _decode(self, data: object, what: str, restore: dict[int, object] | None = None) -> object:
        try:
            return Decoder(restore, handle=self._handle)(data)
        except (ProtocolError, RecursionError, MemoryError) as error:
            raise self.fail(f"{what}: {error}") from None

    def _handle(self, ident: object) -> RemoteObject:
        if type(ident) is not int or ident <= 0:
            raise ProtocolError("bad handle")
        if ident not in self._handles:
            self._handles[ident] = RemoteObject(self, {"h": ident})
        return self._handles[ident]

    def bind(self, names: list[str]) -> dict[str, object]:
        """Proxies for the program's globals ``names`` that exist: functions and classes become
        remote callables, a module the harness's own module of that name (if already loaded here),
        other values plain copies."""
        reply = self.request({"op": "describe", "names": list(names)}, "loading the program")
        described = reply.get("names")
        if type(described) is not dict:
            raise self.fail("loading the program: malformed reply")
        bound = {}
        for name in names:
            kind = described.get(name)
            if kind == "function":
                bound[name] = RemoteCallable(self, {"name": name}, name)
            elif kind == "class":
                bound[name] = RemoteClass(self, {"name": name}, name)
            elif type(kind) is dict and "value" in kind:
                bound[name] = self._decode(kind["value"], f"reading {name}")
            elif type(kind) is dict and type(kind.get("module")) is str and kind["module"] in sys.modules:
                bound[name] = sys.modules[kind["module"]]  # the harness's own, already loaded: nothing new runs
        return bound

    def encode_argument(self, value: object) -> object:
        """A handle or a built-in by name; None for a value to encode as data."""
        if isinstance(value, RemoteObject):
            return value._target["h"]
        name = builtin_by_name(value)
        return None if name is None else {"B": name}

    def call(self, target: dict, name: str, args: tuple, kwargs: dict) -> object:
        encoder = Encoder(handle=self.encode_argument)
        what = f"the call {name}(...)"
        try:
            message = {"op": "call", "target": target, "args": [encoder(arg) for arg in args],
                       "kwargs": [[key, encoder(value)] for key, value in kwargs.items()]}
        except Unsupported as error:
            raise TypeError(f"{what}: {error}") from None  # the test's own argument: its error
        reply = self.request(message, what)
        restore = {ident: obj for ident, obj in encoder.objects.items() if type(obj) in (list, dict, set)}
        after = reply.get("args"), reply.get("kwargs")
        if type(after[0]) is not list or type(after[1]) is not list:
            raise self.fail(f"{what}: malformed reply")
        try:
            decoder = Decoder(restore, handle=self._handle, builtins_ok="types")
            for item in (*after[0], *after[1]):  # the arguments' new state, written into ours
                decoder(item)
            decoder.builtins_ok = False
            return decoder(reply.get("value"))
        except (ProtocolError, RecursionError, MemoryError) as error:
            raise self.fail(f"{what}: {error}") from None


class RemoteCallable:
    """A function (or bound method) of the program."""

    def __init__(self, remote: Remote, target: dict, name: str) -> None:
        self._remote, self._target, self.__name__ = remote, target, name

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self._remote.call(self._target, self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<the program's {self.__name__}>"


class RemoteClass(RemoteCallable):
    """A class of the program: calling it makes an instance that stays in the program."""


class RemoteObject:
    """A handle to an object that stays in the program: an instance of its class, or an
    iterator it returned. Equal only to itself, and with no truth value, so nothing of the
    program's own behaviour decides a comparison or an ``assert``."""

    def __init__(self, remote: Remote, target: dict) -> None:
        self._remote, self._target = remote, target

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        reply = self._remote.request({"op": "getattr", "target": {"attr": [self._target, name]}},
                                     f"reading .{name}")
        kind = reply.get("attr")
        if kind in ("function", "class"):
            return RemoteCallable(self._remote, {"attr": [self._target, name]}, name)
        if type(kind) is dict and "value" in kind:
            return self._remote._decode(kind["value"], f"reading .{name}")
        raise self._remote.fail(f"reading .{name}: malformed reply")

    def __setattr__(self, name: str, value: object) -> None:
        if name in ("_remote", "_target"):
            object.__setattr__(self, name, value)
            return
        try:
            encoded = Encoder(handle=self._remote.encode_argument)(value)
        except Unsupported as error:
            raise TypeError(f"setting .{name}: {error}") from None
        self._remote.request({"op": "setattr", "target": self._target, "name": name, "value": encoded},
                             f"setting .{name}")

    def __bool__(self) -> bool:
        raise TypeError("an object of the program has no truth value on the test's side")

    def __iter__(self) -> RemoteObject:
        return self

    def __next__(self) -> object:
        reply = self._remote.request({"op": "next", "h": self._target["h"]}, "next(...)")
        if reply.get("stop") is True:
            raise StopIteration
        return self._remote._decode(reply.get("value"), "next(...)")

    def __repr__(self) -> str:
        return "<an object of the program>"


def program_main(code: types.CodeType, path: str, rfd: int, wfd: int) -> None:
    """The program's process of a paired run: load the program as module ``solution``, then serve."""
    module = types.ModuleType("solution")
    module.__file__ = path
    module.__builtins__ = builtins
    sys.modules["solution"] = module
    exec(code, module.__dict__)
    serve(module.__dict__, rfd, wfd)


def warm_up(rounds: int = 32) -> None:
    """Run the program's side of the protocol here, in the fork server, before any program is
    forked: Python 3.11 rewrites a function's code object as it warms up and specialises, and a
    forked program that did it first would copy every page that touches (~140 pages, ~0.5 ms a
    run, measured)."""
    calls_r, calls_w = os.pipe()
    replies_r, replies_w = os.pipe()
    try:
        ours, theirs = Channel(replies_r, calls_w), Channel(calls_r, replies_w)
        server = _Server({"f": lambda xs, *rest: [x for x in xs] if isinstance(xs, list) else xs})
        values = [[1, 2.5, "a", None, True], (1, (2,)), {"k": [3]}, {4, 5}, frozenset({6}), b"7", 2**70, 1j]
        for index in range(rounds):
            encoder = Encoder()
            ours.send({"op": "describe", "names": ["f", "g"]})
            theirs.send(server.answer(theirs.receive()))
            ours.receive()
            ours.send({"op": "call", "target": {"name": "f"}, "args": [encoder(values[index % len(values)])],
                       "kwargs": []})
            theirs.send(server.answer(theirs.receive()))
            reply, decoder = ours.receive(), Decoder(restore=encoder.objects, builtins_ok="types")
            for item in (*reply["args"], *reply["kwargs"], reply["value"]):  # the order Remote.call decodes in
                decoder(item)
    finally:
        for fd in (calls_r, calls_w, replies_r, replies_w):
            os.close(fd)
