"""Compiled and other languages: the table, compile once, verdicts per language, hostile programs
in C++ and Rust, compile bombs, CodeContests' own solutions in every language."""

import dataclasses
import json
import os
import time

import pytest

from codeloop.eval.samples import evaluate_samples, write_reference_samples
from codeloop.eval.summary import summarize_references
from codeloop.judge import Judge, stdio_test
from codeloop.sandbox import LANGUAGES, Limits, Run, Sandbox, Verdict, language
from codeloop.sandbox.languages import missing_tools
from codeloop.tasks import load
from conftest import leftover_processes
from language_programs import PROGRAMS

# Skipped where a language's tools are missing, except in CI, whose setup installs them all.
pytestmark = pytest.mark.skipif(any(missing_tools(row) for row in LANGUAGES.values()) and not os.environ.get("CI"),
                                reason="a language's tools are missing (scripts/setup.sh installs them)")

TESTS = [stdio_test("2 3\n", "5\n"), stdio_test("-7 100000000000\n", "99999999993\n")]
# The output cap below a pipe's 64 KB: node, in a loop that never yields, writes one pipeful and
# queues the rest in memory (its writes to a full pipe wait for the event loop).
LIMITS = Limits(cpu_s=1, memory_mb=256, output_bytes=1 << 14)


def test_names_and_aliases():
    assert [language(name).name for name in ("python3", "C++", "cpp17", "javascript", "js", "golang")] == \
        ["python", "cpp", "cpp", "nodejs", "nodejs", "go"]
    assert set(LANGUAGES) == {"python", "cpp", "java", "nodejs", "rust", "go"}
    with pytest.raises(ValueError, match="unknown language 'cobol': expected one of python, cpp, java"):
        language("cobol")


@pytest.mark.parametrize("lang", list(PROGRAMS))
def test_verdicts_per_language(sandbox, lang):
    judge, programs = Judge(sandbox), PROGRAMS[lang]
    assert judge.judge(programs["right"], TESTS, LIMITS, language=lang).verdict == Verdict.OK
    assert judge.judge(programs["wrong"], TESTS, LIMITS, language=lang).verdict == Verdict.WA
    broken = judge.judge(programs["ce"], TESTS, LIMITS, language=lang)
    assert broken.verdict == Verdict.CE and broken.compile_error and "/tmp/work" not in broken.compile_error
    kinds = ["re", "tle", "mle", "ole"]
    if not sandbox.memory_by_cgroup and not language(lang).address_space_ok:
        kinds.remove("mle")  # no cgroup here, and its runtime cannot start under an address-space limit
    for kind in kinds:
        # memory: CPU to spare, so the memory limit comes first (near it the kernel evicts the
        # runtime's own cached pages, and a JIT runtime can burn a second of CPU refaulting them)
        limits = dataclasses.replace(LIMITS, cpu_s=5, wall_s=None) if kind == "mle" else LIMITS  # wall: 2 cpu + 1
        start = time.monotonic()
        judgement = judge.judge(programs[kind], TESTS[:1], limits, language=lang)
        assert judgement.verdict == Verdict(kind.upper()), (kind, judgement.results[0].execution)
        assert time.monotonic() - start < limits.wall_s + 1 + (5 if lang == "java" else 3)  # + the compile
    assert not leftover_processes()


def test_compiled_once(sandbox):
    program = PROGRAMS["cpp"]["right"].replace("a+b", "b+a")  # a source no other test compiled
    before = sandbox.builds.compiles
    judge = Judge(sandbox)
    assert judge.judge(program, TESTS * 5, LIMITS, language="cpp").passed
    assert judge.judge(program, TESTS, LIMITS, language="c++").passed
    assert sandbox.execute(Run(program, stdin="1 1\n", language="cpp17")).stdout == "2\n"
    assert sandbox.builds.compiles == before + 1


def test_threads_under_a_resident_memory_limit(sandbox):
    if not sandbox.memory_by_cgroup:
        pytest.skip("no memory cgroup: memory is limited by address space, where thread stacks count")
    program = ("import threading\nthreads = [threading.Thread(target=sum, args=([1],)) for _ in range(32)]\n"
               "[t.start() for t in threads]\n[t.join() for t in threads]\nprint('ok')\n")
    assert sandbox.run(program, limits=Limits(memory_mb=256)).stdout == "ok\n"


def test_minimal_dev(sandbox):
    listing = sandbox.run("import os\nprint(sorted(os.listdir('/dev')))\nprint(os.path.exists('/dev/fuse'))\n"
                          "open('/dev/null', 'w').write('x')\nprint(len(open('/dev/urandom', 'rb').read(4)))\n")
    assert listing.stdout.splitlines() == [
        "['fd', 'full', 'null', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'urandom', 'zero']", "False", "4"]


HOSTILE = {
    "cpp": {
        "fork bomb": ("#include <unistd.h>\nint main(){ while (true) fork(); }\n", (Verdict.TLE, Verdict.RE)),
        "memory bomb": (PROGRAMS["cpp"]["mle"], (Verdict.MLE,)),
        "endless loop": (PROGRAMS["cpp"]["tle"], (Verdict.TLE,)),
        "write outside": ("#include <cstdio>\nint main(){ bool a = fopen(\"/etc/evil\", \"w\"), "
                          "b = fopen(\"/tmp/evil\", \"w\"), c = fopen(\"/usr/evil\", \"w\"); return a || b || c; }\n",
                          (Verdict.OK,)),
        "network": ("#include <sys/socket.h>\n#include <netinet/in.h>\n#include <arpa/inet.h>\nint main(){"
                    " int s = socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{}; a.sin_family = AF_INET;"
                    " a.sin_port = htons(80); inet_pton(AF_INET, \"1.1.1.1\", &a.sin_addr);"
                    " return s >= 0 && connect(s, (sockaddr*)&a, sizeof a) == 0; }\n", (Verdict.OK,)),
    },
    "rust": {
        "fork bomb": ("fn main() { loop { let _ = std::process::Command::new(\"/proc/self/exe\").spawn(); } }\n",
                      (Verdict.TLE, Verdict.RE)),
        "memory bomb": (PROGRAMS["rust"]["mle"], (Verdict.MLE,)),
        "endless loop": (PROGRAMS["rust"]["tle"], (Verdict.TLE,)),
        "write outside": ("fn main() { let wrote = [\"/etc/evil\", \"/tmp/evil\", \"/usr/evil\"].iter()"
                          ".any(|p| std::fs::write(p, b\"x\").is_ok()); std::process::exit(wrote as i32) }\n",
                          (Verdict.OK,)),
        "network": ("fn main() { let ok = std::net::TcpStream::connect(\"1.1.1.1:80\").is_ok();"
                    " std::process::exit(ok as i32) }\n", (Verdict.OK,)),
    },
}


@pytest.mark.parametrize("lang", list(HOSTILE))
def test_hostile_compiled_programs(sandbox, lang):
    """Each gets its verdict within the wall limit + 1 s (the compile aside) and leaves nothing
    running; writing outside the working directory and the network fail (exit status 0 = refused)."""
    limits = Limits(cpu_s=1, wall_s=2, memory_mb=256, processes=16)
    for name, (program, verdicts) in HOSTILE[lang].items():
        assert sandbox.build(program, language(lang)).ok, name
        start = time.monotonic()
        execution = sandbox.execute(Run(program, limits=limits, language=lang))
        assert execution.verdict in verdicts, (name, execution)
        assert time.monotonic() - start < limits.wall_s + 1, name
        assert not leftover_processes(), name


def test_compile_bombs_stopped_by_compile_limits():
    limits = Limits(cpu_s=2, wall_s=4, memory_mb=256, output_bytes=1 << 14, processes=64, file_size_mb=64)
    bombs = {
        "include /dev/zero": "#include \"/dev/zero\"\nint main() {}\n",
        "constexpr loop": "constexpr long f() { long s = 0; for (long i = 0; i < (1L << 40); i++) s += i % 7;"
                          " return s; }\nstatic_assert(f() != 1);\nint main() {}\n",
        "include itself": "#include __FILE__\n#include __FILE__\nint main() {}\n",
    }
    with Sandbox(workers=2, compile_limits=limits) as box:
        for name, program in bombs.items():
            start = time.monotonic()
            execution = box.execute(Run(program, language="cpp"))
            assert execution.verdict == Verdict.CE, name
            assert time.monotonic() - start < limits.wall_s + 2, name


CC_RECORD = {
    "name": "sum", "description": "Print a + b.", "time_limit": {"seconds": 2, "nanos": 0},
    "memory_limit_bytes": 256 << 20, "difficulty": 1, "cf_rating": 800, "cf_tags": ["math"],
    "public_tests": {"input": ["2 3\n"], "output": ["5\n"]},
    "private_tests": {"input": ["-7 100000000000\n"], "output": ["99999999993\n"]},
    "generated_tests": {"input": ["0 0\n"], "output": ["0\n"]},
    "solutions": {"language": [3, 2, 4, 1, 1],
                  "solution": [PROGRAMS["python"]["right"], PROGRAMS["cpp"]["right"], PROGRAMS["java"]["right"],
                               "a, b = map(int, raw_input().split())\nprint(a + b)\n",
                               "a, b = map(int, raw_input().split())\nprint a + b\n"]},
    "incorrect_solutions": {"language": [3, 2, 4],
                            "solution": [PROGRAMS["python"]["wrong"], PROGRAMS["cpp"]["wrong"],
                                         PROGRAMS["java"]["wrong"]]},
}


def test_code_contests_references_in_every_language(tmp_path):
    path = tmp_path / "code_contests.jsonl"
    path.write_text(json.dumps(CC_RECORD) + "\n")
    [task] = load("code_contests", path=path)
    assert [(r.language, r.correct) for r in task.references] == [
        ("python", True), ("python", True), ("cpp", True), ("java", True),
        ("python", False), ("cpp", False), ("java", False)]
    assert task.metadata["python2_kept"] == 1 and task.metadata["python2_dropped"] == 1  # `print a + b`
    samples = tmp_path / "references.jsonl"
    assert write_reference_samples([task], samples) == 7
    store = evaluate_samples([task], samples, tmp_path / "results.jsonl", jobs=2, progress=False)
    assert summarize_references(store.results.values()) == {
        "cpp": {"correct": 1, "correct_passed": 1, "incorrect": 1, "incorrect_failed": 1},
        "java": {"correct": 1, "correct_passed": 1, "incorrect": 1, "incorrect_failed": 1},
        "python": {"correct": 2, "correct_passed": 1, "incorrect": 1, "incorrect_failed": 1},
    }  # the Python 2 program that parses still calls raw_input: it fails as Python 3, as labelled it should not


def test_loop_in_cpp_feeds_back_compiler_errors(sandbox, tmp_path):
    """``codeloop eval --language cpp``'s mechanics, with a scripted model: RLEF's prompt names C++
    and its fence, the ```cpp block is extracted, a compile error comes back as feedback."""
    from codeloop.llm import ScriptedModel
    from codeloop.loop import LoopConfig, run_episode
    path = tmp_path / "code_contests.jsonl"
    path.write_text(json.dumps(CC_RECORD) + "\n")
    [task] = load("code_contests", path=path)
    broken = "```cpp\n#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + c; }\n```"
    right = f"Sure.\n```c++\n{PROGRAMS['cpp']['right']}```\n"
    model = ScriptedModel([broken, right])
    episode = run_episode(task, model, Judge(sandbox), LoopConfig(turns=3, language="cpp"))
    assert model.calls[0][0]["content"].startswith("Provide a C++ solution for the following competitive")
    assert "```cpp YOUR CODE HERE ```" in model.calls[0][0]["content"]
    assert [t.public_verdict for t in episode.turns] == ["CE", "OK"] and episode.passed
    feedback = model.calls[1][-1]["content"]
    assert feedback.startswith("Could not parse your code.\nmain.cpp:") and "'c' was not declared" in feedback
    assert feedback.endswith("```cpp YOUR CODE HERE ```. Use the backticks for your code only.")
    assert "/tmp/work" not in feedback


def cli(*args: str, cwd):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "codeloop", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_cli_language_flags_and_references(tmp_path):
    (tmp_path / "sum.cpp").write_text(PROGRAMS["cpp"]["right"])
    (tmp_path / "in.txt").write_text("40 2\n")
    ran = cli("run", "sum.cpp", "--stdin", "in.txt", cwd=tmp_path)  # the language from the extension
    assert ran.returncode == 0 and ran.stdout == "42\n", ran.stderr
    (tmp_path / "Sum.txt").write_text(PROGRAMS["java"]["right"])
    (tmp_path / "tests.jsonl").write_text(json.dumps({"input": "1 2\n", "output": "3\n"}) + "\n")
    judged = cli("judge", "Sum.txt", "tests.jsonl", "--language", "java", cwd=tmp_path)
    assert judged.returncode == 0 and "verdict: OK" in judged.stdout, judged.stdout + judged.stderr
    bad = cli("run", "sum.cpp", "--language", "cobol", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown language 'cobol': expected one of python, cpp, java" in bad.stderr
    (tmp_path / "cc.jsonl").write_text(json.dumps(CC_RECORD) + "\n")
    checked = cli("evaluate", "--references", "--benchmark", "code_contests", "--data-path", "cc.jsonl",
                  "--no-progress", "--out", "refs/results.jsonl", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "cpp      correct passed 1/1   incorrect failed 1/1" in checked.stdout
    assert "java     correct passed 1/1   incorrect failed 1/1" in checked.stdout
    assert (tmp_path / "refs" / "results_samples.jsonl").exists()
