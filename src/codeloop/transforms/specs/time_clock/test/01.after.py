t0 = time.perf_counter()
run()
print(time.perf_counter() - t0)
