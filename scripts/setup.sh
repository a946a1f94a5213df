#!/usr/bin/env bash
# Sets codeloop up on a fresh Debian machine: system packages, a virtualenv with every extra the
# tests need, and the embedded model. Safe to run again: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    missing=()
    command -v chromium >/dev/null || missing+=(chromium chromium-driver)
    # the sandbox's languages: C++, Java 17, JavaScript, Rust, Go (Debian's, where the machine has none)
    command -v g++ >/dev/null || missing+=(g++)
    command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
    command -v node >/dev/null || missing+=(nodejs)
    command -v rustc >/dev/null || missing+=(rustc)
    command -v go >/dev/null || missing+=(golang-go)
    # codeloop compiler: one LLVM version throughout (clang-14 with opt, llc, llvm-size), csmith
    [ -x /usr/lib/llvm-14/bin/clang ] && [ -x /usr/lib/llvm-14/bin/llvm-size ] || missing+=(clang-14 llvm-14)
    command -v csmith >/dev/null || missing+=(csmith)
    [ -f /usr/include/csmith/csmith.h ] || missing+=(libcsmith-dev)
    # codeloop swe: isolation without a container daemon, OCI images, the fixtures' Debian image
    for tool in bwrap:bubblewrap skopeo:skopeo umoci:umoci mmdebstrap:mmdebstrap; do
        command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
    done
    # codeloop.speech: synthetic speech (espeak-ng's command line: GPL, kept at arm's length) and a
    # text corpus (WordNet's glosses and example sentences)
    command -v espeak-ng >/dev/null || missing+=(espeak-ng)
    [ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev,llm,models,hf,rl,serve,ray,compiler,transforms,swe,speech]'
# verl's SandboxFusion scoring module, for the test that runs it against `codeloop serve`: the
# wheel alone (its dependencies are a training stack), apart from the venv's packages
[ -d .venv/extras/verl ] || .venv/bin/pip install -q --disable-pip-version-check --no-deps \
    --target .venv/extras/verl verl==0.9.1
.venv/bin/codeloop model install
.venv/bin/codeloop model install smollm2-135m
