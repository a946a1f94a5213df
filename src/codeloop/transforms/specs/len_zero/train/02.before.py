while len(queue) > 0:
    queue.pop()
