def check(space):
    if space < 10:
        logging.warn("low space: %d", space)
