self.logger.warning("stale cache")
