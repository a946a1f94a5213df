deadline = time.perf_counter() + 5.0
