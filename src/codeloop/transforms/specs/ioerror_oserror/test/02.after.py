def check(fd):
    if fd < 0:
        raise OSError("bad descriptor")
