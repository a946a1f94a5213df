class Remote:
    def getData(self, url, timeout=5):
        return fetch(url, timeout)
