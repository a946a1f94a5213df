import time
start = time.perf_counter()
