queue = list()  # fifo
