def stamp():
    return time.clock()  # seconds
