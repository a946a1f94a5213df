def numbers():
    yield from range(10)
