def start():
    stack = []
    return stack
