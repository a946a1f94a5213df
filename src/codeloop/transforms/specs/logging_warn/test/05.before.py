logging.warning("already fine")
