deadline = time.clock() + 5.0
