class Remote:
    def get_data(self, url, timeout=5):
        return fetch(url, timeout)
