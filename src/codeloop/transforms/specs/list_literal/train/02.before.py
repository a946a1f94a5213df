def start():
    stack = list()
    return stack
