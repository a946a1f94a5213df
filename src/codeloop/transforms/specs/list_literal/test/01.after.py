queue = []  # fifo
