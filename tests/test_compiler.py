"""codeloop.compiler: pass lists, sizes checked against llvm-size by hand, the execution check
catching injected faults, the searches, the model's candidates, the disassembly round trip, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codeloop.compiler import corpus, disassembly, search
from codeloop.compiler.environment import Environment
from codeloop.compiler.llm_tuning import llm_tune, parse_answer, training_record
from codeloop.compiler.llvm import ToolError, elf_text_size, find_toolchain, instruction_count
from codeloop.compiler.passes import PASSES, opt_args, parse_pass_list, pipeline
from codeloop.llm import ScriptedModel

PROGRAMS = Path(__file__).resolve().parents[1] / "src" / "codeloop" / "compiler" / "programs"

try:
    TOOLCHAIN = find_toolchain()
except FileNotFoundError:  # pragma: no cover - scripts/setup.sh installs it
    TOOLCHAIN = None
pytestmark = pytest.mark.skipif(TOOLCHAIN is None, reason="no LLVM toolchain (scripts/setup.sh installs clang-14)")


@pytest.fixture(scope="module")
def programs():
    return {p.name: p for p in corpus.split(corpus.handwritten_programs(TOOLCHAIN))}


@pytest.fixture(scope="module")
def env(sandbox):
    environment = Environment(TOOLCHAIN, sandbox)
    yield environment
    environment.close()


def run(*args: str, stdin: bytes = b"") -> bytes:
    return subprocess.run(args, input=stdin, capture_output=True, check=True, timeout=120).stdout


def test_every_pass_of_the_vocabulary_runs_in_opt(programs):
    ir = programs["gcd_lcm"].ir
    for name in PASSES:
        TOOLCHAIN.optimize(ir, [name])  # raises ToolError on an unknown name or a bad nesting
    assert pipeline(["sroa", "licm", "loop-rotate", "inline", "globaldce", "instcombine"]) == \
        "function(sroa,loop-mssa(licm,loop-rotate)),cgscc(inline),globaldce,function(instcombine)"
    assert pipeline([]) == "no-op-module"


def test_the_parser_reads_every_spelling_and_rejects_unknown_passes():
    assert parse_pass_list("sroa,instcombine") == ["sroa", "instcombine"]
    assert parse_pass_list("-sroa -instcombine -Oz") == ["sroa", "instcombine", "default<Oz>"]
    assert parse_pass_list("opt -passes='function(sroa,loop-mssa(licm)),cgscc(inline)'") == ["sroa", "licm", "inline"]
    assert parse_pass_list(opt_args(["mem2reg", "indvars", "default<Oz>"])[0]) == ["mem2reg", "indvars",
                                                                                  "default<Oz>"]
    with pytest.raises(ValueError, match=r"unknown pass 'frobnicate'.*codeloop compiler passes"):
        parse_pass_list("sroa,frobnicate")
    with pytest.raises(ValueError, match="unknown pass"):
        parse_pass_list("-instcombine -print-after-all")
    assert parse_answer("Run passes <passes>sroa,gvn</passes> to get object file size <size>120</size>.") == \
        (["sroa", "gvn"], 120)
    assert parse_answer("run passes mem2reg, simplifycfg") == (["mem2reg", "simplifycfg"], None)
    with pytest.raises(ValueError):
        parse_answer("I would use -O2.")


def test_sizes_match_llvm_size_run_by_hand(programs, env, tmp_path):
    source = PROGRAMS / "crc32.c"
    ir_path = tmp_path / "crc32.ll"
    run(TOOLCHAIN.path("clang"), "-O0", "-Xclang", "-disable-O0-optnone", "-emit-llvm", "-S", "-w", str(source),
        "-o", str(ir_path))
    program = corpus.Program("crc32", "file", ir_path.read_text(), ("",))
    for passes in (["default<Oz>"], ["mem2reg", "loop-rotate", "instcombine"], []):
        measured = env.measure(program, passes)
        optimised = tmp_path / "opt.ll"
        run(TOOLCHAIN.path("opt"), *opt_args(passes), str(ir_path), "-S", "-o", str(optimised))
        obj = tmp_path / "opt.o"
        run(TOOLCHAIN.path("llc"), "-filetype=obj", "-relocation-model=pic", str(optimised), "-o", str(obj))
        table = run(TOOLCHAIN.path("llvm-size"), "-A", str(obj)).decode()
        text = int(re.search(r"^\.text\s+(\d+)", table, re.M).group(1))
        assert measured.size == text == elf_text_size(obj.read_bytes())
        assert measured.instructions == instruction_count(optimised.read_text())


def test_the_execution_check_rejects_injected_faults(programs, env):
    program = programs["crc32"]
    optimised = TOOLCHAIN.optimize(program.ir, ["default<Oz>"])
    assert env.check(program, optimised) == ""
    assert "-306674912" in optimised  # 0xEDB88320, the CRC polynomial
    wrong_constant = optimised.replace("-306674912", "-306674911")
    assert "output differs" in env.check(program, wrong_constant)
    wrong_exit = re.sub(r"ret i32 0", "ret i32 3", optimised)
    assert "exit code differs" in env.check(program, wrong_exit)
    crashing = re.sub(r"(define [^{]*@main\([^{]*\{\n)", r"\1  call void @llvm.trap()\n", optimised, count=1)
    crashing += "\ndeclare void @llvm.trap()\n"
    assert "RE" in env.check(program, crashing)
    looping = optimised.replace("ret i32 0", "br label %spin\nspin:\n  %c = call i32 @getchar()\n  br label %spin", 1)
    assert "TLE" in env.check(program, looping)
    assert "does not compile" in env.check(program, "this is not IR")
    with pytest.raises(ToolError, match="opt failed"):
        TOOLCHAIN.optimize("define i32 @f( {", ["default<Oz>"])


def test_the_searches_keep_a_validated_list_never_worse_than_oz(programs, env):
    program = programs["crc32"]
    oz = search.fixed(env, program, search.OZ, "oz")
    assert oz.validated and oz.size == oz.oz_size and oz.evaluations == 1
    results = [search.random_search(env, program, 60, max_evaluations=12),
               search.greedy_search(env, program, 60, max_evaluations=30),
               search.autotune(env, program, 60, max_evaluations=12)]
    for tuned in results:
        assert tuned.validated and tuned.size <= oz.size, tuned
        assert env.validate(program, tuned.passes) == ""
        assert env.measure(program, tuned.passes).size == tuned.size
    assert [t.evaluations for t in results] == [12, 30, 12]
    assert results[1].size < oz.size  # -Oz unrolls the table's loop; the greedy lists do not


def test_the_model_candidates_are_parsed_measured_and_never_worse_than_oz(programs, env):
    program = programs["gcd_lcm"]
    model = ScriptedModel(["no pass list here", "Run passes <passes>sroa,frobnicate</passes>",
                           "Run passes <passes>mem2reg,simplifycfg</passes> to get object file size <size>150</size>",
                           "Run passes <passes>reg2mem</passes> to get object file size <size>999</size>"])
    tuned = llm_tune(env, program, model, samples=4)
    assert tuned.model_calls == 4 and tuned.invalid_candidates == 2
    oz = env.measure(program, ["default<Oz>"]).size
    assert tuned.validated and tuned.size <= oz
    measured = {passes: env.measure(program, passes).size for passes in (("mem2reg", "simplifycfg"), ("reg2mem",))}
    assert tuned.predicted_sizes == [(150, measured[("mem2reg", "simplifycfg")]), (999, measured[("reg2mem",)])]
    assert tuned.size == min(oz, *measured.values())
    record = training_record(program, tuned)
    assert record["completion"].startswith("Run passes <passes>") and record["ir"] == program.ir
    assert "<code>" in model.calls[0][-1]["content"] and "Tell me how to optimize this LLVM-IR" in \
        model.calls[0][-1]["content"]


def test_bleu_and_the_disassembly_round_trip(programs):
    assert disassembly.bleu(list("abcdefg"), list("abcdefg")) == pytest.approx(1.0)
    assert disassembly.bleu([], ["a"]) == 0.0
    partial = disassembly.bleu(["the", "cat", "sat", "on", "the", "mat"], ["the", "cat", "sat", "on", "a", "mat"])
    assert 0.2 < partial < 0.9
    samples = disassembly.samples(TOOLCHAIN, [programs["linked_list"]])
    assert {s.function for s in samples} >= {"reverse", "remove_multiples"}
    sample = next(s for s in samples if s.function == "reverse")
    exact = disassembly.round_trip(TOOLCHAIN, sample, sample.ir)
    assert exact.compiles and exact.exact and exact.bleu == pytest.approx(1.0)
    changed = disassembly.round_trip(TOOLCHAIN, sample, sample.ir.replace("store ptr", "store ptr", 1)
                                     .replace("null", "inttoptr (i64 8 to %struct.item*)", 1))
    assert changed.compiles and not changed.exact and 0 < changed.bleu < 1
    broken = disassembly.round_trip(TOOLCHAIN, sample, "define void @f( {")
    assert not broken.compiles and broken.bleu == 0.0
    model = ScriptedModel([f"Here it is:\n<code>{sample.ir}</code>"])
    lifted = disassembly.lift(TOOLCHAIN, model, sample)
    assert lifted.exact and "Disassemble this code to LLVM-IR" in model.calls[0][0]["content"]
    assert disassembly.summary([lifted, broken]) == {"samples": 2, "compiles": 0.5, "round_trip_exact_match": 0.5,
                                                      "round_trip_bleu": pytest.approx(0.5)}


def test_the_corpus_programs_run_and_split_by_program(programs, env):
    assert len(programs) >= 30
    test = [p for p in programs.values() if p.split == "test"]
    assert len(test) == len(programs) // 3
    for program in programs.values():
        references = env.references(program)
        assert all(r.verdict in ("OK", "RE") and r.signal is None for r in references), program.name
        assert any(r.stdout for r in references), program.name


def codeloop(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codeloop", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd)


def test_tune_prints_a_json_line_that_opt_reproduces(tmp_path):
    stdin = tmp_path / "in.txt"
    stdin.write_text("12 18\n-4 6\n")
    result = codeloop("compiler", "tune", str(PROGRAMS / "gcd_lcm.c"), "--method", "greedy", "--budget-s", "3",
                      "--input", str(stdin), "--json")
    assert result.returncode == 0, result.stderr
    assert "validated by execution" in result.stdout
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(line) >= {"passes", "opt_args", "size", "oz_size", "validated"} and line["validated"]
    ir = run(TOOLCHAIN.path("clang"), "-O0", "-Xclang", "-disable-O0-optnone", "-emit-llvm", "-S", "-w",
             str(PROGRAMS / "gcd_lcm.c"), "-o", "-")
    optimised = run(TOOLCHAIN.path("opt"), *line["opt_args"], "-", "-o", "-", stdin=ir)
    obj = run(TOOLCHAIN.path("llc"), "-filetype=obj", "-relocation-model=pic", "-", "-o", "-", stdin=optimised)
    assert elf_text_size(obj) == line["size"] <= line["oz_size"]
    bad = codeloop("compiler", "tune", str(stdin), "--method", "oz")
    assert bad.returncode == 2 and "expected a .c or .ll file" in bad.stderr
    missing = codeloop("compiler", "tune", str(tmp_path / "nope.c"))
    assert missing.returncode == 1 and "nope.c: no such file" in missing.stderr


@pytest.mark.slow
def test_compare_quick_mode_prints_the_table_and_export_resumes(tmp_path):
    result = codeloop("compiler", "compare", "--methods", "oz,o3,random,greedy", "--budget-s", "1", "--limit", "1",
                      "--csmith", "3", "--no-progress", "--out", str(tmp_path / "compare.json"))
    assert result.returncode == 0, result.stderr
    assert "| method | mean reduction vs -Oz |" in result.stdout
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(rows) == {"oz", "o3", "random", "greedy"} and rows["oz"]["mean_reduction_pct"] == 0
    assert rows["random"]["programs"] == 2 and rows["greedy"]["validated"] == 1.0  # one hand-written, one csmith
    assert json.loads((tmp_path / "compare.json").read_text())["results"]
    out = tmp_path / "train.jsonl"
    first = codeloop("compiler", "export", "--out", str(out), "--limit", "1", "--csmith", "0", "--budget-s", "1",
                     "--no-progress")
    assert first.returncode == 0, first.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 1 and records[0]["validated"] and records[0]["prompt"].startswith("Tell me how")
    again = codeloop("compiler", "export", "--out", str(out), "--limit", "1", "--csmith", "0", "--no-progress")
    assert "wrote 0 records" in again.stdout and len(out.read_text().splitlines()) == 1


@pytest.mark.slow
def test_the_embedded_model_proposes_pass_lists(programs, env):
    from codeloop.llm import load_model
    from codeloop.llm.embedded import installed
    if not installed("default"):
        pytest.skip("the embedded model is not installed (codeloop model install)")
    tuned = llm_tune(env, programs["gcd_lcm"], load_model("default", n_ctx=8192), samples=1)
    assert tuned.model_calls == 1 and tuned.validated
    assert tuned.size <= env.measure(programs["gcd_lcm"], ["default<Oz>"]).size


def test_results_are_cached_on_disk_by_ir_and_pass_list(programs, sandbox, tmp_path):
    from codeloop.compiler.llvm import Toolchain
    program = programs["gcd_lcm"]
    first = Environment(TOOLCHAIN, sandbox, tmp_path / "results.sqlite")
    measured, problem = first.measure(program, ["sroa", "gvn"]), first.validate(program, ["sroa", "gvn"])
    first.close()
    no_tools = Toolchain(str(tmp_path / "no-such-folder"), TOOLCHAIN.version)  # any tool call would fail
    second = Environment(no_tools, sandbox, tmp_path / "results.sqlite")
    assert second.measure(program, ["sroa", "gvn"]) == measured and measured.ok
    assert second.validate(program, ["sroa", "gvn"]) == problem == ""
    assert not second.measure(program, ["gvn", "sroa"]).ok  # another order is another list: measured anew
    second.close()
