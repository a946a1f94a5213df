"""Thin ctypes bindings to the Linux calls the fork server needs.

Standard library only: this file is loaded by ``zygote.py`` inside the sandbox, where
neither codeloop nor site-packages is importable.
"""

from __future__ import annotations

import _socket  # not socket: its enums and selectors add 0.5 MB to every forked run
import array
import ctypes
import os
import struct

LIBC = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACE_FLAGS = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC
                   | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18

PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 22, 36, 38
SECCOMP_MODE_FILTER = 2


def _check(result: int, what: str) -> int:
    if result == -1:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def socket_pair() -> tuple[_socket.socket, _socket.socket]:
    """A connected pair of AF_UNIX SOCK_SEQPACKET sockets (message boundaries kept)."""
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)


def send_fds(sock: _socket.socket, data: bytes, fds: list[int]) -> None:
    """One message carrying ``data`` and copies of the descriptors ``fds`` (SCM_RIGHTS)."""
    sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", fds))])


def recv_fds(sock: _socket.socket, size: int, most: int) -> tuple[bytes, list[int]]:
    """One message of at most ``size`` bytes and the descriptors (at most ``most``) it carried."""
    data, ancillary, _, _ = sock.recvmsg(size, _socket.CMSG_LEN(most * 4))
    fds = array.array("i")
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    return data, list(fds)


def unshare(flags: int) -> None:
    _check(LIBC.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0,
          data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return None if text is None else text.encode()
    _check(LIBC.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def unmount(target: str) -> None:
    """umount2(target, MNT_DETACH)."""
    _check(LIBC.umount2(target.encode(), ctypes.c_int(2)), f"umount {target}")


def make_tree_read_only(path: str = "/") -> None:
    """Set MOUNT_ATTR_RDONLY and NOSUID on every mount below ``path`` (mount_setattr, Linux 5.12)."""
    attr = struct.pack("QQQQ", 0x1 | 0x2, 0, 0, 0)  # attr_set = RDONLY | NOSUID
    buf = ctypes.create_string_buffer(attr, len(attr))
    at_fdcwd, at_recursive, sys_mount_setattr = -100, 0x8000, 442
    _check(LIBC.syscall(ctypes.c_long(sys_mount_setattr), ctypes.c_int(at_fdcwd),
                        path.encode(), ctypes.c_uint(at_recursive), buf, ctypes.c_size_t(len(attr))),
           "mount_setattr")


def set_process_name(name: str) -> None:
    """prctl(PR_SET_NAME): what ``ps`` and /proc/PID/comm show (15 bytes at most)."""
    _check(LIBC.prctl(ctypes.c_int(15), ctypes.c_char_p(name.encode()[:15]), ctypes.c_ulong(0),
                      ctypes.c_ulong(0), ctypes.c_ulong(0)), "prctl set name")


# capset(2) to nothing: a v3 header for this process and two zeroed data blocks, made once here.
_CAP_HEADER = ctypes.create_string_buffer(struct.pack("Ii", 0x20080522, 0), 8)
_CAP_DATA = ctypes.create_string_buffer(24)


def drop_capabilities() -> None:
    """Empty the effective, permitted and inheritable capability sets (for a process that stays
    uid 0 of a user namespace, where setuid would have dropped them)."""
    _check(LIBC.capset(_CAP_HEADER, _CAP_DATA), "capset")


def prctl(option: int, arg: int) -> None:
    _check(LIBC.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0),
                      ctypes.c_ulong(0), ctypes.c_ulong(0)), f"prctl {option}")


# --- seccomp ---------------------------------------------------------------------------------
# A deny-list filter: kernel-facing calls a test program never needs. Network is already cut by
# the network namespace; the filter is a second wall. Syscall numbers are x86_64's.
_X86_64_DENIED = {
    "ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "acct": 163,
    "swapon": 167, "swapoff": 168, "reboot": 169, "init_module": 175, "delete_module": 176,
    "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
    "perf_event_open": 298, "open_by_handle_at": 304, "setns": 308, "process_vm_readv": 310,
    "process_vm_writev": 311, "finit_module": 313, "kexec_file_load": 320, "bpf": 321,
    "userfaultfd": 323, "io_uring_setup": 425, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    # SysV IPC and POSIX message queues: their objects outlive the process that made them (one IPC
    # namespace serves a slot's runs), so a run could leave data or pinned memory to a later one;
    # POSIX shm is a read-only /dev/shm
    "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66, "msgget": 68,
    "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semtimedop": 220, "mq_open": 240, "mq_unlink": 241,
    "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245,
}
_X86_64 = {"arch": 0xC000003E, "clone": 56, "clone3": 435, "socket": 41}
_AF_UNIX, _EPERM, _ENOSYS = 1, 1, 38
_RET_ALLOW, _RET_ERRNO, _RET_KILL = 0x7FFF0000, 0x00050000, 0x80000000


def seccomp_supported() -> bool:
    return os.uname().machine == "x86_64"  # not platform: 1.4 ms and 0.1 MB in the fork server


def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _seccomp_program() -> bytes:
    ld_w_abs, jeq, jset, jge, ret = 0x20, 0x15, 0x45, 0x35, 0x06
    ld_nr, ld_arch, ld_arg0 = _bpf(ld_w_abs, 0, 0, 0), _bpf(ld_w_abs, 0, 0, 4), _bpf(ld_w_abs, 0, 0, 16)
    deny = _bpf(ret, 0, 0, _RET_ERRNO | _EPERM)
    allow = _bpf(ret, 0, 0, _RET_ALLOW)
    prog = [ld_arch, _bpf(jeq, 1, 0, _X86_64["arch"]), _bpf(ret, 0, 0, _RET_KILL), ld_nr,
            _bpf(jge, 0, 1, 0x40000000), deny]  # the x32 ABI would bypass the table
    for nr in _X86_64_DENIED.values():
        prog += [_bpf(jeq, 0, 1, nr), deny]
    prog += [_bpf(jeq, 0, 1, _X86_64["clone3"]), _bpf(ret, 0, 0, _RET_ERRNO | _ENOSYS)]
    # clone: refuse new namespaces (clone3 answers ENOSYS above, so libc falls back to clone)
    prog += [_bpf(jeq, 0, 4, _X86_64["clone"]), ld_arg0,
             _bpf(jset, 0, 1, NAMESPACE_FLAGS), deny, allow]
    prog += [_bpf(jeq, 0, 4, _X86_64["socket"]), ld_arg0, _bpf(jeq, 0, 1, _AF_UNIX), allow, deny]
    prog.append(allow)
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


# Built once, in the fork server, so that each run only makes the prctl call.
_FILTER = _seccomp_program()
_FILTER_BUFFER = ctypes.create_string_buffer(_FILTER, len(_FILTER))
_FPROG = _SockFprog(len(_FILTER) // 8, ctypes.addressof(_FILTER_BUFFER))


# The calls' arguments, made once here too: a forked run then allocates (and copies) less.
_NO_NEW_PRIVS_ARGS = (ctypes.c_int(PR_SET_NO_NEW_PRIVS), ctypes.c_ulong(1), ctypes.c_ulong(0),
                      ctypes.c_ulong(0), ctypes.c_ulong(0))
_SECCOMP_ARGS = (ctypes.c_int(PR_SET_SECCOMP), ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(_FPROG),
                 ctypes.c_ulong(0), ctypes.c_ulong(0))


def install_seccomp() -> None:
    """Install the filter; needs no_new_privs (set here) or CAP_SYS_ADMIN."""
    _check(LIBC.prctl(*_NO_NEW_PRIVS_ARGS), "prctl no_new_privs")
    _check(LIBC.prctl(*_SECCOMP_ARGS), "seccomp")
