import time
start = time.clock()
