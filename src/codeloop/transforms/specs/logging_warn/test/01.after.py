def check(space):
    if space < 10:
        logging.warning("low space: %d", space)
