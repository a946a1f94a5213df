while len(self.pending) > 0:
    self.step()
