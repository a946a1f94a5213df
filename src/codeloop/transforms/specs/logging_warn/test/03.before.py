logger.warn("a")
logger.error("b")
