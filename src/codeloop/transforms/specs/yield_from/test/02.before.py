def numbers():
    for n in range(10):
        yield n
