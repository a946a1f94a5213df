"""The environment an instance's tests run in, without a container daemon, cached on disk.

(a) **An OCI image** (the instance's ``image``, as the official harness names it): ``skopeo copy``
    brings it into an OCI layout, ``umoci unpack`` turns it into a root file system, cached per
    image reference; that tree becomes the isolation's root, so the environment is the official
    one. References without a transport (``swebench/sweb.eval...:latest``) are ``docker://``;
    ``oci:PATH:TAG``, ``oci-archive:``, ``docker-archive:`` and ``dir:`` are local.
(b) **Host-built**, for repositories without an image: the instance's ``environment`` field
    (see ``instances``): a venv per repo+version (``python``) or a ``node_modules`` per
    repo+version (``node``), built once with network, then mounted read-only.

``build_debian_image`` makes a minimal Debian image with Debian's own tools (``mmdebstrap``,
``umoci``) for the fixtures and tests: this machine reaches no container registry.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from codeloop.swe.harness.bwrap import Isolation, host_python_binds
from codeloop.swe.harness.instances import Instance

TRANSPORTS = ("docker://", "oci:", "oci-archive:", "docker-archive:", "dir:", "containers-storage:")


@dataclass
class Environment:
    isolation: Isolation
    kind: str            # "image", "python", "node" or "host"
    cached: bool         # found ready, not built now
    seconds: float       # spent preparing it now


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "codeloop" / "swe"


def _run(argv: list[str], what: str, cwd: Path | None = None, env: dict | None = None) -> None:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"{what} failed (exit {result.returncode}): {tail[0]}")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed: apt-get install {name}, or run scripts/setup.sh")
    return path


@contextlib.contextmanager
def _locked(target: Path):
    """Hold ``TARGET.lock``: one builder per cache entry, across threads and processes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{target}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def image_reference(image: str) -> str:
    return image if image.startswith(TRANSPORTS) else f"docker://{image}"


def image_rootfs(image: str, cache: Path) -> tuple[Path, bool]:
    """(root file system of ``image``, was cached): skopeo copy to an OCI layout, umoci unpack."""
    key = hashlib.sha256(image_reference(image).encode()).hexdigest()[:16]
    bundle = cache / "images" / key
    rootfs = bundle / "rootfs"
    with _locked(bundle):
        if (bundle / ".complete").exists():
            return rootfs, True
        _unpack_image(image, bundle)
    return rootfs, False


def _unpack_image(image: str, bundle: Path) -> None:
    shutil.rmtree(bundle, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=bundle.parent) as scratch:
        layout = Path(scratch) / "layout"
        _run([_tool("skopeo"), "copy", "--quiet", image_reference(image), f"oci:{layout}:image"],
             f"skopeo copy {image}")
        unpack = [_tool("umoci"), "unpack", "--image", f"{layout}:image", str(bundle)]
        if os.geteuid() != 0:
            unpack.insert(2, "--rootless")
        _run(unpack, f"umoci unpack {image}")
    (bundle / ".complete").write_text(image + "\n")


def build_debian_image(layout: Path, tag: str, packages: list[str], suite: str = "bookworm") -> str:
    """A minimal Debian image (``mmdebstrap`` root, put in an OCI layout by ``umoci``); returns
    its reference ``oci:LAYOUT:TAG``. Needs root and Debian's package mirror."""
    reference = f"oci:{layout}:{tag}"
    if (layout / "index.json").exists() and tag in subprocess.run(
            [_tool("umoci"), "ls", "--layout", str(layout)], capture_output=True, text=True).stdout.split():
        return reference
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "root"
        _run([_tool("mmdebstrap"), "--quiet", "--variant=apt", "--mode=root", f"--include={','.join(packages)}",
              suite, str(root)], "mmdebstrap")
        (root / "testbed").mkdir(exist_ok=True)
        if not (layout / "index.json").exists():
            _run([_tool("umoci"), "init", "--layout", str(layout)], "umoci init")
        _run([_tool("umoci"), "new", "--image", f"{layout}:{tag}"], "umoci new")
        _run([_tool("umoci"), "insert", "--image", f"{layout}:{tag}", str(root), "/"], "umoci insert")
    return reference


def _python_env(instance: Instance, checkout: Path, target: Path) -> None:
    _run([sys.executable, "-m", "venv", str(target)], "python -m venv")
    env = {**os.environ, "PATH": f"{target / 'bin'}:{os.environ.get('PATH', '')}", "VIRTUAL_ENV": str(target)}
    for step in instance.environment["install"]:
        _run(["/bin/bash", "-c", step], f"{instance.instance_id}: install step {step!r}", cwd=checkout, env=env)


def _node_env(instance: Instance, checkout: Path, target: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "repo"
        shutil.copytree(checkout, work, ignore=shutil.ignore_patterns(".git", "node_modules"))
        for step in instance.environment["install"]:
            _run(["/bin/bash", "-c", step], f"{instance.instance_id}: install step {step!r}", cwd=work)
        if not (work / "node_modules").is_dir():
            raise RuntimeError(f"{instance.instance_id}: the install steps made no node_modules")
        target.mkdir(parents=True)
        shutil.move(str(work / "node_modules"), target / "node_modules")


def prepare(instance: Instance, checkout: Path, cache: Path, isolation: Isolation) -> Environment:
    """The instance's environment, built now or found in ``cache``; ``isolation`` gives the limits."""
    start = time.monotonic()
    if instance.image:
        rootfs, cached = image_rootfs(instance.image, cache)
        return Environment(replace(isolation, rootfs=str(rootfs)), "image", cached, time.monotonic() - start)
    if not instance.environment:
        return Environment(replace(isolation, ro_binds=host_python_binds()), "host", True, 0.0)
    kind = instance.environment["kind"]
    digest = hashlib.sha256("\n".join(instance.environment["install"]).encode()).hexdigest()[:8]
    target = cache / "envs" / f"{instance.env_key}-{kind}-{digest}"
    with _locked(target):
        cached = (target / ".complete").exists()
        if not cached:
            shutil.rmtree(target, ignore_errors=True)
            (_python_env if kind == "python" else _node_env)(instance, checkout, target)
            (target / ".complete").write_text(instance.env_key + "\n")
    seconds = time.monotonic() - start
    if kind == "python":
        env = replace(isolation, ro_binds=(str(target), *host_python_binds()), path_prefix=(str(target / "bin"),),
                      env={"VIRTUAL_ENV": str(target)})
    else:
        env = replace(isolation, ro_binds=host_python_binds(),
                      extra_binds=((str(target / "node_modules"), "/testbed/node_modules"),))
    return Environment(env, kind, cached, seconds)
