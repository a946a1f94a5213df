logger.warning("retrying %s", url)
