"""The code that runs inside the fork server: standard library only, loaded there by bare module
name (``sys.path`` holds this folder; this ``__init__`` is not run there). The host imports
``messages`` and ``codec`` from here as ``codeloop.sandbox.forkserver.*``. Map (README.md has the
process tree, the descriptor table and the message flow):

    zygote.py          the fork server: isolated once, one slot server per worker
    namespaces.py      the one-time isolation: namespaces, file system, cgroup files, layer probes
    supervise.py       a slot's supervision of one run: files, fork, wall clock, caps, clean-up, report
    processes.py       a run's processes from its slot init: what is left, killing, reaping, CPU time
    helper.py          a slot's helper processes and the spawner they are forked from
    forker.py          the process each run's program is forked from
    program.py         a run's process: uid, rlimits, seccomp, then exec() or execve
    harness_server.py  the trusted side of paired runs, one per slot and owner
    rpc.py, codec.py   paired runs' calls: the protocol and the data-only encoding
    messages.py        what host and fork server say to each other
    linux.py           system calls the standard library lacks (seccomp, namespaces, memfd)
"""
