timings.append(time.perf_counter())
