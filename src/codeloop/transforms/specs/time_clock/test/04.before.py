now = time.time()
