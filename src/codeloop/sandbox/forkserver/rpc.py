"""Calls from a trusted harness into an untrusted program, as data only (``codec``).

Loaded by bare name in the fork server, which preloads it, so both sides of a paired run
(``Run(harness=...)``) have it without compiling anything per run.

The program side (``serve``) loads the program as the module ``solution`` and answers requests:
describe names, call, get or set an attribute, step an iterator. The harness side (``Remote``)
hands the harness's code proxies for the program's functions and classes. Values cross as plain
data (``codec``). Two kinds of handles are the only exceptions: an iterator or generator a call
returns, which the harness can only step through (each value plain), and an instance made by
calling one of the program's classes, which the harness can only pass back, read and set
attributes of and call methods on. A handle compares by identity on the harness's side and has
no truth value. A module the program names travels as its name: the harness binds its own module
of that name, and only one it has already loaded.

Mutable arguments follow copy-restore: after each call the program sends back the state of the
containers it was given, and the harness writes it into its own objects in place, so a test that
checks an argument the function mutated still works, aliasing included.
"""

from __future__ import annotations

import builtins
import collections.abc
import io
import os
import sys
import types

from codec import MAX_ERROR_CHARS, Channel, Decoder, Encoder, ProtocolError, Unsupported, builtin_by_name

# --- the program's side -------------------------------------------------------------------------
# The interpreter's own traceback printer (C), as the fork server found it: ``traceback``'s
# caret placement parses each line with ``ast``: ~130 more page faults in every paired program
# whose function raises (measured), for the same text.
_PRINT_EXCEPTION = sys.__excepthook__


def _describe_error(error: BaseException, skip_file: str) -> dict:
    base = next(cls for cls in type(error).__mro__
                if (cls.__module__ == "builtins" and issubclass(cls, Exception)) or cls is BaseException)
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == skip_file:
        tb = tb.tb_next
    error.__traceback__ = tb  # the printer shows the exception's own traceback
    stderr, sys.stderr = sys.stderr, io.StringIO()
    try:
        _PRINT_EXCEPTION(type(error), error, tb)
        text = sys.stderr.getvalue()
    finally:
        sys.stderr = stderr
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


def serve(namespace: dict, rfd: int, wfd: int, announce: list[str] | None = None) -> None:
    """Answer the harness's requests until it hangs up, in the program's process; first, unasked,
    describe the names in ``announce`` (what ``Remote.bind`` reads)."""
    server, channel = _Server(namespace), Channel(rfd, wfd)
    if announce is not None:
        channel.send(server.answer({"op": "describe", "names": announce}))
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

    def request(self, message: dict | None, what: str) -> dict:
        if self.failure is not None:
            raise ProgramFailure(self.failure[1], self.failure[0])
        try:
            if message is not None:  # None: read what the program sends unasked
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
        """Proxies for the program's globals ``names`` that exist (``Harness.names``, which the
        program describes unasked once it has loaded; only these are read from its answer):
        functions and classes become remote callables, a module the harness's own module of that
        name (if already loaded here), other values plain copies."""
        reply = self.request(None, "loading the program")
        described = reply.get("names")
        if type(described) is not dict:
            raise self.fail("loading the program: malformed reply")
        bound = {}
        for name in names:  # the harness's own list: the program cannot add a name
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


def program_main(code: types.CodeType, path: str, rfd: int, wfd: int, announce: list[str]) -> None:
    """The program's process of a paired run: load the program as module ``solution``, then serve."""
    module = types.ModuleType("solution")
    module.__file__ = path
    module.__builtins__ = builtins
    sys.modules["solution"] = module
    exec(code, module.__dict__)
    serve(module.__dict__, rfd, wfd, announce)


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
            theirs.send(server.answer({"op": "describe", "names": ["f", "g"]}))
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
