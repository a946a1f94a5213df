def stamp():
    return time.perf_counter()  # seconds
