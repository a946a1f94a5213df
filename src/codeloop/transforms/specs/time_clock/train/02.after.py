elapsed = time.perf_counter() - start
