while queue:
    queue.pop()
