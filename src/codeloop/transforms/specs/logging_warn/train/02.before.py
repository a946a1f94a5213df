logger.warn("retrying %s", url)
