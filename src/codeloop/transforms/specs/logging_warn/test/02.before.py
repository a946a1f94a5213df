self.logger.warn("stale cache")
