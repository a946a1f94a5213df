def check(fd):
    if fd < 0:
        raise IOError("bad descriptor")
