"""A session's program: runs the host's code cells one after another in one namespace, like a
notebook. It runs inside the sandbox as an ordinary (untrusted) program: whatever a cell does to
it only spoils its own session's replies, which the host reads as untrusted text (``session.py``).

Calls come in on fd 4 and replies go out on fd 5, each a 4-byte big-endian length and then the
bytes: a call is a cell's source (UTF-8), a reply a JSON object ``{"stdout", "stderr", "error"}``.
A cell's stdout and stderr are captured at the descriptor level (fds 1 and 2 point to files of
the session's working directory), so a child process's or C library's output is caught too; each
is cut at ``argv[1]`` bytes. When a cell ends with an expression, its ``repr`` is printed, as a
notebook shows it. The session ends when the host closes fd 4.
"""

import ast
import contextlib
import json
import linecache
import os
import sys
import traceback

CALLS, REPLIES = 4, 5


def read_exact(size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = os.read(CALLS, size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def write_all(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(REPLIES, view):]


def capture_file(name: str) -> int:
    """A file only this process holds (unlinked at once), to point fd 1 or 2 at."""
    fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.unlink(name)
    return fd


def take(fd: int, limit: int) -> str:
    """What the cell wrote to ``fd`` (at most ``limit`` bytes), and empty it for the next cell."""
    data = os.pread(fd, limit + 1, 0)
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    text = data[:limit].decode("utf-8", "replace")
    return text + f"\n[output cut at {limit} bytes]\n" if len(data) > limit else text


def run_cell(source: str, filename: str, namespace: dict) -> str:
    """Run one cell; its error as a traceback of the cell's own frames ("" if none)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        tree = ast.parse(source, filename, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, filename, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, filename, "eval"), namespace)
            if value is not None:
                print(repr(value))
        return ""
    except SyntaxError as error:  # the parser's frames are not the cell's
        return "".join(traceback.format_exception_only(error))
    except BaseException as error:  # SystemExit too: the session goes on, as a notebook's kernel does
        error.__traceback__ = error.__traceback__.tb_next  # from the cell's frames on
        return "".join(traceback.format_exception(error))


def main() -> None:
    limit = int(sys.argv[1])
    stdout, stderr = capture_file(".cell-stdout"), capture_file(".cell-stderr")
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    number = 0
    while (header := read_exact(4)) is not None:
        source = read_exact(int.from_bytes(header, "big"))
        if source is None:
            return
        number += 1
        error = run_cell(source.decode("utf-8", "replace"), f"<cell {number}>", namespace)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a cell may have replaced or closed it
                stream.flush()
        reply = {"stdout": take(stdout, limit), "stderr": take(stderr, limit), "error": error[-limit:]}
        data = json.dumps(reply, ensure_ascii=False).encode("utf-8", "backslashreplace")
        write_all(len(data).to_bytes(4, "big") + data)


main()
