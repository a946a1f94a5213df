def empty():
    return dict()  # nothing yet
