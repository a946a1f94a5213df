elapsed = time.clock() - start
