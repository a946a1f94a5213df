timings.append(time.clock())
