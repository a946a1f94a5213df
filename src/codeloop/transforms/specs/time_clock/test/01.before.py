t0 = time.clock()
run()
print(time.clock() - t0)
