logger.warning("a")
logger.error("b")
