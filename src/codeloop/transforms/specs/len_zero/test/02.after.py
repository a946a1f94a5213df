while self.pending:
    self.step()
